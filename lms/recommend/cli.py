"""`lms recommend …` commands: refresh the per-user cache now."""

from __future__ import annotations

import time

import click

from lms.accounts.queries import get_user_by_email
from lms.core.db import db
from lms.core.time import utcnow
from lms.recommend.cache import refresh_users


@click.group("recommend")
def recommend_group() -> None:
    """Recommendations: refresh the per-user cache."""


@recommend_group.command("refresh")
@click.option("--user", "email", metavar="EMAIL", help="Only this person (default: everyone).")
def refresh_command(email: str | None) -> None:
    """Recompute recommendations for every active person (committed batch by batch), or for one."""
    started = time.perf_counter()
    with db.transaction() as session:
        user_ids: list[int] | None = None
        if email is not None:
            user = get_user_by_email(session, email)
            if user is None or not user.is_active:
                what = "no person" if user is None else "a deactivated person"
                raise click.ClickException(f"{email} is {what}; nothing was refreshed.")
            user_ids = [user.id]
        count = refresh_users(session, user_ids, now=utcnow(), after_batch=session.commit)
    seconds = time.perf_counter() - started
    people = "person" if count == 1 else "people"
    shown = f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"
    click.echo(f"Refreshed recommendations for {count:,} {people} in {shown} s.")
