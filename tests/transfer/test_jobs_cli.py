"""`lms jobs run NAME --at WHEN`: running a job as if it were another time (Stockholm)."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.core.jobs_models import JobRun
from lms.core.scheduler_cli import LocalDateTime
from lms.core.time import STOCKHOLM, UTC
from lms.notify.models import Notification
from lms.progress.services import record_completion
from lms.transfer.models import TaskResponse
from tests import factories
from tests.catalog import factories as catalog
from tests.transfer import factories as transfer


def _runs(session: Session, name: str) -> list[JobRun]:
    session.expire_all()
    return list(session.scalars(select(JobRun).where(JobRun.job_name == name)))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2027-01-27T08:00", datetime(2027, 1, 27, 7, 0, tzinfo=UTC)),  # CET
        ("2027-06-01T08:00:30", datetime(2027, 6, 1, 6, 0, 30, tzinfo=UTC)),  # CEST
        ("2027-01-27", datetime(2027, 1, 26, 23, 0, tzinfo=UTC)),  # midnight in Stockholm
        ("2027-01-27T08:00+00:00", datetime(2027, 1, 27, 8, 0, tzinfo=UTC)),
        ("2027-01-27T08:00Z", datetime(2027, 1, 27, 8, 0, tzinfo=UTC)),
    ],
)
def test_at_is_stockholm_time_unless_it_carries_an_offset(raw: str, expected: datetime) -> None:
    parsed = LocalDateTime().convert(raw, None, None)
    assert parsed == expected and parsed.tzinfo == UTC


def test_jobs_run_at_runs_the_job_as_if_it_were_then(app: Flask, session: Session) -> None:
    learner = factories.user(session)
    activity = catalog.activity(session)
    transfer.task(session, activity, phase="follow_up", due_days=14)
    completed = datetime(2027, 1, 13, 10, 0, tzinfo=STOCKHOLM)
    record_completion(
        session,
        learner,
        occurrence_key=f"activity:{activity.id}",
        activity=activity,
        minutes=10,
        source="catalogue",
        completed_at=completed.astimezone(UTC),
    )
    session.commit()
    runner = app.test_cli_runner()
    args = ["lms", "jobs", "run", "send_transfer_reminders", "--at", "2027-01-27T08:00"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "send_transfer_reminders: succeeded run_key=2027-01-27T07:00:00+00:00"
    )
    assert "due=1" in result.output and "managers=0" in result.output
    [run] = _runs(session, "send_transfer_reminders")
    assert run.run_key == "2027-01-27T07:00:00+00:00" and run.status == "succeeded"
    response = session.scalars(select(TaskResponse).where(TaskResponse.user_id == learner.id)).one()
    assert response.reminded_due_at == datetime(2027, 1, 27, 7, 0, tzinfo=UTC)
    kinds = session.scalars(select(Notification.kind).where(Notification.user_id == learner.id))
    assert list(kinds) == ["follow_up_due"]
    # The same time again is the same run: recorded once, so it is skipped.
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "skipped" in again.output
    assert "this run has already run" in again.output
    assert len(_runs(session, "send_transfer_reminders")) == 1


def test_jobs_run_at_refuses_what_is_not_a_date_time(app: Flask, session: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=["lms", "jobs", "run", "cleanup_tokens", "--at", "next tuesday"]
    )
    assert result.exit_code == 2
    assert "is not an ISO date-time such as 2027-01-27T08:00" in result.output
    assert _runs(session, "cleanup_tokens") == []


def test_jobs_run_help_documents_at(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["lms", "jobs", "run", "--help"])
    assert result.exit_code == 0
    assert "--at DATETIME" in result.output and "Europe/Stockholm" in result.output
