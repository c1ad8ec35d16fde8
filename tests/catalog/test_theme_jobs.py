"""The hourly job: scheduled theme months publish themselves on their day and are told once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog import themes
from lms.catalog.jobs import publish_theme_months
from lms.catalog.models import ThemeMonth, ThemeStatus
from lms.core.jobs_models import JobRun
from lms.core.scheduler import build_trigger
from lms.jobs import JOBS
from tests import factories
from tests.catalog.theme_helpers import at, coordinator, job_context, notes, theme

NOVEMBER = date(2026, 11, 20)


def test_the_job_publishes_only_due_theme_months_and_tells_each_person_once(
    app: Flask, session: Session
) -> None:
    boss = coordinator(session)
    learner = factories.user(session, name="Fatima Ahmed")
    due = theme(session, boss, month=12, slug="ai-manad", title="AI-månaden")
    later = theme(session, boss, month=12, slug="klarsprak", title="Klarspråk")
    themes.schedule(session, boss, due, date(2026, 12, 1), NOVEMBER)
    themes.schedule(session, boss, later, date(2026, 12, 7), NOVEMBER)

    night_before = publish_theme_months(job_context(session, app, at(date(2026, 11, 30), 23, 5)))
    assert night_before == {"published": 0, "notified": 0}

    morning = at(date(2026, 12, 1), 0, 5)
    assert publish_theme_months(job_context(session, app, morning)) == {
        "published": 1,
        "notified": 2,
    }
    assert (due.status, due.published_at, due.announced_at) == (
        ThemeStatus.PUBLISHED,
        morning,
        morning,
    )
    assert later.status == ThemeStatus.SCHEDULED
    # The next hour, and a second run of the same hour, change nothing.
    for when in (at(date(2026, 12, 1), 1, 5), morning):
        again = publish_theme_months(job_context(session, app, when))
        assert again == {"published": 0, "notified": 0}
    [note] = notes(session, learner)
    assert note.title.endswith("AI-månaden") and note.link == "/teman/2026-12/ai-manad"


def test_the_job_announces_a_republished_theme_month_never_again(
    app: Flask, session: Session
) -> None:
    boss = coordinator(session)
    learner = factories.user(session)
    month = theme(session, boss, month=12)
    themes.schedule(session, boss, month, date(2026, 12, 1), NOVEMBER)
    publish_theme_months(job_context(session, app, at(date(2026, 12, 1))))
    themes.unpublish(session, boss, month)
    themes.schedule(session, boss, month, date(2026, 12, 3), date(2026, 12, 2))
    result = publish_theme_months(job_context(session, app, at(date(2026, 12, 3))))
    assert result == {"published": 1, "notified": 0}
    assert len(notes(session, learner)) == 1


def test_the_job_announces_a_theme_month_published_without_it(app: Flask, session: Session) -> None:
    """A theme month published some other way (an import) is announced on the next run."""
    learner = factories.user(session)
    imported = ThemeMonth(
        year=2026, month=12, slug="import", title="Importerad", status=ThemeStatus.PUBLISHED
    )
    session.add(imported)
    session.flush()
    result = publish_theme_months(job_context(session, app, at(date(2026, 12, 2))))
    assert result == {"published": 0, "notified": 1}
    assert imported.announced_at is not None and len(notes(session, learner)) == 1


def test_jobs_run_at_publishes_as_if_it_were_then(app: Flask, session: Session) -> None:
    boss = coordinator(session)
    learner = factories.user(session)
    month = theme(session, boss, month=12, title="Digital tillgänglighet")
    themes.schedule(session, boss, month, date(2026, 12, 1), NOVEMBER)
    session.commit()
    runner = app.test_cli_runner()
    args = ["lms", "jobs", "run", "publish_theme_months", "--at", "2026-12-01T06:00"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "publish_theme_months: succeeded run_key=2026-12-01T05:00:00+00:00"
    )
    assert "published=1" in result.output and "notified=2" in result.output
    session.expire_all()
    stored = session.get(ThemeMonth, month.id)
    assert stored is not None and stored.status == ThemeStatus.PUBLISHED
    assert stored.published_at == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert len(notes(session, learner)) == 1
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "skipped" in again.output
    runs = session.scalars(select(JobRun).where(JobRun.job_name == "publish_theme_months"))
    assert len(list(runs)) == 1


def test_the_job_runs_hourly_at_five_past() -> None:
    spec = next(spec for spec in JOBS if spec.name == "publish_theme_months")
    assert spec.func is publish_theme_months
    assert spec.trigger == "cron" and spec.trigger_args == {"minute": 5}
    trigger = build_trigger(spec)
    first = trigger.get_next_fire_time(None, datetime(2026, 12, 1, 5, 10, tzinfo=UTC))
    assert first.astimezone(UTC) == datetime(2026, 12, 1, 6, 5, tzinfo=UTC)
