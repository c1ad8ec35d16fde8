"""Assessment commands: `lms import assessments`."""

from __future__ import annotations

from pathlib import Path

import click

from lms.core.imports import run_import


@click.command("assessments")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_assessments_command(path: Path) -> None:
    """Import assessment ratings from a CSV file (all rows validated first; safe to rerun)."""
    from lms.assessment.importer import import_assessments

    result = run_import(lambda session: import_assessments(session, path))
    click.echo(result.summary())
