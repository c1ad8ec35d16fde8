"""iCalendar for bookings: one event per session, stable UID, SEQUENCE, cancelled status."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import User
from lms.catalog.models import ActivitySession
from lms.core.time import UTC
from lms.core.tokens import is_token_shaped, new_token
from lms.progress.models import Booking, CalendarFeed

PRODID = "-//Lärlyft//Bokningar//SV"


def event_uid(activity_session: ActivitySession, base_url: str) -> str:
    """The same UID for a session in every download, so calendars update one event."""
    host = urlsplit(base_url).hostname or "localhost"
    return f"session-{activity_session.id}@{host}"


def session_event(activity_session: ActivitySession, base_url: str, now: datetime) -> Event:
    activity = activity_session.activity
    event = Event()
    event.add("uid", event_uid(activity_session, base_url))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", activity_session.starts_at.astimezone(UTC))
    event.add("dtend", activity_session.ends_at.astimezone(UTC))
    event.add("summary", activity.title)
    event.add("sequence", activity_session.sequence)
    event.add("status", "CANCELLED" if activity_session.is_cancelled else "CONFIRMED")
    if activity_session.place:
        event.add("location", activity_session.place)
    page = f"{base_url.rstrip('/')}/katalog/{activity.slug}"
    event.add("url", activity_session.online_url or page)
    if activity.summary:
        event.add("description", activity.summary)
    return event


def calendar_of(
    sessions: Iterable[ActivitySession], base_url: str, now: datetime, name: str = "Lärlyft"
) -> bytes:
    """A VCALENDAR with one VEVENT per session."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for activity_session in sessions:
        calendar.add_component(session_event(activity_session, base_url, now))
    return bytes(calendar.to_ical())


def list_feed_sessions(session: Session, user: User) -> list[ActivitySession]:
    """The sessions a person holds a seat on (cancelled sessions included, to show them so)."""
    stmt = (
        select(ActivitySession)
        .join(Booking, Booking.session_id == ActivitySession.id)
        .where(Booking.user_id == user.id, Booking.status == "booked")
        .options(selectinload(ActivitySession.activity))
        .order_by(ActivitySession.starts_at)
    )
    return list(session.scalars(stmt))


def get_feed(session: Session, user: User) -> CalendarFeed | None:
    """The person's feed, or None before they have asked for one (a read: pages never write)."""
    return session.get(CalendarFeed, user.id)


def create_feed(session: Session, user: User) -> CalendarFeed:
    """The person's feed, made with a fresh secret token if they have none yet.

    Idempotent: an existing token is never changed, and when another request (a second tab)
    makes the feed at the same moment, the primary key on `user_id` keeps one row and
    theirs is returned.
    """
    feed = get_feed(session, user)
    if feed is not None:
        return feed
    feed = CalendarFeed(user_id=user.id, token=new_token())
    try:
        with session.begin_nested():
            session.add(feed)
    except IntegrityError:
        existing = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
        if existing is None:
            raise
        return existing
    return feed


def reset_feed(session: Session, user: User) -> CalendarFeed:
    """A new secret token: the old feed URL stops working at once."""
    feed = create_feed(session, user)
    feed.token = new_token()
    session.flush()
    return feed


def get_feed_user(session: Session, token: str) -> User | None:
    """The active person whose feed has this token, or None."""
    if not is_token_shaped(token):
        return None
    user = session.scalar(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token == token)
    )
    return user if user is not None and user.is_active else None
