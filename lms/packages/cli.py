"""`lms content import DIR` and `lms content export DIR`: content packages on the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from lms.core.db import db
from lms.packages.importer import PackageInvalid, PackageResult, import_package
from lms.packages.writer import export_package

MAX_LISTED = 10


@click.group("content")
def content_group() -> None:
    """Import and export content packages (framework, activities, courses, theme months,
    programmes)."""


def run_import(
    directory: Path,
    *,
    shift_sessions_to: date | None = None,
    shift_themes_to: date | None = None,
    skip_unknown_departments: bool = False,
) -> PackageResult:
    """Import and commit a package, printing the summary; on problems print them and exit 1."""
    try:
        with db.transaction() as session:
            result = import_package(
                session,
                directory,
                shift_sessions_to=shift_sessions_to,
                shift_themes_to=shift_themes_to,
                skip_unknown_departments=skip_unknown_departments,
            )
    except PackageInvalid as error:
        for line in error.errors:
            click.echo(line, err=True)
        click.echo(f"{len(error.errors)} problem(s) in {directory}; nothing imported", err=True)
        unknown = (": unknown department ", ": unknown organisation ")
        if any(marker in line for line in error.errors for marker in unknown):
            hint = "import the organisation first, or use --skip-unknown-departments"
            click.echo(f"hint: {hint}", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(f"content: {result.summary()}")
    _note("owner e-mails match no user and were left out", result.unknown_owners)
    _note("department names match no department and were left out", result.unknown_departments)
    _note(
        "organisation names match no organisation and were left out", result.unknown_organisations
    )
    return result


def _note(what: str, names: list[str]) -> None:
    if names:
        listed = ", ".join(names[:MAX_LISTED]) + (", …" if len(names) > MAX_LISTED else "")
        click.echo(f"note: {len(names)} {what}: {listed}")


@content_group.command("import")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--skip-unknown-departments",
    is_flag=True,
    help="Leave out department (and programme organisation) names no organisation has instead "
    "of refusing the package.",
)
def import_command(directory: Path, skip_unknown_departments: bool) -> None:
    """Validate a package directory, then create or update what it holds (idempotent)."""
    run_import(directory, skip_unknown_departments=skip_unknown_departments)


@content_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_command(directory: Path) -> None:
    """Write the framework, the whole catalogue and the theme months into a directory.

    .md files under activities/, courses/ and themes/ (and banners under themes/images/)
    that the export did not write are removed, so exporting over an earlier export (or a
    git checkout) mirrors the database.
    """
    result = export_package(db.session(), directory)
    click.echo(f"exported {result.summary()} to {directory}")
