"""Session bookings: seats, waitlist and promotion, deadlines, attendance, calendars, reminders."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from icalendar import Calendar
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity, ActivitySession, SessionSeat
from lms.catalog.saved import save_for_later
from lms.catalog.schedule import cancel_session, sync_seats
from lms.core.access import Permission
from lms.core.db import make_engine, run_with_retry
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.jobs import JobContext
from lms.core.outbox import OutboxEmail
from lms.core.time import STOCKHOLM, UTC, utcnow
from lms.notify.models import Notification
from lms.progress import attendance, bookings, ical
from lms.progress.jobs import send_session_reminders
from lms.progress.models import Booking, CalendarFeed, Completion
from tests import factories
from tests.catalog import factories as catalog
from tests.conftest import make_database

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _workshop(session: Session, owner: User | None = None) -> Activity:
    owners = [owner] if owner else []
    return catalog.activity(session, format="workshop", delivery="physical", owners=owners)


def _scheduled(
    session: Session,
    capacity: int = 2,
    *,
    owner: User | None = None,
    now: datetime = NOW,
    **kw: Any,
) -> ActivitySession:
    occurrence = catalog.session_of(
        session, _workshop(session, owner), capacity=capacity, now=now, **kw
    )
    sync_seats(session, occurrence)
    return occurrence


def _people(session: Session, n: int) -> list[User]:
    return [factories.user(session, password=None) for _ in range(n)]


def _owner(session: Session) -> User:
    return factories.user(session, permissions=Permission.COURSE_OWNER)


# --- booking and waitlist ------------------------------------------------------------------


def test_booking_takes_the_lowest_free_seat(session: Session) -> None:
    occurrence = _scheduled(session, capacity=3)
    first, second = _people(session, 2)
    assert bookings.book_session(session, first, occurrence, now=NOW).seat == 1
    booked = bookings.book_session(session, second, occurrence, now=NOW)
    assert (booked.status, booked.seat) == ("booked", 2)


def test_booking_full_session_joins_waitlist(session: Session) -> None:
    occurrence = _scheduled(session, capacity=1)
    first, second, third = _people(session, 3)
    bookings.book_session(session, first, occurrence, now=NOW)
    waiting = bookings.book_session(session, second, occurrence, now=NOW)
    later = bookings.book_session(session, third, occurrence, now=NOW + timedelta(seconds=1))
    assert (waiting.status, waiting.seat) == ("waitlisted", None)
    assert bookings.waitlist_position(session, waiting) == 1
    assert bookings.waitlist_position(session, later) == 2


def test_booking_twice_returns_the_same_booking(session: Session) -> None:
    occurrence = _scheduled(session)
    (person,) = _people(session, 1)
    first = bookings.book_session(session, person, occurrence, now=NOW)
    again = bookings.book_session(session, person, occurrence, now=NOW)
    assert again.id == first.id
    count = select(func.count(Booking.id)).where(Booking.session_id == occurrence.id)
    assert session.scalar(count) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"is_cancelled": True}, "cancelled"),
        ({"booking_deadline": NOW - timedelta(minutes=1)}, "deadline"),
        ({"starts_at": NOW - timedelta(hours=1), "ends_at": NOW}, "started"),
    ],
)
def test_booking_is_refused_for_cancelled_started_or_closed_sessions(
    session: Session, change: dict[str, Any], message: str
) -> None:
    occurrence = _scheduled(session)
    for name, value in change.items():
        setattr(occurrence, name, value)
    session.flush()
    (person,) = _people(session, 1)
    with force_locale("en"), pytest.raises(Conflict, match=message):
        bookings.book_session(session, person, occurrence, now=NOW)


def test_database_rejects_an_eleventh_booked_seat(session: Session) -> None:
    occurrence = _scheduled(session, capacity=10)
    people = _people(session, 11)
    for person in people[:10]:
        bookings.book_session(session, person, occurrence, now=NOW)
    row = {"session_id": occurrence.id, "user_id": people[10].id, "status": "booked"}
    for seat in (11, 1):  # a seat that does not exist, and a taken one
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(insert(Booking).values(**row, seat=seat, created_at=NOW))
    assert session.scalar(select(func.count()).where(Booking.status == "booked")) == 10


def test_sync_seats_follows_the_capacity_but_keeps_held_seats(session: Session) -> None:
    occurrence = _scheduled(session, capacity=3)
    people = _people(session, 3)
    for person in people:
        bookings.book_session(session, person, occurrence, now=NOW)
    occurrence.capacity = 1
    sync_seats(session, occurrence)
    seats = select(SessionSeat.seat).where(SessionSeat.session_id == occurrence.id)
    assert sorted(session.scalars(seats)) == [1, 2, 3]  # all three still held
    occurrence.capacity = 5
    sync_seats(session, occurrence)
    assert sorted(session.scalars(seats)) == [1, 2, 3, 4, 5]


# --- cancelling and promotion --------------------------------------------------------------


def test_cancelling_promotes_exactly_the_first_waitlisted_and_notifies(session: Session) -> None:
    occurrence = _scheduled(session, capacity=1)
    holder, first, second = _people(session, 3)
    held = bookings.book_session(session, holder, occurrence, now=NOW)
    promoted = bookings.book_session(session, first, occurrence, now=NOW + timedelta(seconds=1))
    waiting = bookings.book_session(session, second, occurrence, now=NOW + timedelta(seconds=2))
    bookings.cancel_booking(session, holder, held, now=NOW + timedelta(minutes=1))
    assert (held.status, held.seat) == ("cancelled", None)
    assert (promoted.status, promoted.seat) == ("booked", 1)
    assert promoted.promoted_at is not None
    assert waiting.status == "waitlisted"
    notes = session.scalars(select(Notification).where(Notification.kind == "booking_promoted"))
    assert [n.user_id for n in notes] == [first.id]
    mails = select(func.count()).where(OutboxEmail.to_address == first.email)
    assert session.scalar(mails) == 1


def test_cancelling_a_waitlisted_booking_promotes_nobody(session: Session) -> None:
    occurrence = _scheduled(session, capacity=1)
    holder, waiting = _people(session, 2)
    bookings.book_session(session, holder, occurrence, now=NOW)
    waited = bookings.book_session(session, waiting, occurrence, now=NOW)
    bookings.cancel_booking(session, waiting, waited, now=NOW)
    assert waited.status == "cancelled"
    assert session.scalar(select(func.count()).where(Notification.user_id == waiting.id)) == 0


def test_cancelling_after_the_deadline_is_refused(session: Session) -> None:
    occurrence = _scheduled(session)
    occurrence.cancel_deadline = NOW + timedelta(hours=1)
    (person,) = _people(session, 1)
    booking = bookings.book_session(session, person, occurrence, now=NOW)
    with force_locale("en"), pytest.raises(Conflict, match="deadline"):
        bookings.cancel_booking(session, person, booking, now=NOW + timedelta(hours=2))
    assert booking.status == "booked"


def test_only_the_booker_may_cancel(session: Session) -> None:
    occurrence = _scheduled(session)
    person, other = _people(session, 2)
    booking = bookings.book_session(session, person, occurrence, now=NOW)
    with pytest.raises(PermissionDenied):
        bookings.cancel_booking(session, other, booking, now=NOW)


def test_booking_again_after_cancelling_reuses_the_row(session: Session) -> None:
    occurrence = _scheduled(session)
    (person,) = _people(session, 1)
    booking = bookings.book_session(session, person, occurrence, now=NOW)
    bookings.cancel_booking(session, person, booking, now=NOW)
    again = bookings.book_session(session, person, occurrence, now=NOW)
    assert (again.id, again.status, again.seat) == (booking.id, "booked", 1)


# --- attendance ----------------------------------------------------------------------------


def _started(session: Session, owner: User, capacity: int = 3) -> ActivitySession:
    occurrence = _scheduled(session, capacity=capacity, owner=owner, minutes=90)
    return occurrence


def test_attendance_credits_attended_people_with_the_session_length(session: Session) -> None:
    owner = _owner(session)
    occurrence = _started(session, owner)
    came, stayed_home = _people(session, 2)
    for person in (came, stayed_home):
        bookings.book_session(session, person, occurrence, now=NOW)
    after = occurrence.ends_at
    result = attendance.mark_attendance(
        session, owner, occurrence, {came.id}, {stayed_home.id}, set(), now=after
    )
    assert (result.attended, result.no_show) == (1, 1)
    [completion] = session.scalars(select(Completion).where(Completion.session_id == occurrence.id))
    assert completion.user_id == came.id
    assert completion.credited_minutes == 90
    assert completion.source == "attendance"
    assert completion.occurrence_key == f"session:{occurrence.id}"
    assert completion.verified_by_id == owner.id
    # Submitting again creates no second completion.
    attendance.mark_attendance(session, owner, occurrence, {came.id}, set(), set(), now=after)
    assert session.scalar(select(func.count()).where(Completion.user_id == came.id)) == 1


def test_walk_in_is_booked_and_credited(session: Session) -> None:
    owner = _owner(session)
    occurrence = _started(session, owner, capacity=1)
    booked = _people(session, 1)[0]
    walk_in = factories.user(session, name="Greta Garbo", password=None)
    bookings.book_session(session, booked, occurrence, now=NOW)
    assert [u.id for u in attendance.search_walk_in_candidates(session, "garbo")] == [walk_in.id]
    attendance.mark_attendance(
        session, owner, occurrence, {booked.id}, set(), {walk_in.id}, now=occurrence.ends_at
    )
    row = session.scalar(select(Booking).where(Booking.user_id == walk_in.id))
    assert row is not None and row.is_walk_in and row.attendance == "attended"
    assert row.seat is None  # the room was full: no seat, yet credited
    credited = select(Completion.user_id).where(Completion.session_id == occurrence.id)
    assert set(session.scalars(credited)) == {booked.id, walk_in.id}


def test_only_owners_and_coordinators_mark_attendance(session: Session) -> None:
    occurrence = _started(session, _owner(session))
    stranger = _owner(session)  # a course owner, but not of this activity
    with pytest.raises(PermissionDenied):
        attendance.mark_attendance(
            session, stranger, occurrence, set(), set(), set(), now=occurrence.ends_at
        )


def test_attendance_before_the_start_is_refused(session: Session) -> None:
    owner = _owner(session)
    occurrence = _started(session, owner)
    with pytest.raises(Conflict):
        attendance.mark_attendance(session, owner, occurrence, set(), set(), set(), now=NOW)


# --- coaching slots ------------------------------------------------------------------------


def test_coaching_slots_are_one_to_one_sessions_with_a_seat(session: Session) -> None:
    coach = _owner(session)
    coaching = catalog.activity(session, format="coaching", delivery="physical", owners=[coach])
    slots = bookings.create_coaching_slots(
        session, coach, coaching, weekday=1, start=time(9), end=time(12), slot_minutes=30,
        first_date=date(2025, 3, 3), last_date=date(2025, 3, 16), place="Stadsmuseet", now=NOW,
    )  # fmt: skip
    assert len(slots) == 12  # two Tuesdays, six half hours each
    first = slots[0]
    assert first.starts_at.astimezone(STOCKHOLM).replace(tzinfo=None) == datetime(2025, 3, 4, 9)
    assert {s.capacity for s in slots} == {1}
    seats = select(func.count()).where(SessionSeat.session_id.in_([s.id for s in slots]))
    assert session.scalar(seats) == 12
    a, b = _people(session, 2)
    assert bookings.book_session(session, a, first, now=NOW).status == "booked"
    assert bookings.book_session(session, b, first, now=NOW).status == "waitlisted"


def test_people_who_saved_a_coaching_activity_hear_of_new_slots_once(session: Session) -> None:
    coach = _owner(session)
    coaching = catalog.activity(session, format="coaching", delivery="physical", owners=[coach])
    (saver,) = _people(session, 1)
    save_for_later(session, saver, coaching)
    bookings.create_coaching_slots(
        session, coach, coaching, weekday=1, start=time(9), end=time(12), slot_minutes=30,
        first_date=date(2025, 3, 3), last_date=date(2025, 3, 16), place="Stadsmuseet", now=NOW,
    )  # fmt: skip
    told = session.scalars(select(Notification).where(Notification.user_id == saver.id)).all()
    assert len(told) == 1  # one for the batch of twelve slots, naming the first


def test_coaching_slots_only_for_coaching(session: Session) -> None:
    owner = _owner(session)
    workshop = _workshop(session, owner)
    with pytest.raises(ValidationError):
        bookings.create_coaching_slots(
            session, owner, workshop, weekday=1, start=time(9), end=time(12), slot_minutes=30,
            first_date=date(2025, 3, 3), last_date=date(2025, 3, 9), place="X", now=NOW,
        )  # fmt: skip


# --- iCalendar -----------------------------------------------------------------------------


def _events(body: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_feed_shows_exactly_the_booked_sessions(session: Session) -> None:
    (person,) = _people(session, 1)
    booked, cancelled, waitlisted_on, _not_booked = (_scheduled(session, 1) for _ in range(4))
    bookings.book_session(session, person, booked, now=NOW)
    bookings.book_session(session, person, cancelled, now=NOW)
    bookings.book_session(session, _people(session, 1)[0], waitlisted_on, now=NOW)
    bookings.book_session(session, person, waitlisted_on, now=NOW)
    cancel_session(session, factories.user(session, permissions=Permission.COORDINATOR), cancelled)
    body = ical.calendar_of(ical.list_feed_sessions(session, person), "https://lms.example.se", NOW)
    events = _events(body)
    assert set(events) == {f"session-{s.id}@lms.example.se" for s in (booked, cancelled)}
    live = events[f"session-{booked.id}@lms.example.se"]
    assert (str(live["STATUS"]), int(live["SEQUENCE"])) == ("CONFIRMED", 0)
    assert live.decoded("DTSTART") == booked.starts_at
    gone = events[f"session-{cancelled.id}@lms.example.se"]
    assert (str(gone["STATUS"]), int(gone["SEQUENCE"])) == ("CANCELLED", 1)


def _login(client: Any, auth: Any, session: Session) -> User:
    person = factories.user(session)
    person.language = "en"  # the Swedish strings are merged into the catalogue later
    session.commit()
    auth.login(person.email)
    return person


def test_feed_url_works_without_login_and_a_wrong_token_is_404(
    session: Session, client: Any
) -> None:
    (person,) = _people(session, 1)
    occurrence = _scheduled(session)
    bookings.book_session(session, person, occurrence, now=NOW)
    feed = ical.create_feed(session, person)
    session.commit()
    response = client.get(f"/bokningar/kalender/{feed.token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert len(_events(response.data)) == 1
    for junk in ("wrong-token", "%00", "x" * 65, "a%20b"):
        assert client.get(f"/bokningar/kalender/{junk}.ics").status_code == 404, junk
    old = feed.token
    ical.reset_feed(session, person)
    session.commit()
    assert client.get(f"/bokningar/kalender/{old}.ics").status_code == 404


def test_booking_ics_download_is_the_owners_only(session: Session, client: Any, auth: Any) -> None:
    person = _login(client, auth, session)
    occurrence = _scheduled(session)
    mine = bookings.book_session(session, person, occurrence, now=NOW)
    theirs = bookings.book_session(session, _people(session, 1)[0], occurrence, now=NOW)
    session.commit()
    response = client.get(f"/bokningar/{mine.id}.ics")
    assert response.status_code == 200
    assert list(_events(response.data)) == [f"session-{occurrence.id}@localhost"]
    assert client.get(f"/bokningar/{theirs.id}.ics").status_code == 404


# --- pages ---------------------------------------------------------------------------------


def test_book_and_cancel_through_the_activity_page(
    session: Session, client: Any, auth: Any, csrf_off: None
) -> None:
    person = _login(client, auth, session)
    occurrence = _scheduled(session, capacity=1, now=utcnow())
    session.commit()
    page = f"/katalog/{occurrence.activity.slug}"
    assert ">Book<" in client.get(page).get_data(as_text=True)
    response = client.post(f"/bokningar/tillfalle/{occurrence.id}/boka", follow_redirects=True)
    assert "Your seat: 1" in response.get_data(as_text=True)
    booking = session.scalar(select(Booking).where(Booking.user_id == person.id))
    assert booking is not None and booking.status == "booked"
    assert "Cancel booking" in client.get(page).get_data(as_text=True)
    response = client.post(f"/bokningar/{booking.id}/avboka", follow_redirects=True)
    assert response.status_code == 200
    session.refresh(booking)
    assert booking.status == "cancelled"


def test_full_session_page_shows_the_waitlist_place(
    session: Session, client: Any, auth: Any, csrf_off: None
) -> None:
    _login(client, auth, session)
    occurrence = _scheduled(session, capacity=1, now=utcnow())
    bookings.book_session(session, _people(session, 1)[0], occurrence, now=utcnow())
    session.commit()
    response = client.post(f"/bokningar/tillfalle/{occurrence.id}/boka", follow_redirects=True)
    assert "on the waitlist (place 1)" in response.get_data(as_text=True)


def test_attendance_page_is_for_owners_only(
    session: Session, client: Any, auth: Any, csrf_off: None
) -> None:
    owner = _owner(session)
    occurrence = _scheduled(session, owner=owner, now=utcnow() - timedelta(days=8))
    attendee = _people(session, 1)[0]
    session.add(Booking(session_id=occurrence.id, user_id=attendee.id, status="booked", seat=1))
    session.commit()
    url = f"/bokningar/tillfalle/{occurrence.id}/narvaro"
    _login(client, auth, session)
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login(owner.email)
    assert attendee.name in client.get(url).get_data(as_text=True)
    client.post(url, data={f"mark-{attendee.id}": "attended"})
    credited = select(Completion).where(Completion.user_id == attendee.id)
    assert session.scalar(credited) is not None


# --- reminders -----------------------------------------------------------------------------


def test_reminder_job_twice_sends_one_reminder_each(session: Session, app: Flask) -> None:
    tomorrow = datetime(2025, 3, 4, 13, 0, tzinfo=STOCKHOLM).astimezone(UTC)
    occurrence = _scheduled(session, capacity=3, starts_at=tomorrow)
    later = _scheduled(session, capacity=3, starts_at=tomorrow + timedelta(days=1))
    people = _people(session, 2)
    for person in people:
        bookings.book_session(session, person, occurrence, now=NOW)
        bookings.book_session(session, person, later, now=NOW)
    ctx = JobContext(session=session, now=NOW, app=app, log=logging.getLogger("test"))
    assert send_session_reminders(ctx) == {"reminders": 2}
    assert send_session_reminders(ctx) == {"reminders": 0}
    notes = session.scalars(select(Notification).where(Notification.kind == "session_reminder"))
    assert sorted(n.user_id for n in notes) == sorted(p.id for p in people)


# --- concurrency on a real file database -----------------------------------------------------


def _in_threads(app: Flask, jobs: list[Callable[[], str]]) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job: Callable[[], str]) -> None:
        with app.app_context():
            barrier.wait()
            try:
                outcome = job()
            except BaseException as error:  # reported below, in the test's thread
                with lock:
                    errors.append(error)
                return
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    return results


def _setup_race(url: str) -> tuple[Any, int, list[int]]:
    engine = make_engine(url, **({} if url.startswith("sqlite") else {"pool_size": 55}))
    with Session(engine, expire_on_commit=False) as setup:
        occurrence = _scheduled(setup, capacity=10, now=utcnow())
        people = [factories.user(setup, password=None) for _ in range(50)]
        setup.commit()
        return engine, occurrence.id, [p.id for p in people]


def _unit(engine: Any, work: Callable[[Session], str]) -> Callable[[], str]:
    def job() -> str:
        with Session(engine, expire_on_commit=False) as own:

            def attempt() -> str:
                outcome = work(own)
                own.commit()
                return outcome

            return run_with_retry(attempt, attempts=12, session=own)

    return job


def test_fifty_concurrent_bookings_fill_ten_seats_exactly(
    app: Flask, backend: str, tmp_path: Path
) -> None:
    url = make_database(backend, tmp_path, pg_name="booking_race")
    engine, session_id, user_ids = _setup_race(url)

    def booker(user_id: int) -> Callable[[Session], str]:
        def work(own: Session) -> str:
            user, occurrence = own.get_one(User, user_id), own.get_one(ActivitySession, session_id)
            return bookings.book_session(own, user, occurrence, now=utcnow()).status

        return work

    statuses = _in_threads(app, [_unit(engine, booker(uid)) for uid in user_ids])
    assert sorted(statuses).count("booked") == 10
    assert statuses.count("waitlisted") == 40
    with Session(engine) as check:
        rows = check.scalars(select(Booking).where(Booking.session_id == session_id)).all()
        seats = sorted(b.seat for b in rows if b.status == "booked" and b.seat is not None)
        assert seats == list(range(1, 11))
        assert sum(b.status == "waitlisted" for b in rows) == 40
        holders = [b for b in rows if b.status == "booked"]

    # Concurrent cancels: three seat holders cancel at once (one of them twice, from two
    # tabs); each cancelled seat promotes exactly one person.
    def canceller(booking_id: int, user_id: int) -> Callable[[Session], str]:
        def work(own: Session) -> str:
            booking = own.get_one(Booking, booking_id)
            bookings.cancel_booking(own, own.get_one(User, user_id), booking, now=utcnow())
            return booking.status

        return work

    cancels = [_unit(engine, canceller(b.id, b.user_id)) for b in [holders[0], *holders[:3]]]
    assert _in_threads(app, cancels) == ["cancelled"] * 4
    with Session(engine) as check:
        rows = check.scalars(select(Booking).where(Booking.session_id == session_id)).all()
        booked = sorted(b.seat for b in rows if b.status == "booked" and b.seat is not None)
        assert booked == list(range(1, 11))
        assert sum(b.status == "waitlisted" for b in rows) == 37
        assert sum(b.promoted_at is not None for b in rows) == 3
        promoted = check.scalar(select(func.count()).where(Notification.kind == "booking_promoted"))
        assert promoted == 3
    engine.dispose()


# --- the personal feed's address: made by a POST, never by the page ------------------------


def _feed_rows(session: Session, person: User) -> list[CalendarFeed]:
    session.expire_all()
    return list(session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == person.id)))


def test_feed_page_makes_no_address_and_offers_a_button(
    session: Session, client: Any, auth: Any
) -> None:
    person = _login(client, auth, session)
    html = client.get("/bokningar/kalender").get_data(as_text=True)
    assert 'action="/bokningar/kalender/skapa"' in html
    assert ".ics" not in html
    assert _feed_rows(session, person) == []


def test_create_feed_makes_one_address_once_and_it_works(
    session: Session, client: Any, auth: Any
) -> None:
    person = _login(client, auth, session)
    token = auth.csrf_token("/bokningar/kalender")
    response = client.post("/bokningar/kalender/skapa", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/bokningar/kalender")
    (feed,) = _feed_rows(session, person)
    made = feed.token
    again = client.post("/bokningar/kalender/skapa", data={"csrf_token": token})
    assert again.status_code == 302
    (feed,) = _feed_rows(session, person)
    assert feed.token == made  # a second tab never replaces the address
    html = client.get("/bokningar/kalender").get_data(as_text=True)
    assert f"/bokningar/kalender/{made}.ics" in html and "/skapa" not in html
    assert client.get(f"/bokningar/kalender/{made}.ics").status_code == 200


def test_create_feed_needs_login_and_the_csrf_token(
    session: Session, client: Any, auth: Any
) -> None:
    signed_out = client.post("/bokningar/kalender/skapa")
    assert signed_out.status_code == 400 or "/login" in signed_out.headers["Location"]
    person = _login(client, auth, session)
    assert client.post("/bokningar/kalender/skapa").status_code in (302, 400)
    assert client.post("/bokningar/kalender/skapa", data={"csrf_token": "x"}).status_code in (
        302,
        400,
    )
    assert _feed_rows(session, person) == []


def test_create_feed_reuses_a_feed_made_meanwhile(session: Session, monkeypatch: Any) -> None:
    (person,) = _people(session, 1)
    theirs = ical.create_feed(session, person)
    session.commit()
    session.expunge(theirs)  # made by another request: not in this session's identity map
    # As if this request had read before the other one inserted: the insert must not fail.
    monkeypatch.setattr(ical, "get_feed", lambda *_: None)
    mine = ical.create_feed(session, person)
    assert mine.token == theirs.token
    assert len(_feed_rows(session, person)) == 1
