"""Sessions of scheduled activities: adding, cancelling and deleting dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import (
    Activity,
    ActivitySession,
    SessionSeat,
)
from lms.catalog.saved import notify_savers
from lms.catalog.services import is_https_url, require_edit
from lms.catalog.signals import activities_changed
from lms.core.audit import record_event
from lms.core.errors import ValidationError
from lms.core.i18n import _l
from lms.core.time import utcnow

# --- sessions of scheduled activities --------------------------------------------------------


@dataclass
class SessionData:
    """A dated occurrence as the editor gives it: aware datetimes, place and/or link."""

    starts_at: datetime
    ends_at: datetime
    place: str
    online_url: str | None
    capacity: int


def _validate_session(data: SessionData, now: datetime) -> None:
    if data.starts_at <= now:
        raise ValidationError(_l("A new session must start in the future."), field="starts_at")
    if data.ends_at <= data.starts_at:
        raise ValidationError(_l("The session must end after it starts."), field="ends_at")
    if data.capacity <= 0:
        raise ValidationError(_l("The capacity must be at least 1."), field="capacity")
    if data.online_url and not is_https_url(data.online_url):
        raise ValidationError(_l("The link must start with https://."), field="online_url")
    if not data.place.strip() and not data.online_url:
        raise ValidationError(_l("Give a place, an online link or both."), field="place")


def add_session(
    session: Session,
    actor: User,
    activity: Activity,
    data: SessionData,
    *,
    now: datetime | None = None,
    tell_savers: bool = True,
) -> ActivitySession:
    """Add a dated session to a lecture, workshop, coaching or network activity.

    The people who saved the activity are told of the new date; a caller adding a batch
    (coaching slots) passes `tell_savers=False` and calls `notify_savers` once with all.
    """
    require_edit(actor, activity)
    if not activity.is_scheduled:
        raise ValidationError(_l("Only lectures, workshops, coaching and networks have sessions."))
    _validate_session(data, now or utcnow())
    added = ActivitySession(
        activity=activity,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place.strip(),
        online_url=data.online_url or None,
        capacity=data.capacity,
    )
    session.add(added)
    session.flush()
    sync_seats(session, added)
    _record_session_event(session, actor, added, "session.add")
    activities_changed.send(None, session=session, activity_ids=[activity.id])
    if tell_savers:
        notify_savers(session, [added], actor=actor, now=now)
    return added


def sync_seats(session: Session, activity_session: ActivitySession) -> None:
    """Give the session exactly the seats 1..capacity (seats above it go once they are free).

    A booking holds a seat (a foreign key), so the seats are what makes over-booking
    impossible in the database; a seat still held above a lowered capacity stays until
    its booking is cancelled, and is then not handed on.
    """
    if activity_session.id is None:
        session.flush()
    session_id, capacity = activity_session.id, activity_session.capacity
    existing = set(
        session.scalars(select(SessionSeat.seat).where(SessionSeat.session_id == session_id))
    )
    missing = [
        {"session_id": session_id, "seat": n} for n in range(1, capacity + 1) if n not in existing
    ]
    if missing:
        session.execute(insert(SessionSeat), missing)
    extra = sorted(n for n in existing if n > capacity)
    if extra:
        _delete_free_seats(session, session_id, extra)


def _delete_free_seats(session: Session, session_id: int, seats: list[int]) -> None:
    # Raw table names: catalog may not import progress, whose bookings hold the seats.
    held = set(
        session.execute(
            text("SELECT seat FROM bookings WHERE session_id = :id AND seat IS NOT NULL"),
            {"id": session_id},
        ).scalars()
    )
    free = [n for n in seats if n not in held]
    if free:
        session.execute(
            delete(SessionSeat).where(
                SessionSeat.session_id == session_id, SessionSeat.seat.in_(free)
            )
        )


def _record_session_event(
    session: Session, actor: User, activity_session: ActivitySession, action: str
) -> None:
    record_event(
        session,
        actor_id=actor.id,
        action=action,
        object_type="session",
        object_id=activity_session.id,
        activity=activity_session.activity.slug,
        starts_at=activity_session.starts_at.isoformat(),
    )


def cancel_session(session: Session, actor: User, activity_session: ActivitySession) -> None:
    """Cancel a session: it stays listed as cancelled, so bookers can see what happened."""
    require_edit(actor, activity_session.activity)
    if activity_session.is_cancelled:
        return
    activity_session.is_cancelled = True
    activity_session.sequence += 1  # calendar programs show the event as cancelled
    session.flush()
    _record_session_event(session, actor, activity_session, "session.cancel")
    activities_changed.send(None, session=session, activity_ids=[activity_session.activity_id])


def delete_session(session: Session, actor: User, activity_session: ActivitySession) -> None:
    """Remove a session entirely (for one added by mistake)."""
    require_edit(actor, activity_session.activity)
    _record_session_event(session, actor, activity_session, "session.delete")
    session.delete(activity_session)
    session.flush()
    activities_changed.send(None, session=session, activity_ids=[activity_session.activity_id])
