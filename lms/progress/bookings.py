"""Booking seats on sessions: book, waitlist, cancel with promotion, and coaching slots."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity, ActivitySession, SessionSeat
from lms.catalog.saved import notify_savers
from lms.catalog.schedule import SessionData, add_session
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.i18n import _l
from lms.core.time import STOCKHOLM, UTC
from lms.notify.services import notify
from lms.progress.models import Booking
from lms.progress.services import check_can_progress
from lms.transfer.services import ask_for_missing_pre_tasks

SEAT_ATTEMPTS = 5  # seat races are already serialised by the session lock; a safety net


def lock_session(session: Session, activity_session: ActivitySession) -> None:
    """Serialise bookings of one session until the transaction ends.

    PostgreSQL: a row lock on the session. SQLite has no row locks; a no-op write takes
    the database's single write lock at once instead of at the first real write.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(ActivitySession.id).where(ActivitySession.id == activity_session.id)
            .with_for_update()
        )  # fmt: skip
    else:
        session.execute(
            update(ActivitySession)
            .where(ActivitySession.id == activity_session.id)
            .values(sequence=ActivitySession.sequence)
            .execution_options(synchronize_session=False)
        )


def _check_bookable(activity_session: ActivitySession, now: datetime) -> None:
    if activity_session.is_cancelled:
        raise Conflict(_l("This session is cancelled."))
    if activity_session.starts_at <= now:
        raise Conflict(_l("This session has already started."))
    deadline = activity_session.booking_deadline or activity_session.starts_at
    if now > deadline:
        raise Conflict(_l("The booking deadline for this session has passed."))


def get_booking(session: Session, user: User, activity_session: ActivitySession) -> Booking | None:
    """The person's booking row of the session (any status), or None."""
    return session.scalar(
        select(Booking).where(Booking.session_id == activity_session.id, Booking.user_id == user.id)
    )


def lowest_free_seat(session: Session, activity_session: ActivitySession) -> int | None:
    """The lowest seat within the capacity that no booking holds."""
    held = select(Booking.seat).where(
        Booking.session_id == activity_session.id, Booking.seat.is_not(None)
    )
    return session.scalar(
        select(SessionSeat.seat)
        .where(
            SessionSeat.session_id == activity_session.id,
            SessionSeat.seat <= activity_session.capacity,
            SessionSeat.seat.not_in(held),
        )
        .order_by(SessionSeat.seat)
        .limit(1)
    )


def _take_seat(session: Session, booking: Booking, activity_session: ActivitySession) -> bool:
    """Give the booking a free seat; False when none is left."""
    for _attempt in range(SEAT_ATTEMPTS):
        seat = lowest_free_seat(session, activity_session)
        if seat is None:
            return False
        try:
            with session.begin_nested():
                booking.status, booking.seat = "booked", seat
                session.add(booking)
            return True
        except IntegrityError:
            # Someone took the seat between our read and our write (the savepoint rolled
            # our change back): look again.
            continue
    return False


def book_session(
    session: Session, user: User, activity_session: ActivitySession, *, now: datetime
) -> Booking:
    """Book the lowest free seat, or join the waitlist when the session is full.

    Refused (`PreTaskMissing`) while a required pre-task of the activity is not done."""
    lock_session(session, activity_session)
    session.refresh(activity_session)
    _check_bookable(activity_session, now)
    check_can_progress(session, user, activity_session.activity)
    booking = get_booking(session, user, activity_session)
    if booking is not None and booking.status != "cancelled":
        return booking
    if booking is None:
        booking = Booking(session_id=activity_session.id, user_id=user.id, status="waitlisted")
    booking.created_at, booking.cancelled_at, booking.promoted_at = now, None, None
    booking.attendance, booking.is_walk_in = None, False
    if not _take_seat(session, booking, activity_session):
        booking.status, booking.seat = "waitlisted", None
        session.add(booking)
        session.flush()
    return booking


