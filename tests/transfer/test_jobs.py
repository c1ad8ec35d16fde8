"""Follow-up reminders: on the due date and a week overdue, each once, to the right person."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.jobs import JobContext
from lms.core.outbox import OutboxEmail
from lms.core.scheduler import build_trigger
from lms.core.time import STOCKHOLM, UTC
from lms.jobs import JOBS
from lms.notify.models import Notification
from lms.progress.services import record_completion
from lms.transfer import jobs as transfer_jobs
from lms.transfer.jobs import reminder_for, send_transfer_reminders
from lms.transfer.models import ResponseStatus, TaskResponse
from lms.transfer.services import answer_follow_up
from tests import factories
from tests.catalog import factories as catalog
from tests.transfer import factories as transfer

COMPLETED = datetime(2027, 1, 13, 10, 0, tzinfo=STOCKHOLM).astimezone(UTC)
DUE = date(2027, 1, 27)  # the completion's Stockholm day + 14
NOTHING = {"due": 0, "overdue": 0, "managers": 0}


def _at(day: date, hour: int = 8) -> datetime:
    """The job's scheduled time on `day` (Stockholm), as the runner passes it: aware UTC."""
    return datetime.combine(day, time(hour), tzinfo=STOCKHOLM).astimezone(UTC)


def _run(session: Session, app: Flask, day: date) -> dict[str, int]:
    ctx = JobContext(session=session, now=_at(day), app=app, log=logging.getLogger("test"))
    return send_transfer_reminders(ctx)


def _follow_up(
    session: Session, learner: User, *, kind: str = "reflection", due_days: int = 14
) -> TaskResponse:
    """`learner` completes a new activity with one follow-up; returns the opened follow-up."""
    activity = catalog.activity(session, title="Skriv klarspråk")
    transfer.task(
        session, activity, phase="follow_up", kind=kind, title="Pröva i vardagen", due_days=due_days
    )
    record_completion(
        session,
        learner,
        occurrence_key=f"activity:{activity.id}",
        activity=activity,
        minutes=10,
        source="catalogue",
        completed_at=COMPLETED,
    )
    return session.scalars(
        select(TaskResponse).where(TaskResponse.user_id == learner.id).order_by(TaskResponse.id)
    ).all()[-1]


def _notes(session: Session, user: User, kind: str | None = None) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    return list(session.scalars(stmt.order_by(Notification.id)))


def _mails(session: Session, user: User, kind: str) -> list[OutboxEmail]:
    stmt = select(OutboxEmail).where(OutboxEmail.user_id == user.id, OutboxEmail.kind == kind)
    return list(session.scalars(stmt))


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "days_after_due", "reminded_due", "reminded_overdue", "expected"),
    [
        ("open", -1, False, False, None),
        ("open", 0, False, False, "due"),
        ("open", 3, False, False, "due"),  # the job was down on the due date
        ("open", 0, True, False, None),
        ("open", 6, True, False, None),
        ("open", 7, True, False, "overdue"),
        ("open", 10, False, False, "overdue"),  # first seen late: only the overdue one
        ("open", 7, True, True, None),
        ("awaiting_manager", 0, False, False, None),  # the learner has done their part
        ("awaiting_manager", 7, False, False, "overdue"),
        ("done", 0, False, False, None),
        ("done", 30, False, False, None),
    ],
)
def test_the_reminder_a_follow_up_gets_depends_on_its_status_and_the_day(
    status: str, days_after_due: int, reminded_due: bool, reminded_overdue: bool, expected: str
) -> None:
    today = DUE + timedelta(days=days_after_due)
    got = reminder_for(
        status, DUE, today, reminded_due=reminded_due, reminded_overdue=reminded_overdue
    )
    assert got == expected


# --- the job ----------------------------------------------------------------------------------


def test_nothing_is_sent_before_the_due_date(session: Session, app: Flask) -> None:
    learner = factories.user(session)
    response = _follow_up(session, learner)
    assert response.due_on == DUE
    assert _run(session, app, DUE - timedelta(days=1)) == NOTHING
    assert _notes(session, learner, "follow_up_due") == []


def test_the_due_reminder_goes_out_on_the_due_date_once_in_app_and_by_mail(
    session: Session, app: Flask
) -> None:
    learner = factories.user(session)
    response = _follow_up(session, learner)
    assert _run(session, app, DUE) == {"due": 1, "overdue": 0, "managers": 0}
    [note] = _notes(session, learner, "follow_up_due")
    assert "Pröva i vardagen" in note.title
    assert "Skriv klarspråk" in note.body and "2027-01-27" in note.body
    assert note.link == f"/uppgifter/svar/{response.id}"
    assert note.dedupe_key == f"follow-up-due:{response.id}"
    [mail] = _mails(session, learner, "follow_up_due")  # default preference: immediately
    assert mail.to_address == learner.email and "Pröva i vardagen" in mail.subject
    assert response.reminded_due_at == _at(DUE) and response.reminded_overdue_at is None
    assert _run(session, app, DUE) == NOTHING
    assert len(_notes(session, learner, "follow_up_due")) == 1


def test_the_overdue_reminder_goes_out_a_week_later_once(session: Session, app: Flask) -> None:
    learner = factories.user(session)
    response = _follow_up(session, learner)
    _run(session, app, DUE)
    assert _run(session, app, DUE + timedelta(days=6)) == NOTHING
    assert _run(session, app, DUE + timedelta(days=7)) == {"due": 0, "overdue": 1, "managers": 0}
    [note] = _notes(session, learner, "follow_up_overdue")
    assert note.link == f"/uppgifter/svar/{response.id}"
    assert len(_mails(session, learner, "follow_up_overdue")) == 1
    assert response.reminded_overdue_at == _at(DUE + timedelta(days=7))
    assert _run(session, app, DUE + timedelta(days=7)) == NOTHING
    assert _run(session, app, DUE + timedelta(days=30)) == NOTHING
    assert len(_notes(session, learner)) == 2


