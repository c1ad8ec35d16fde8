"""`lms recommend …` commands (helper B writes this)."""

from __future__ import annotations

import click


@click.group("recommend")
def recommend_group() -> None:
    """Recommendations: refresh the per-user cache."""
