"""Report commands: `lms report assessment` (and, later, `lms report esf`)."""

from __future__ import annotations

import click


@click.group("report")
def report_group() -> None:
    """Print reports: the same figures the report pages show."""
