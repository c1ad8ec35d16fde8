"""Report commands: `lms report assessment` (and, later, `lms report esf`)."""

from __future__ import annotations

import csv
import io
import json

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
    writer.writerows(report_rows(report))
    click.echo(out.getvalue(), nl=False)
