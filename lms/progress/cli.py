"""Progress commands: `lms import completions`."""

from __future__ import annotations

from pathlib import Path

import click

from lms.core.imports import run_import


@click.command("completions")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_completions_command(path: Path) -> None:
    """Import completions from a CSV file (all rows validated first; safe to rerun)."""
    from lms.progress.completions_import import import_completions

    result = run_import(lambda session: import_completions(session, path))
    click.echo(result.summary())
