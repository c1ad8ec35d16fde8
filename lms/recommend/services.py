"""A person's "inte intresserad" on a recommended activity: mark it, and undo the mark.

Marking removes the activity from the person's cache at once and remembers the mark, so no
later refresh brings it back. Undoing deletes the mark and marks the person's cache stale, so
the next page they open recomputes it and the activity may come back. Both act only on the
acting person's own rows: there is nobody else's mark to reach.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity, Status
from lms.core.errors import NotFound
from lms.core.i18n import _l
from lms.recommend.cache import mark_stale
from lms.recommend.models import NotInterested, Recommendation


def get_mark_target(session: Session, user: User, slug: str) -> Activity | None:
    """The activity `user` may mark or unmark: a published one, or one they marked before it
    was unpublished (so the mark can still be undone). None for anything else, drafts
    included, so the buttons cannot be used to probe for unpublished slugs (one query)."""
    mine = select(NotInterested.activity_id).where(NotInterested.user_id == user.id)
    return session.scalar(
        select(Activity).where(
            Activity.slug == slug,
            or_(Activity.status == Status.PUBLISHED, Activity.id.in_(mine)),
        )
    )


def mark_not_interested(
    session: Session, user: User, activity: Activity, *, now: datetime
) -> NotInterested:
    """Never recommend `activity` to `user` again, and take it out of their cache now.

    Idempotent: a second mark (a double click, two tabs) keeps the first one. Only published
    activities can be marked; anything else is treated as missing.
    """
    if not activity.is_published:
        raise NotFound(_l("There is no such activity."))
    session.execute(
        delete(Recommendation).where(
            Recommendation.user_id == user.id, Recommendation.activity_id == activity.id
        )
    )
    existing = session.get(NotInterested, (user.id, activity.id))
    if existing is not None:
        return existing
    mark = NotInterested(user_id=user.id, activity_id=activity.id, created_at=now)
    try:
        with session.begin_nested():
            session.add(mark)
    except IntegrityError:  # a concurrent mark won: keep it
        return session.scalars(
            select(NotInterested).where(
                NotInterested.user_id == user.id, NotInterested.activity_id == activity.id
            )
        ).one()
    return mark


def undo_not_interested(session: Session, user: User, activity: Activity, *, now: datetime) -> bool:
    """Take back `user`'s mark on `activity`; False when there was none (idempotent).

    The person's cache is marked stale so that the activity can be recommended again.
    """
    mark = session.get(NotInterested, (user.id, activity.id))
    if mark is None:
        return False
    session.delete(mark)
    session.flush()
    mark_stale(session, [user.id], now=now)
    return True
