"""The pre-task rule on every path that creates progress, and its two allowed exceptions.

Every service that starts, books or completes is called directly: with a required pre-task
undone each one raises `PreTaskMissing` and writes nothing; once the pre-task is accepted
each one goes through. A walk-in marked present and an imported historic completion are
the only ways past the rule: the first is flagged and asked to do it afterwards, the
second is recorded as imported.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity, ActivitySession
from lms.catalog.schedule import sync_seats
from lms.core.access import Permission
from lms.core.errors import Conflict
from lms.core.time import UTC
from lms.notify.models import Notification
from lms.progress import attendance, bookings, services
from lms.progress.completions_import import import_completions
from lms.progress.models import Booking, Completion, Enrolment, LessonProgress, QuizAttempt
from lms.transfer.models import TaskResponse
from lms.transfer.services import (
    PreTaskMissing,
    answer_follow_up,
    answer_pre_task,
    list_missing_pre_tasks,
    require_pre_tasks,
)
from tests import factories
from tests.catalog import factories as cf
from tests.transfer import factories as tf

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REFLECTION = "Jag vill prova AI för att sammanfatta remissvar."


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _progress_rows(session: Session) -> tuple[int, ...]:
    return tuple(
        _count(session, model)
        for model in (Enrolment, Completion, Booking, LessonProgress, QuizAttempt)
    )


def _nano(session: Session, **kw: object) -> Activity:
    activity = cf.activity(session, format="nanolesson", minutes=10, **kw)  # type: ignore[arg-type]
    tf.task(session, activity, title="Skriv ner en tidstjuv")
    return activity


def _workshop(session: Session, owner: User, capacity: int = 5) -> ActivitySession:
    activity = cf.activity(session, format="workshop", delivery="physical", owners=[owner])
    tf.task(session, activity, title="Inför workshoppen")
    occurrence = cf.session_of(session, activity, capacity=capacity, now=NOW, minutes=120)
    sync_seats(session, occurrence)
    return occurrence


def _refused(session: Session, call: object) -> PreTaskMissing:
    before = _progress_rows(session)
    with pytest.raises(PreTaskMissing) as caught:
        call()  # type: ignore[operator]
    assert _progress_rows(session) == before, "a refused call wrote progress"
    return caught.value


# --- refused while the pre-task is missing ---------------------------------------------------


def test_start_is_refused_and_names_the_missing_task(session: Session) -> None:
    person = factories.user(session, password=None)
    activity = _nano(session)
    error = _refused(session, lambda: services.start_activity(session, person, activity))
    assert [task.title for task in error.tasks] == ["Skriv ner en tidstjuv"]
    assert error.activity is activity
    assert isinstance(error, Conflict) and error.status_code == 409
    assert "Skriv ner en tidstjuv" in str(error)


def test_complete_is_refused(session: Session) -> None:
    person = factories.user(session, password=None)
    activity = _nano(session)
    _refused(session, lambda: services.complete_activity(session, person, activity, now=NOW))


def test_knowledge_check_attempt_is_refused(session: Session) -> None:
    person = factories.user(session, password=None)
    activity = _nano(session, body=cf.QUIZ)
    _refused(
        session, lambda: services.record_quiz_attempt(session, person, activity, {0: {1}, 1: {0}})
    )


def test_course_lesson_is_refused(session: Session) -> None:
    person = factories.user(session, password=None)
    course = cf.activity(session, format="course", minutes=45)
    lesson = cf.lesson(session, course, title="Varför", slug="varfor")
    tf.task(session, course, title="Inför kursen")
    _refused(session, lambda: services.complete_lesson(session, person, lesson, now=NOW))


def test_booking_and_the_waitlist_are_refused(session: Session) -> None:
    owner = factories.user(session, permissions=Permission.COURSE_OWNER)
    occurrence = _workshop(session, owner, capacity=1)
    person, prepared = (factories.user(session, password=None) for _ in range(2))
    _refused(session, lambda: bookings.book_session(session, person, occurrence, now=NOW))
    [task] = list_missing_pre_tasks(session, prepared, occurrence.activity)
    answer_pre_task(session, prepared, task, text=REFLECTION, now=NOW)
    assert bookings.book_session(session, prepared, occurrence, now=NOW).status == "booked"
    # The session is full now: joining its waitlist is a booking too, and refused the same way.
    _refused(session, lambda: bookings.book_session(session, person, occurrence, now=NOW))


def test_an_optional_pre_task_never_blocks(session: Session) -> None:
    person = factories.user(session, password=None)
    activity = cf.activity(session, format="nanolesson")
    tf.task(session, activity, required=False)
    services.start_activity(session, person, activity)
    assert services.complete_activity(session, person, activity, now=NOW).source == "catalogue"


def test_an_unaccepted_answer_does_not_count(session: Session) -> None:
    """A partly ticked checklist and an unconfirmed manager talk are not accepted yet."""
    manager = factories.user(session, permissions=Permission.MANAGER)
    person = factories.user(session, password=None, manager=manager)
    activity = cf.activity(session, format="nanolesson")
    checklist = tf.task(session, activity, kind="checklist", title="Förbered datorn")
    talk = tf.task(session, activity, kind="manager", title="Prata med chefen", position=1)
    answer_pre_task(session, person, checklist, checked=[0], now=NOW)
    answer_pre_task(session, person, talk, text="Vi pratade i fredags.", now=NOW)
    error = _refused(session, lambda: services.start_activity(session, person, activity))
    assert [task.id for task in error.tasks] == [checklist.id, talk.id]
    answer_pre_task(session, person, checklist, checked=[0, 1], now=NOW)
    assert [task.id for task in list_missing_pre_tasks(session, person, activity)] == [talk.id]


# --- allowed once accepted -------------------------------------------------------------------


def test_every_path_goes_through_once_the_pre_task_is_done(session: Session) -> None:
    owner = factories.user(session, permissions=Permission.COURSE_OWNER)
    person = factories.user(session, password=None)
    nano = _nano(session)
    course = cf.activity(session, format="course", minutes=45)
    lesson = cf.lesson(session, course, title="Varför", slug="varfor")
    occurrence = _workshop(session, owner)
    for activity in (nano, course, occurrence.activity):
        for task in list_missing_pre_tasks(session, person, activity):
            answer_pre_task(session, person, task, text=REFLECTION, now=NOW)
        require_pre_tasks(session, person, activity)  # no longer raises
    services.start_activity(session, person, nano)
    assert services.complete_activity(session, person, nano, now=NOW).credited_minutes == 10
    assert services.complete_lesson(session, person, lesson, now=NOW) is not None
    assert bookings.book_session(session, person, occurrence, now=NOW).status == "booked"


def test_the_rule_is_per_person(session: Session) -> None:
    done, not_done = (factories.user(session, password=None) for _ in range(2))
    activity = _nano(session)
    [task] = list_missing_pre_tasks(session, done, activity)
    answer_pre_task(session, done, task, text=REFLECTION, now=NOW)
    services.start_activity(session, done, activity)
    _refused(session, lambda: services.start_activity(session, not_done, activity))


def test_a_task_added_later_blocks_those_who_have_not_done_it(session: Session) -> None:
    person = factories.user(session, password=None)
    activity = cf.activity(session, format="nanolesson")
    services.start_activity(session, person, activity)
    tf.task(session, activity, title="Ny förberedelse")
    _refused(session, lambda: services.complete_activity(session, person, activity, now=NOW))


# --- waitlist promotion ----------------------------------------------------------------------


def test_a_promoted_person_gets_the_seat_and_is_told_to_prepare(session: Session) -> None:
    owner = factories.user(session, permissions=Permission.COURSE_OWNER)
    activity = cf.activity(session, format="workshop", delivery="physical", owners=[owner])
    occurrence = cf.session_of(session, activity, capacity=1, now=NOW)
    sync_seats(session, occurrence)
    first, waiting = (factories.user(session, password=None) for _ in range(2))
    bookings.book_session(session, first, occurrence, now=NOW)
    queued = bookings.book_session(session, waiting, occurrence, now=NOW + timedelta(seconds=1))
    assert queued.status == "waitlisted"
    # The owner adds a required pre-task after both had booked.
    task = tf.task(session, activity, title="Läs på om mötesverktyget")
    bookings.cancel_booking(session, first, first_booking(session, first), now=NOW)
    session.refresh(queued)
    assert (queued.status, queued.seat) == ("booked", 1)
    kinds = set(
        session.scalars(select(Notification.kind).where(Notification.user_id == waiting.id))
    )
    assert {"booking_promoted", "pre_task_missing"} <= kinds
    note = session.scalars(
        select(Notification).where(
            Notification.user_id == waiting.id, Notification.kind == "pre_task_missing"
        )
    ).one()
    assert note.link == f"/uppgifter/fore/{task.id}"
    assert "Läs på om mötesverktyget" in note.body
    # They still cannot complete the self-paced way, and attendance will be flagged.
    attendance.mark_attendance(
        session, owner, occurrence, {waiting.id}, set(), set(), now=occurrence.ends_at
    )
    completion = session.scalars(select(Completion).where(Completion.user_id == waiting.id)).one()
    assert completion.is_pre_task_missing


def first_booking(session: Session, user: User) -> Booking:
    return session.scalars(select(Booking).where(Booking.user_id == user.id)).one()


# --- the two exceptions ----------------------------------------------------------------------


def test_walk_in_is_credited_flagged_and_asked_to_do_the_pre_task(session: Session) -> None:
    owner = factories.user(session, permissions=Permission.COURSE_OWNER)
    occurrence = _workshop(session, owner)
    prepared, walk_in = (factories.user(session, password=None) for _ in range(2))
    for task in list_missing_pre_tasks(session, prepared, occurrence.activity):
        answer_pre_task(session, prepared, task, text=REFLECTION, now=NOW)
    bookings.book_session(session, prepared, occurrence, now=NOW)
    after = occurrence.ends_at
    attendance.mark_attendance(
        session, owner, occurrence, {prepared.id}, set(), {walk_in.id}, now=after
    )
    by_user = {
        c.user_id: c
        for c in session.scalars(select(Completion).where(Completion.session_id == occurrence.id))
    }
    assert by_user[walk_in.id].credited_minutes == 120  # they were there: the hours count
    assert by_user[walk_in.id].is_pre_task_missing
    assert not by_user[prepared.id].is_pre_task_missing
    asked = session.scalars(
        select(Notification).where(
            Notification.user_id == walk_in.id, Notification.kind == "pre_task_missing"
        )
    ).all()
    assert len(asked) == 1
    # Marking again (a correction) asks nobody twice.
    attendance.mark_attendance(
        session, owner, occurrence, {prepared.id}, set(), {walk_in.id}, now=after
    )
    count = select(func.count()).where(Notification.kind == "pre_task_missing")
    assert session.scalar(count) == 1
    # Doing the pre-task afterwards clears what is missing but keeps the history flag.
    [task] = list_missing_pre_tasks(session, walk_in, occurrence.activity)
    answer_pre_task(session, walk_in, task, text=REFLECTION, now=after + timedelta(days=1))
    assert list_missing_pre_tasks(session, walk_in, occurrence.activity) == []
    session.refresh(by_user[walk_in.id])
    assert by_user[walk_in.id].is_pre_task_missing


def test_import_of_historic_completions_is_not_blocked(session: Session, tmp_path: Path) -> None:
    person = factories.user(session, email="anna@kultur.example.se", password=None)
    activity = _nano(session, slug="skydda-personuppgifter")
    tf.task(session, activity, phase="follow_up", title="Efter två veckor")
    path = tmp_path / "completions.csv"
    path.write_text(
        "email,activity,completed_at,hours,title\n"
        "anna@kultur.example.se,skydda-personuppgifter,2025-10-01,1,\n",
        encoding="utf-8",
    )
    assert import_completions(session, path).created == 1
    completion = session.scalars(select(Completion).where(Completion.user_id == person.id)).one()
    assert completion.source == "import"
    assert not completion.is_pre_task_missing
    # History opens no follow-ups (they would all be overdue at once).
    assert _count(session, TaskResponse) == 0


# --- follow-ups open on completion -----------------------------------------------------------


def test_completion_opens_follow_ups_once_with_due_dates(session: Session) -> None:
    person = factories.user(session, password=None)
    activity = cf.activity(session, format="nanolesson")
    two_weeks = tf.task(session, activity, phase="follow_up", due_days=14, title="Två veckor")
    month = tf.task(session, activity, phase="follow_up", due_days=30, position=1, title="Månad")
    # 23:30 UTC on 2 March is 00:30 on 3 March in Stockholm: due dates count from the 3rd.
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    completion = services.complete_activity(session, person, activity, now=late)
    services.complete_activity(session, person, activity, now=late + timedelta(hours=1))
    responses = {
        r.task_id: r
        for r in session.scalars(select(TaskResponse).where(TaskResponse.user_id == person.id))
    }
    assert set(responses) == {two_weeks.id, month.id}
    assert str(responses[two_weeks.id].due_on) == "2026-03-17"
    assert str(responses[month.id].due_on) == "2026-04-02"
    assert {r.completion_id for r in responses.values()} == {completion.id}
    assert {r.status for r in responses.values()} == {"open"}
    answer_follow_up(session, person, responses[two_weeks.id], text="Det fungerade.", now=late)
    assert responses[two_weeks.id].is_done


def test_attendance_opens_follow_ups_and_a_no_show_correction_removes_them(
    session: Session,
) -> None:
    owner = factories.user(session, permissions=Permission.COURSE_OWNER)
    activity = cf.activity(session, format="workshop", delivery="physical", owners=[owner])
    tf.task(session, activity, phase="follow_up", due_days=14)
    occurrence = cf.session_of(session, activity, capacity=3, now=NOW)
    sync_seats(session, occurrence)
    person = factories.user(session, password=None)
    bookings.book_session(session, person, occurrence, now=NOW)
    after = occurrence.ends_at
    attendance.mark_attendance(session, owner, occurrence, {person.id}, set(), set(), now=after)
    assert _count(session, TaskResponse) == 1
    attendance.mark_attendance(session, owner, occurrence, set(), {person.id}, set(), now=after)
    session.expire_all()
    assert _count(session, TaskResponse) == 0