def waitlist_position(session: Session, booking: Booking) -> int | None:
    """1 for the first in line; None unless the booking is waitlisted."""
    if booking.status != "waitlisted":
        return None
    ahead = session.scalar(
        select(func.count(Booking.id)).where(
            Booking.session_id == booking.session_id,
            Booking.status == "waitlisted",
            (Booking.created_at < booking.created_at)
            | ((Booking.created_at == booking.created_at) & (Booking.id < booking.id)),
        )
    )
    return int(ahead or 0) + 1


def cancel_booking(session: Session, user: User, booking: Booking, *, now: datetime) -> None:
    """Cancel the person's booking; a freed seat goes to the first on the waitlist."""
    if booking.user_id != user.id:
        raise PermissionDenied(_l("You can only cancel your own bookings."))
    activity_session = booking.session
    lock_session(session, activity_session)
    session.refresh(booking)
    if booking.status == "cancelled":
        return
    was_booked = booking.status == "booked"
    deadline = activity_session.cancel_deadline or activity_session.starts_at
    if was_booked and now > deadline:
        raise Conflict(_l("The cancellation deadline for this session has passed."))
    booking.status, booking.seat, booking.cancelled_at = "cancelled", None, now
    session.flush()
    if was_booked and not activity_session.is_cancelled and activity_session.starts_at > now:
        promote_first_waitlisted(session, activity_session, now=now)


def promote_first_waitlisted(
    session: Session, activity_session: ActivitySession, *, now: datetime
) -> Booking | None:
    """Move the first person on the waitlist into a free seat and tell them."""
    first = session.scalar(
        select(Booking)
        .where(Booking.session_id == activity_session.id, Booking.status == "waitlisted")
        .order_by(Booking.created_at, Booking.id)
        .limit(1)
    )
    if first is None or not _take_seat(session, first, activity_session):
        return None
    first.promoted_at = now
    session.flush()
    title = activity_session.activity.title
    # The rule still holds for a promoted person: they are told to prepare before the day.
    ask_for_missing_pre_tasks(
        session, first.user, activity_session.activity, occasion=f"promoted:{first.id}"
    )
    notify(
        session,
        first.user,
        kind="booking_promoted",
        title=_l("You got a seat on %(title)s", title=title),
        body=_l(
            "A seat became free and is now yours: seat %(seat)s, %(when)s.",
            seat=first.seat,
            when=activity_session.starts_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M"),
        ),
        link=f"/katalog/{activity_session.activity.slug}",
        essential=True,
        # The row is reused when a person books again, so the key names this promotion.
        dedupe_key=f"promoted:{first.id}:{now:%Y%m%dT%H%M%S%f}",
    )
    return first


# --- coaching slots --------------------------------------------------------------------------


def create_coaching_slots(
    session: Session,
    actor: User,
    activity: Activity,
    *,
    weekday: int,
    start: time,
    end: time,
    slot_minutes: int,
    first_date: date,
    last_date: date,
    place: str,
    now: datetime | None = None,
) -> list[ActivitySession]:
    """Publish one-to-one slots (capacity 1): e.g. Tuesdays 9–12 in 30-minute slots."""
    if activity.format != "coaching":
        raise ValidationError(_l("Only coaching activities have one-to-one slots."))
    if slot_minutes <= 0 or end <= start or last_date < first_date or not 0 <= weekday <= 6:
        raise ValidationError(_l("Give a weekday, a time span and a slot length that fit."))
    if (last_date - first_date).days > 366:
        raise ValidationError(_l("Slots can be published for at most a year at a time."))
    created: list[ActivitySession] = []
    day = first_date + timedelta(days=(weekday - first_date.weekday()) % 7)
    step = timedelta(minutes=slot_minutes)
    while day <= last_date:
        begin = datetime.combine(day, start, tzinfo=STOCKHOLM)
        finish = datetime.combine(day, end, tzinfo=STOCKHOLM)
        while begin + step <= finish:
            data = SessionData(
                starts_at=begin.astimezone(UTC),
                ends_at=(begin + step).astimezone(UTC),
                place=place,
                online_url=None,
                capacity=1,
            )
            created.append(add_session(session, actor, activity, data, now=now, tell_savers=False))
            begin += step
        day += timedelta(days=7)
    notify_savers(session, created, actor=actor, now=now)
    return created
