"""Progress commands: `lms import completions`."""

from __future__ import annotations

from pathlib import Path

import click

from lms.core.db import db


@click.command("completions")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_completions_command(path: Path) -> None:
    """Import completions from a CSV file (all rows validated first; safe to rerun)."""
    from lms.progress.completions_import import ImportFailed, import_completions

    try:
        with db.transaction() as session:
            result = import_completions(session, path)
    except ImportFailed as failed:
        for line in failed.errors:
            click.echo(line, err=True)
        click.echo(f"{len(failed.errors)} problem(s); nothing was imported.", err=True)
        raise SystemExit(1) from None
    click.echo(result.summary())
