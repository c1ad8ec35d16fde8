"""Saving activities for later ("Spara till senare"): save, remove, the list, and telling the
people who saved an activity when it gets a new session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_date, format_datetime
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity, ActivitySession, SavedActivity, Status
from lms.catalog.queries import upcoming_sessions
from lms.core.errors import NotFound
from lms.core.i18n import _l
from lms.core.time import local_date, utcnow
from lms.notify.services import notify

NOTIFICATION_KIND = "saved_activity_session"


# --- saving and removing ---------------------------------------------------------------------


def get_saved_target(session: Session, user: User, slug: str) -> Activity | None:
    """The activity `user` may save or remove: a published one, or one they saved before it
    was unpublished (so that it can still be removed). None for anything else, drafts
    included, so the buttons cannot be used to probe for unpublished slugs."""
    mine = select(SavedActivity.activity_id).where(SavedActivity.user_id == user.id)
    return session.scalar(
        select(Activity).where(
            Activity.slug == slug,
            or_(Activity.status == Status.PUBLISHED, Activity.id.in_(mine)),
        )
    )


def is_saved(session: Session, user: User, activity: Activity) -> bool:
    """Whether `user` has saved `activity` (one query)."""
    found = session.scalar(
        select(SavedActivity.activity_id).where(
            SavedActivity.user_id == user.id, SavedActivity.activity_id == activity.id
        )
    )
    return found is not None


def save_for_later(
    session: Session, user: User, activity: Activity, *, now: datetime | None = None
) -> SavedActivity:
    """Put a published activity on `user`'s saved list (idempotent: saving twice keeps one row).

    Anything not published is treated as missing, as the catalogue does. A concurrent second
    save loses on the primary key inside a SAVEPOINT and gets the winner's row, so a double
    click never fails.
    """
    if not activity.is_published:
        raise NotFound(_l("There is no such activity."))
    key = (user.id, activity.id)
    existing = session.get(SavedActivity, key)
    if existing is not None:
        return existing
    saved = SavedActivity(user_id=user.id, activity_id=activity.id, created_at=now or utcnow())
    try:
        with session.begin_nested():
            session.add(saved)
    except IntegrityError:
        return session.scalars(
            select(SavedActivity).where(
                SavedActivity.user_id == user.id, SavedActivity.activity_id == activity.id
            )
        ).one()
    return saved


def remove_saved(session: Session, user: User, activity: Activity) -> bool:
    """Take `activity` off `user`'s saved list; False when it was not on it (idempotent)."""
    saved = session.get(SavedActivity, (user.id, activity.id))
    if saved is None:
        return False
    session.delete(saved)
    session.flush()
    return True


# --- the saved list --------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedEntry:
    """One saved activity with when it was saved and the start of its next session."""

    activity: Activity
    saved_at: datetime
    next_session_at: datetime | None


def list_saved(
    session: Session, user: User, *, limit: int | None = None, now: datetime | None = None
) -> list[SavedEntry]:
    """`user`'s saved published activities, most recently saved first (one query).

    Activities unpublished since they were saved stay saved but are not listed: they come
    back if they are published again.
    """
    upcoming = upcoming_sessions(now or utcnow())
    stmt = (
        select(Activity, SavedActivity.created_at, upcoming.c.next_starts_at)
        .join(SavedActivity, SavedActivity.activity_id == Activity.id)
        .outerjoin(upcoming, upcoming.c.activity_id == Activity.id)
        .where(SavedActivity.user_id == user.id, Activity.status == Status.PUBLISHED)
        .order_by(SavedActivity.created_at.desc(), Activity.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        SavedEntry(activity, saved_at, next_at)
        for activity, saved_at, next_at in session.execute(stmt)
    ]


def count_saved(session: Session, user: User) -> int:
    """How many published activities `user` has saved (one query)."""
    stmt = (
        select(func.count())
        .select_from(SavedActivity)
        .join(Activity, Activity.id == SavedActivity.activity_id)
        .where(SavedActivity.user_id == user.id, Activity.status == Status.PUBLISHED)
    )
    return int(session.scalar(stmt) or 0)


# --- telling the savers of a new session -----------------------------------------------------


class _Day:
    """A date that prints in the language in force when it is printed ("3 december").

    `notify` renders a lazy title in the recipient's language, so the date inside it must
    wait until then as well.
    """

    def __init__(self, day: date, *, with_year: bool) -> None:
        self.day = day
        self.with_year = with_year

    def __str__(self) -> str:
        return str(format_date(self.day, "d MMMM y" if self.with_year else "d MMMM"))


class _When:
    """A session's start as the recipient reads it ("tisdag 3 december 13:00")."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __str__(self) -> str:
        return str(format_datetime(self.moment, "EEEE d MMMM HH:mm"))


def list_savers(session: Session, activity: Activity) -> list[User]:
    """The active people who saved `activity` (one query, whatever their number)."""
    stmt = (
        select(User)
        .join(SavedActivity, SavedActivity.user_id == User.id)
        .where(SavedActivity.activity_id == activity.id, User.is_active.is_(True))
        .order_by(User.id)
    )
    return list(session.scalars(stmt))


def notify_savers(
    session: Session,
    added: Sequence[ActivitySession],
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> int:
    """Tell everyone who saved the activity that it got new sessions; returns how many were told.

    `added` are new sessions of one activity (one, or a batch such as coaching slots, which
    gives one notification naming the first). Once per first session and person (the
    dedupe key), not to `actor` who added them, and only for a published activity. Mail
    follows each person's preference (`notify`).
    """
    upcoming = sorted((s for s in added if not s.is_cancelled), key=lambda s: s.starts_at)
    if not upcoming:
        return 0
    first = upcoming[0]
    activity = first.activity
    if not activity.is_published:
        return 0
    day = local_date(first.starts_at)
    title = _l(
        "New session: %(title)s on %(date)s",
        title=activity.title,
        date=_Day(day, with_year=day.year != local_date(now or utcnow()).year),
    )
    where = first.place or (_l("online") if first.online_url else "")
    if len(upcoming) == 1:
        body = _l("%(when)s, %(place)s.", when=_When(first.starts_at), place=where)
    else:
        body = _l(
            "The first is %(when)s, %(place)s, and %(n)d more dates were added.",
            when=_When(first.starts_at),
            place=where,
            n=len(upcoming) - 1,
        )
    told = 0
    for user in list_savers(session, activity):
        if actor is not None and user.id == actor.id:
            continue
        created = notify(
            session,
            user,
            kind=NOTIFICATION_KIND,
            title=title,
            body=body,
            link=f"/katalog/{activity.slug}",
            dedupe_key=f"saved-session:{first.id}:{user.id}",
        )
        told += created is not None
    return told
