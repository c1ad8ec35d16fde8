"""Reading notifications: a person's own list, newest first."""

from __future__ import annotations

from sqlalchemy import Select, select

from lms.accounts.models import User
from lms.notify.models import Notification


def notifications_statement(user: User) -> Select[Notification]:
    """`user`'s notifications, newest first (for paginate)."""
    return (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
