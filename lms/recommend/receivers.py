"""Keeping the cache fresh: the receivers of the lower layers' signals mark people stale.

Connected in `lms.app._wire_signals`. Each runs inside the sender's transaction and only
marks (`cache.mark_stale`); the stale job, or the person's next page, recomputes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.time import utcnow
from lms.progress.models import Completion
from lms.recommend.cache import mark_stale, users_affected_by


def on_completion_recorded(
    sender: object, *, session: Session, completion: Completion, user: User, **_: Any
) -> None:
    """A completion changes what is left for the person to take."""
    mark_stale(session, [user.id], now=utcnow())


def on_needs_changed(
    sender: object, *, session: Session, user_ids: Collection[int], **_: Any
) -> None:
    """An assessment, agreed levels or plan goals changed these people's needs."""
    mark_stale(session, user_ids, now=utcnow())


def on_activities_changed(
    sender: object, *, session: Session, activity_ids: Collection[int], **_: Any
) -> None:
    """Changed activities concern only the people `users_affected_by` finds."""
    if activity_ids:
        mark_stale(session, users_affected_by(session, activity_ids), now=utcnow())


def connect() -> None:
    """Connect every receiver (connecting twice is a no-op: blinker keeps one per function)."""
    from lms.assessment.signals import needs_changed
    from lms.catalog.signals import activities_changed
    from lms.progress.signals import completion_recorded

    completion_recorded.connect(on_completion_recorded)
    needs_changed.connect(on_needs_changed)
    activities_changed.connect(on_activities_changed)
