"""The job runner: leases, run keys, outcomes, triggers, the commands and data retention."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from lms.config import ConfigError, load_settings, parse_job_intervals
from lms.core import scheduler as scheduler_module
from lms.core import scheduler_cli
from lms.core.db import db
from lms.core.jobs import JobContext, JobSpec
from lms.core.jobs_models import JobLock, JobRun
from lms.core.outbox import MailStatus, OutboxEmail, enqueue_email
from lms.core.retention import cleanup_retention
from lms.core.scheduler import (
    MISFIRE_GRACE_SECONDS,
    JobScheduler,
    acquire_lease,
    build_trigger,
    release_lease,
    run_job,
    run_key_for,
    scheduled_time,
    worker_id,
)
from lms.core.time import STOCKHOLM, UTC, utcnow
from lms.jobs import JOBS, registered_jobs

SCHEDULED = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
LOOKBACK = timedelta(seconds=MISFIRE_GRACE_SECONDS + 60)


def _mail_job(ctx: JobContext) -> dict[str, int]:
    enqueue_email(ctx.session, to="a@kultur.example.se", subject="s", body_text="b", kind="test")
    ctx.session.flush()
    return {"queued": 1}


def _failing_job(ctx: JobContext) -> dict[str, int]:
    _mail_job(ctx)
    raise RuntimeError("smtp exploded")


def _spec(func: Any = _mail_job, name: str = "test_mail") -> JobSpec:
    return JobSpec(name, func, "a test job", "interval", {"minutes": 1}, lease_seconds=60)


def _mails(session: Session) -> list[OutboxEmail]:
    return list(session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "test")))


def _runs(session: Session, name: str = "test_mail") -> list[JobRun]:
    session.expire_all()
    return list(session.scalars(select(JobRun).where(JobRun.job_name == name)))


def _lock(session: Session, name: str = "test_mail") -> JobLock | None:
    session.expire_all()
    return session.get(JobLock, name)


# --- run keys and triggers ------------------------------------------------------------


def test_run_key_is_the_scheduled_time_in_utc_to_the_second() -> None:
    local = datetime(2026, 3, 2, 7, 0, 0, 123456, tzinfo=STOCKHOLM)
    assert run_key_for(local) == "2026-03-02T06:00:00+00:00"


def test_interval_runs_sit_on_a_fixed_grid_so_every_process_derives_the_same_key() -> None:
    first = build_trigger(_spec(), interval_seconds=2)
    time.sleep(0.01)  # a second process builds its trigger a little later
    second = build_trigger(_spec(), interval_seconds=2)
    now = datetime(2026, 3, 2, 6, 0, 3, 400000, tzinfo=UTC)
    assert scheduled_time(first, now, LOOKBACK) == datetime(2026, 3, 2, 6, 0, 2, tzinfo=UTC)
    assert scheduled_time(second, now, LOOKBACK) == scheduled_time(first, now, LOOKBACK)
    minute = build_trigger(_spec())
    late = datetime(2026, 3, 2, 6, 0, 59, tzinfo=UTC)
    assert scheduled_time(minute, late, LOOKBACK) == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def test_cron_runs_in_stockholm_time_across_daylight_saving() -> None:
    digest = next(spec for spec in JOBS if spec.name == "send_weekly_digest")
    trigger = build_trigger(digest)
    winter = trigger.get_next_fire_time(None, datetime(2026, 3, 25, tzinfo=UTC))
    summer = trigger.get_next_fire_time(None, datetime(2026, 3, 31, tzinfo=UTC))
    assert winter.astimezone(UTC) == datetime(2026, 3, 30, 5, 0, tzinfo=UTC)  # 07:00 CEST
    assert summer.astimezone(UTC) == datetime(2026, 4, 6, 5, 0, tzinfo=UTC)
    fired = datetime(2026, 3, 30, 5, 0, 0, 300000, tzinfo=UTC)
    assert scheduled_time(trigger, fired, LOOKBACK) == datetime(2026, 3, 30, 5, 0, tzinfo=UTC)
    assert scheduled_time(trigger, fired + timedelta(hours=2), LOOKBACK) is None


def test_the_registry_has_the_catalogue_with_unique_names() -> None:
    names = [spec.name for spec in JOBS]
    assert names == [
        "send_outbox",
        "send_weekly_digest",
        "cleanup_tokens",
        "cleanup_retention",
        "send_session_reminders",
        "send_transfer_reminders",
        "publish_theme_months",
        "open_assessment_rounds",
        "send_assessment_reminders",
        "refresh_stale_recommendations",
        "refresh_recommendations",
        "rebuild_programme_summaries",
        "apply_retention",
    ]
    assert str(build_trigger(JOBS[0])) == "interval[0:01:00]"
    assert str(build_trigger(JOBS[2])) == "cron[hour='3', minute='15']"
    assert str(build_trigger(JOBS[3])) == "cron[hour='3', minute='30']"


def test_extra_test_jobs_are_loaded_only_in_test_mode(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LMS_EXTRA_JOBS", "tests.support.jobs:count_run")
    assert [spec.name for spec in registered_jobs(app)][-1] == "count_run"
    monkeypatch.setitem(app.config, "LMS", app.config["LMS"].with_overrides(env="embedded"))
    assert registered_jobs(app) == JOBS


def test_job_intervals_are_parsed_from_the_environment() -> None:
    raw = "send_outbox=2s, cleanup_tokens=1h,cleanup_retention=5m,send_weekly_digest=1d"
    assert parse_job_intervals(raw) == {
        "send_outbox": 2,
        "cleanup_tokens": 3600,
        "cleanup_retention": 300,
        "send_weekly_digest": 86400,
    }
    assert load_settings(environ={}).job_intervals == {}
    settings = load_settings(environ={"LMS_JOB_INTERVALS": "send_outbox=2s"})
    assert settings.job_intervals == {"send_outbox": 2}


@pytest.mark.parametrize("raw", ["send_outbox", "send_outbox=2", "send_outbox=0s", "x=1w"])
def test_a_bad_job_interval_is_a_clear_error(raw: str) -> None:
    with pytest.raises(ConfigError, match="LMS_JOB_INTERVALS"):
        load_settings(environ={"LMS_JOB_INTERVALS": raw})


# --- leases ---------------------------------------------------------------------------


def test_a_lease_is_granted_once_and_denied_while_held(app: Flask, session: Session) -> None:
    now = utcnow()
    assert acquire_lease(db.session(), _spec(), "host:1", now)
    assert not acquire_lease(db.session(), _spec(), "host:2", now + timedelta(seconds=30))
    lock = _lock(session)
    assert lock is not None and lock.holder == "host:1"
    assert lock.lease_until == now + timedelta(seconds=60)


def test_a_released_lease_can_be_taken_and_only_the_holder_releases(
    app: Flask, session: Session
) -> None:
    now = utcnow()
    assert acquire_lease(db.session(), _spec(), "host:1", now)
    release_lease(db.session(), "test_mail", "host:2")  # not the holder: nothing happens
    assert not acquire_lease(db.session(), _spec(), "host:2", now)
    release_lease(db.session(), "test_mail", "host:1")
    assert acquire_lease(db.session(), _spec(), "host:2", now)


def test_a_crashed_holders_lease_expires_and_its_run_is_marked_expired(
    app: Flask, session: Session
) -> None:
    crashed_at = utcnow() - timedelta(minutes=5)
    session.add(
        JobLock(
            job_name="test_mail", holder="dead:9", lease_until=crashed_at + timedelta(seconds=60)
        )
    )
    session.add(
        JobRun(
            job_name="test_mail",
            run_key="old",
            status="running",
            worker="dead:9",
            started_at=crashed_at,
        )
    )
    session.flush()
    outcome = run_job(app, _spec(), SCHEDULED, "host:1")
    assert outcome.status == "succeeded"
    statuses = {run.run_key: run.status for run in _runs(session)}
    assert statuses == {"old": "expired", run_key_for(SCHEDULED): "succeeded"}


# --- run_job --------------------------------------------------------------------------


def test_run_job_commits_the_jobs_work_and_records_the_run(app: Flask, session: Session) -> None:
    outcome = run_job(app, _spec(), SCHEDULED, "host:1")
    assert (outcome.status, outcome.counts) == ("succeeded", {"queued": 1})
    assert len(_mails(session)) == 1  # visible after run_job closed its session: committed
    [run] = _runs(session)
    assert (run.run_key, run.status, run.result, run.worker) == (
        "2026-03-02T06:00:00+00:00",
        "succeeded",
        {"queued": 1},
        "host:1",
    )
    assert run.finished_at is not None and run.error is None
    lock = _lock(session)
    assert lock is not None and lock.holder is None


def test_the_same_scheduled_run_twice_runs_once(app: Flask, session: Session) -> None:
    first = run_job(app, _spec(), SCHEDULED, "host:1")
    second = run_job(app, _spec(), SCHEDULED + timedelta(microseconds=5), "host:2")
    assert (first.status, second.status) == ("succeeded", "skipped")
    assert second.reason == "this run has already run"
    assert len(_mails(session)) == 1 and len(_runs(session)) == 1
    assert run_job(app, _spec(), SCHEDULED + timedelta(minutes=1), "host:2").status == "succeeded"


def test_a_run_inserted_concurrently_is_skipped_on_the_unique_key(
    app: Flask, session: Session
) -> None:
    def _race(flushing: Session, _context: Any, _instances: Any) -> None:
        # Another process records the same run between our check and our insert.
        if any(isinstance(obj, JobRun) for obj in flushing.new):
            values = {
                "job_name": "test_mail",
                "run_key": run_key_for(SCHEDULED),
                "status": "running",
            }
            flushing.connection().execute(
                insert(JobRun).values(worker="other:2", result={}, **values)
            )

    event.listen(db.session, "before_flush", _race)
    try:
        outcome = run_job(app, _spec(), SCHEDULED, "host:1")
    finally:
        event.remove(db.session, "before_flush", _race)
    assert (outcome.status, outcome.reason) == ("skipped", "this run has already run")
    assert _mails(session) == []
    lock = _lock(session)
    assert lock is not None and lock.holder is None


def test_a_job_leased_by_another_process_is_skipped(app: Flask, session: Session) -> None:
    session.add(
        JobLock(job_name="test_mail", holder="other:2", lease_until=utcnow() + timedelta(minutes=1))
    )
    session.flush()
    outcome = run_job(app, _spec(), SCHEDULED, "host:1")
    assert (outcome.status, outcome.reason) == ("skipped", "another process holds the lease")
    assert _mails(session) == [] and _runs(session) == []
    lock = _lock(session)
    assert lock is not None and lock.holder == "other:2"


def test_a_failing_job_rolls_back_records_the_error_and_releases_the_lease(
    app: Flask, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lms.core.scheduler"):
        outcome = run_job(app, _spec(_failing_job), SCHEDULED, "host:1")
    assert (outcome.status, outcome.error) == ("failed", "RuntimeError: smtp exploded")
    assert _mails(session) == []  # the job's flushed work was rolled back
    [run] = _runs(session)
    assert (run.status, run.error, run.result) == ("failed", "RuntimeError: smtp exploded", {})
    lock = _lock(session)
    assert lock is not None and lock.holder is None
    messages = [record.getMessage() for record in caplog.records]
    assert any(
        m.startswith("job start job=test_mail run_key=2026-03-02T06:00:00") for m in messages
    )
    assert any("job failed job=test_mail" in m and "smtp exploded" in m for m in messages)


def test_a_job_sees_the_scheduled_time_as_now(app: Flask, session: Session) -> None:
    seen: list[datetime] = []

    def _remember(ctx: JobContext) -> dict[str, int]:
        seen.append(ctx.now)
        return {}

    run_job(app, _spec(_remember), datetime(2026, 3, 2, 7, 0, tzinfo=STOCKHOLM), "host:1")
    assert seen == [SCHEDULED] and seen[0].tzinfo == UTC


# --- the scheduler --------------------------------------------------------------------


@pytest.fixture
def recorded_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, datetime]]]:
    """Replace run_job in the scheduler with a recorder (no database from other threads)."""
    calls: list[tuple[str, datetime]] = []

    def _record(app: Flask, spec: JobSpec, scheduled_at: datetime, worker: str) -> None:
        calls.append((spec.name, scheduled_at))

    monkeypatch.setattr(scheduler_module, "run_job", _record)
    yield calls


def test_the_scheduler_adds_each_job_with_coalescing_and_one_instance(app: Flask) -> None:
    jobs = JobScheduler(app, JOBS, intervals={"send_outbox": 2}, worker="host:1")
    jobs._scheduler.start(paused=True)  # job defaults apply once the scheduler has started
    try:
        added = {job.id: job for job in jobs._scheduler.get_jobs()}
    finally:
        jobs.shutdown()
    assert set(added) == {spec.name for spec in JOBS}
    outbox = added["send_outbox"]
    assert (outbox.coalesce, outbox.max_instances) == (True, 1)
    assert outbox.misfire_grace_time == MISFIRE_GRACE_SECONDS
    assert str(outbox.trigger) == "interval[0:00:02]"
    assert str(jobs._scheduler.timezone) == "Europe/Stockholm"


def test_the_embedded_scheduler_fires_jobs_in_process_on_the_grid(
    app: Flask, recorded_runs: list[tuple[str, datetime]]
) -> None:
    jobs = JobScheduler(app, [_spec()], intervals={"test_mail": 1}, worker="host:1")
    jobs.start()
    try:
        deadline = time.monotonic() + 5
        while not recorded_runs and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        jobs.shutdown()
    assert not jobs.running
    name, scheduled_at = recorded_runs[0]
    assert name == "test_mail" and scheduled_at.microsecond == 0 and scheduled_at.tzinfo == UTC


def test_creating_the_app_starts_no_scheduler(app: Flask) -> None:
    assert "APScheduler" not in {thread.name for thread in threading.enumerate()}


def test_worker_id_names_host_and_process() -> None:
    host, pid = worker_id().rsplit(":", 1)
    assert host and int(pid) > 0


# --- commands -------------------------------------------------------------------------


def test_jobs_list_shows_trigger_next_run_and_last_run(app: Flask, session: Session) -> None:
    session.add(
        JobRun(
            job_name="cleanup_tokens",
            run_key="k",
            status="succeeded",
            started_at=datetime(2026, 3, 2, 2, 15, tzinfo=UTC),
            result={"tokens_deleted": 3},
        )
    )
    session.flush()
    result = app.test_cli_runner().invoke(args=["lms", "jobs", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert set(lines) == {
        "send_outbox",
        "send_weekly_digest",
        "cleanup_tokens",
        "cleanup_retention",
        "send_session_reminders",
        "send_transfer_reminders",
        "publish_theme_months",
        "open_assessment_rounds",
        "send_assessment_reminders",
        "refresh_stale_recommendations",
        "refresh_recommendations",
        "rebuild_programme_summaries",
        "apply_retention",
    }
    assert "interval[0:01:00]" in lines["send_outbox"] and "never run" in lines["send_outbox"]
    assert "succeeded 2026-03-02 03:15:00 tokens_deleted=3" in lines["cleanup_tokens"]
    assert "cron[day_of_week='mon', hour='7', minute='0']" in lines["send_weekly_digest"]


def test_jobs_run_runs_one_job_through_the_lease_and_prints_counts(
    app: Flask, session: Session
) -> None:
    result = app.test_cli_runner().invoke(args=["lms", "jobs", "run", "cleanup_tokens"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("cleanup_tokens: succeeded run_key=")
    assert "tokens_deleted=0" in result.output
    [run] = _runs(session, "cleanup_tokens")
    assert run.status == "succeeded"


def test_jobs_run_refuses_an_unknown_job_and_fails_on_a_failing_one(
    app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["lms", "jobs", "run", "send_everything"])
    assert unknown.exit_code == 2 and "unknown job send_everything" in unknown.output
    monkeypatch.setenv("LMS_EXTRA_JOBS", "tests.support.jobs:fail_run")
    failed = runner.invoke(args=["lms", "jobs", "run", "fail_run"])
    assert failed.exit_code == 1
    assert "fail_run: failed" in failed.output
    assert "RuntimeError: fail_run always fails" in failed.output


def test_the_scheduler_command_refuses_unknown_names(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = app.test_cli_runner()
    only = runner.invoke(args=["lms", "scheduler", "--only", "nope"])
    assert only.exit_code == 2 and "unknown job nope" in only.output
    settings = app.config["LMS"].with_overrides(job_intervals={"send_outbx": 2})
    monkeypatch.setitem(app.config, "LMS", settings)
    typo = runner.invoke(args=["lms", "scheduler"])
    assert typo.exit_code == 2 and "LMS_JOB_INTERVALS names unknown job send_outbx" in typo.output


def test_serve_starts_the_scheduler_in_process_then_serves(
    app: Flask, monkeypatch: pytest.MonkeyPatch, recorded_runs: list[tuple[str, datetime]]
) -> None:
    served: list[dict[str, Any]] = []

    def _fake_run_simple(host: str, port: int, application: Flask, **options: Any) -> None:
        running = "APScheduler" in {thread.name for thread in threading.enumerate()}
        served.append(
            {"host": host, "port": port, "app": application, "running": running, **options}
        )

    monkeypatch.setattr(scheduler_cli, "run_simple", _fake_run_simple)
    result = app.test_cli_runner().invoke(args=["lms", "serve", "--port", "5055"])
    assert result.exit_code == 0, result.output
    [call] = served
    assert (call["host"], call["port"], call["app"], call["running"]) == (
        "127.0.0.1",
        5055,
        app,
        True,
    )
    assert call["use_reloader"] is False


# --- data retention -------------------------------------------------------------------


def _mail(session: Session, status: str, created: datetime, sent: datetime | None) -> OutboxEmail:
    mail = OutboxEmail(
        to_address="x@kultur.example.se",
        subject="s",
        body_text="b",
        kind="retention",
        status=status,
        created_at=created,
        sent_at=sent,
    )
    session.add(mail)
    return mail


def test_retention_deletes_old_runs_and_old_sent_or_failed_mails(
    app: Flask, session: Session
) -> None:
    now = datetime(2026, 6, 1, 3, 30, tzinfo=UTC)
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    for key, started in {"old": days(31), "recent": days(29)}.items():
        session.add(
            JobRun(job_name="retention_test", run_key=key, status="succeeded", started_at=started)
        )
    keep = [
        _mail(session, MailStatus.SENT, days(100), days(89)),
        _mail(session, MailStatus.FAILED, days(179), None),
        _mail(session, MailStatus.PENDING, days(400), None),
    ]
    _mail(session, MailStatus.SENT, days(100), days(91))
    _mail(session, MailStatus.FAILED, days(181), None)
    session.flush()
    ctx = JobContext(session=session, now=now, app=app, log=logging.getLogger("test"))
    counts = cleanup_retention(ctx)
    assert counts == {"job_runs_deleted": 1, "sent_mails_deleted": 1, "failed_mails_deleted": 1}
    session.expire_all()
    runs = session.scalars(select(JobRun.run_key).where(JobRun.job_name == "retention_test"))
    assert list(runs) == ["recent"]
    left = session.scalars(select(OutboxEmail.id).where(OutboxEmail.kind == "retention"))
    assert sorted(left) == sorted(mail.id for mail in keep)
