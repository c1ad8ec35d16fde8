"""Reads for booking pages: free seats and a person's bookings, in constant queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import ActivitySession
from lms.progress.bookings import waitlist_position
from lms.progress.models import Booking


@dataclass(frozen=True)
class BookingState:
    """One session as a person sees it: free seats, their booking and place in line."""

    free_seats: int
    booking: Booking | None
    waitlist_place: int | None

    @property
    def is_booked(self) -> bool:
        return self.booking is not None and self.booking.status == "booked"

    @property
    def is_waitlisted(self) -> bool:
        return self.booking is not None and self.booking.status == "waitlisted"


def count_booked(session: Session, session_ids: Sequence[int]) -> dict[int, int]:
    stmt = (
        select(Booking.session_id, func.count(Booking.id))
        .where(Booking.session_id.in_(session_ids), Booking.status == "booked")
        .group_by(Booking.session_id)
    )
    return {session_id: int(n) for session_id, n in session.execute(stmt)}


def _places(session: Session, waiting: list[Booking]) -> dict[int, int]:
    # One count per waitlisted booking: a person waits on few sessions of an activity.
    places = {b.session_id: waitlist_position(session, b) for b in waiting}
    return {session_id: place for session_id, place in places.items() if place is not None}


def list_booking_states(
    session: Session, user: User, sessions: Sequence[ActivitySession]
) -> dict[int, BookingState]:
    ids = [s.id for s in sessions]
    booked = count_booked(session, ids)
    mine = {
        b.session_id: b
        for b in session.scalars(
            select(Booking).where(
                Booking.session_id.in_(ids),
                Booking.user_id == user.id,
                Booking.status != "cancelled",
            )
        )
    }
    places = _places(session, [b for b in mine.values() if b.status == "waitlisted"])
    return {
        s.id: BookingState(
            free_seats=max(s.capacity - booked.get(s.id, 0), 0),
            booking=mine.get(s.id),
            waitlist_place=places.get(s.id),
        )
        for s in sessions
    }
