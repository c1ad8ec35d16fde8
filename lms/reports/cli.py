"""Report commands: `lms report assessment` and `lms report esf`."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import click
from flask import current_app

from lms.core.db import db


@click.group("report")
def report_group() -> None:
    """Print reports: the same figures the report pages show."""


@report_group.command("assessment")
@click.option("--round", "round_name", required=True, help="The round's name.")
@click.option("--compare", "compare_name", help="Another round's name to compare with.")
@click.option(
    "--format", "output", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
def assessment_command(round_name: str, compare_name: str | None, output: str) -> None:
    """Print a round's assessment analytics: aggregates only, small groups suppressed.

    JSON has the shape of DESIGN §5 plus `by_department`, `by_job_role`, `competence_areas`
    and `min_group_size`; fractions are 0–1 and nothing is rounded. Hidden figures are null
    and listed in `suppressed_figures`, with `"suppressed": true` beside them.

    CSV has one row per figure with the columns scope (round, department or job_role),
    organisation, group (the department or job role), area, competence, figure, value,
    suppressed, compare_value, compare_suppressed and delta_pp (the compared round only for
    the round scope; delta_pp is this − compared in percentage points for shares and the
    plain difference for mean_rating).
    """
    from lms.reports.assessment_queries import get_round_by_name
    from lms.reports.assessment_report import CSV_COLUMNS, build_assessment_report, report_rows

    session = db.session()
    round_ = get_round_by_name(session, round_name)
    if round_ is None:
        raise click.ClickException(f"no assessment round is named {round_name!r}")
    compare = None
    if compare_name is not None:
        compare = get_round_by_name(session, compare_name)
        if compare is None:
            raise click.ClickException(f"no assessment round is named {compare_name!r}")
    report = build_assessment_report(
        session, round_, compare, min_group_size=current_app.config["LMS"].min_group_size
    )
    if output == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_neutralised(row) for row in report_rows(report))
    click.echo(out.getvalue(), nl=False)


# The assessment CSV's figure columns hold numbers written as text ("-2.5" is a delta); the
# rest (organisation, department, job role, codes) is text someone typed somewhere.
_FIGURE_COLUMNS = frozenset(
    {"value", "suppressed", "compare_value", "compare_suppressed", "delta_pp"}
)


def _neutralised(row: dict[str, str]) -> dict[str, str]:
    """The row with every text cell safe from formula injection (OWASP CSV injection)."""
    from lms.reports.exports import neutralise

    return {
        key: value if key in _FIGURE_COLUMNS else neutralise(value) for key, value in row.items()
    }


def _iso_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = f"{option} must be a date as YYYY-MM-DD, not {value!r}"
        raise click.ClickException(message) from None


@report_group.command("esf")
@click.option("--programme", "slug", help="The programme's slug (its whole period).")
@click.option("--from", "date_from", help="First day of a period (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Last day of a period (YYYY-MM-DD).")
@click.option("--department", "department_id", type=int, help="Only this department (its id).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["json", "csv", "xlsx"]),
    default="json",
    show_default=True,
)
@click.option("--output", "path", type=click.Path(dir_okay=False), help="Write to this file.")
@click.option(
    "--sep",
    type=click.Choice([",", ";"]),
    default=",",
    show_default=True,
    help="CSV separator (`;` also writes decimal commas, for Excel in Swedish).",
)
def esf_command(
    slug: str | None,
    date_from: str | None,
    date_to: str | None,
    department_id: int | None,
    output: str,
    path: str | None,
    sep: str,
) -> None:
    """Print the ESF report of a programme or a period: everything, for every organisation.

    JSON is the report of DESIGN §5 (numbers unrounded, hours = minutes / 60) with its stable
    extras; CSV is one flat table (columns in lms/reports/esf_export.py); XLSX needs --output.
    """
    from lms.core.errors import DomainError
    from lms.reports.esf_export import report_csv, report_xlsx
    from lms.reports.esf_report import build_esf_report
    from lms.reports.programmes import get_programme

    if (slug is None) == (date_from is None and date_to is None):
        raise click.ClickException("give either --programme SLUG or --from DATE --to DATE")
    start, end = _iso_date(date_from, "--from"), _iso_date(date_to, "--to")
    if slug is None and (start is None or end is None):
        raise click.ClickException("a period needs both --from and --to")
    if output == "xlsx" and path is None:
        raise click.ClickException("--format xlsx writes a binary file: give --output FILE")
    session = db.session()
    programme = None
    if slug is not None:
        programme = get_programme(session, slug, None)
        if programme is None:
            raise click.ClickException(f"no programme has the slug {slug!r}")
    try:
        report = build_esf_report(
            session,
            programme=programme,
            date_from=start,
            date_to=end,
            department_id=department_id,
        )
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    if output == "json":
        data = (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    elif output == "csv":
        data = report_csv(report, delimiter=sep)
    else:
        data = report_xlsx(report, title=programme.name if programme is not None else None)
    _write(data, path)


def _write(data: bytes, path: str | None) -> None:
    if path is None:
        click.echo(data, nl=False)  # bytes go to the binary stdout
        return
    try:
        with open(path, "wb") as file:
            file.write(data)
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from None