def test_done_follow_ups_are_never_reminded(session: Session, app: Flask) -> None:
    learner = factories.user(session)
    response = _follow_up(session, learner)
    answer_follow_up(session, learner, response, text="Det gick bra.", now=COMPLETED)
    assert response.status == ResponseStatus.DONE
    for day in (DUE, DUE + timedelta(days=7), DUE + timedelta(days=40)):
        assert _run(session, app, day) == NOTHING
    assert _notes(session, learner) == []


def test_deactivated_people_are_never_reminded(session: Session, app: Flask) -> None:
    learner = factories.user(session)
    response = _follow_up(session, learner)
    learner.is_active = False
    session.flush()
    for day in (DUE, DUE + timedelta(days=7)):
        assert _run(session, app, day) == NOTHING
    assert _notes(session, learner) == []
    assert response.reminded_due_at is None and response.reminded_overdue_at is None


def test_a_held_conversation_overdue_reminds_the_manager_not_the_learner(
    session: Session, app: Flask
) -> None:
    manager = factories.user(session, name="Maria Chef")
    learner = factories.user(session, name="Lars Lärande", manager=manager)
    response = _follow_up(session, learner, kind="manager")
    answer_follow_up(session, learner, response, text="Vi har pratat.", now=COMPLETED)
    assert response.status == ResponseStatus.AWAITING_MANAGER
    assert _run(session, app, DUE) == NOTHING  # the learner has done their part
    week = DUE + timedelta(days=7)
    assert _run(session, app, week) == {"due": 0, "overdue": 0, "managers": 1}
    [note] = _notes(session, manager, "confirmation_overdue")
    assert "Lars Lärande" in note.title
    assert note.link == f"/uppgifter/svar/{response.id}"
    assert len(_mails(session, manager, "confirmation_overdue")) == 1
    assert _notes(session, learner, "follow_up_overdue") == []
    assert _notes(session, learner, "follow_up_due") == []
    assert _run(session, app, week) == NOTHING


def test_a_held_conversation_without_an_active_manager_waits_for_one(
    session: Session, app: Flask
) -> None:
    learner = factories.user(session)
    response = _follow_up(session, learner, kind="manager")
    answer_follow_up(session, learner, response, text="Vi har pratat.", now=COMPLETED)
    week = DUE + timedelta(days=7)
    assert _run(session, app, week) == NOTHING
    assert response.reminded_overdue_at is None
    manager = factories.user(session)
    learner.manager = manager
    session.flush()
    assert _run(session, app, week + timedelta(days=1)) == {"due": 0, "overdue": 0, "managers": 1}
    assert len(_notes(session, manager, "confirmation_overdue")) == 1


def test_a_follow_up_first_seen_long_overdue_gets_only_the_overdue_reminder(
    session: Session, app: Flask
) -> None:
    learner = factories.user(session)
    response = _follow_up(session, learner)
    late = DUE + timedelta(days=10)  # the job was down for ten days
    assert _run(session, app, late) == {"due": 0, "overdue": 1, "managers": 0}
    assert [note.kind for note in _notes(session, learner)] == ["follow_up_overdue"]
    assert len(_mails(session, learner, "follow_up_due")) == 0
    assert response.reminded_due_at == _at(late) == response.reminded_overdue_at
    assert _run(session, app, late + timedelta(days=1)) == NOTHING


def test_a_reminder_already_notified_is_marked_without_a_second_notification(
    session: Session, app: Flask
) -> None:
    learner = factories.user(session)
    response = _follow_up(session, learner)
    _run(session, app, DUE)
    response.reminded_due_at = None  # e.g. restored from an older backup
    session.flush()
    assert _run(session, app, DUE + timedelta(days=1)) == NOTHING
    assert response.reminded_due_at is not None
    assert len(_notes(session, learner, "follow_up_due")) == 1


def test_many_follow_ups_are_loaded_in_batches_in_id_order(
    session: Session, app: Flask, monkeypatch: pytest.MonkeyPatch, count_queries: Any
) -> None:
    monkeypatch.setattr(transfer_jobs, "BATCH_SIZE", 2)
    learners = [factories.user(session) for _ in range(5)]
    responses = [_follow_up(session, learner) for learner in learners]
    with count_queries() as counter:
        assert _run(session, app, DUE) == {"due": 5, "overdue": 0, "managers": 0}
    loads = [s for s in counter.statements if s.lstrip().startswith("SELECT task_responses.id")]
    assert len(loads) == 3  # batches of 2, 2 and 1
    notes = session.scalars(
        select(Notification).where(Notification.kind == "follow_up_due").order_by(Notification.id)
    )
    assert [note.dedupe_key for note in notes] == [
        f"follow-up-due:{response.id}" for response in responses
    ]


def test_the_job_is_registered_to_run_daily_at_eight_stockholm_time() -> None:
    spec = next(spec for spec in JOBS if spec.name == "send_transfer_reminders")
    assert spec.func is send_transfer_reminders
    assert spec.trigger == "cron" and spec.trigger_args == {"hour": 8, "minute": 0}
    trigger = build_trigger(spec)
    winter = trigger.get_next_fire_time(None, datetime(2027, 1, 27, tzinfo=UTC))
    summer = trigger.get_next_fire_time(None, datetime(2027, 6, 1, tzinfo=UTC))
    assert winter.astimezone(UTC) == datetime(2027, 1, 27, 7, 0, tzinfo=UTC)
    assert summer.astimezone(UTC) == datetime(2027, 6, 1, 6, 0, tzinfo=UTC)
