"""Helpers for the notify tests: the mails a person got."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.outbox import OutboxEmail


def mails_to(session: Session, user: User) -> list[OutboxEmail]:
    """The mails queued for `user`, oldest first."""
    return list(
        session.scalars(
            select(OutboxEmail).where(OutboxEmail.user_id == user.id).order_by(OutboxEmail.id)
        )
    )
