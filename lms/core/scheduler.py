"""Runs registered jobs: a database lease per job and a unique key per scheduled run.

`run_job` is the one path every execution takes (the scheduler, `lms jobs run`, tests):
lease the job's `JobLock` with one conditional UPDATE, record the run under its unique
`(job_name, run_key)`, call the job, commit its work together with the outcome, release the
lease. Two scheduler processes on one database therefore never run the same scheduled run,
and a crashed holder's lease simply expires. `JobScheduler` puts APScheduler 3 around it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import Any, cast

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import CursorResult, Delete, Update, func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from lms.core.db import db
from lms.core.jobs import JobContext, JobSpec
from lms.core.jobs_models import JobLock, JobRun
from lms.core.time import STOCKHOLM, UTC, utcnow

log = logging.getLogger(__name__)

SUCCEEDED, FAILED, SKIPPED = "succeeded", "failed", "skipped"
MISFIRE_GRACE_SECONDS = 300  # a run may start this late (busy pool, paused process) and still run
# Interval triggers count from a fixed origin, so every process fires on the same grid.
INTERVAL_ORIGIN = datetime(2000, 1, 1, tzinfo=STOCKHOLM)
MAX_ERROR_CHARS = 4000


@dataclass(frozen=True)
class RunOutcome:
    """What became of one attempt to run a job for one scheduled time."""

    job_name: str
    run_key: str
    status: str  # succeeded | failed | skipped
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    reason: str = ""  # why it was skipped

    def describe(self) -> str:
        detail = self.reason if self.status == SKIPPED else format_counts(self.counts)
        return f"{self.job_name}: {self.status} run_key={self.run_key} {detail}".rstrip()


def worker_id() -> str:
    """This process as a lease holder: `host:pid`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_key_for(scheduled_at: datetime) -> str:
    """The key of a scheduled run: its time in UTC, ISO 8601 to the second."""
    return scheduled_at.astimezone(UTC).replace(microsecond=0).isoformat()


def format_counts(counts: Mapping[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in sorted(counts.items()))


def affected_rows(session: Session, statement: Update | Delete) -> int:
    """Run a bulk UPDATE or DELETE (no ORM synchronisation); how many rows it changed."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


def acquire_lease(session: Session, spec: JobSpec, worker: str, now: datetime) -> bool:
    """Take the job's lease for `spec.lease_seconds` unless a live holder has it; commits.

    One conditional UPDATE decides, so the database settles any race between processes.
    Whoever acquires also marks runs left `running` longer than a lease as `expired`.
    """
    _ensure_lock_row(session, spec.name)
    lease = timedelta(seconds=spec.lease_seconds)
    acquired = (
        affected_rows(
            session,
            update(JobLock)
            .where(
                JobLock.job_name == spec.name,
                or_(JobLock.holder.is_(None), JobLock.lease_until < now),
            )
            .values(holder=worker, lease_until=now + lease),
        )
        == 1
    )
    if acquired:
        affected_rows(
            session,
            update(JobRun)
            .where(
                JobRun.job_name == spec.name,
                JobRun.status == "running",
                JobRun.started_at < now - lease,
            )
            .values(status="expired", finished_at=now),
        )
    session.commit()
    return acquired


def _ensure_lock_row(session: Session, job_name: str) -> None:
    if session.scalar(select(JobLock.job_name).where(JobLock.job_name == job_name)) is not None:
        return
    session.add(JobLock(job_name=job_name))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # another process inserted it first: just as good


def release_lease(session: Session, job_name: str, worker: str) -> None:
    """Give the lease back (only if still ours); on failure it simply expires later."""
    try:
        session.rollback()  # whatever failed before must not block the release
        affected_rows(
            session,
            update(JobLock)
            .where(JobLock.job_name == job_name, JobLock.holder == worker)
            .values(holder=None, lease_until=None),
        )
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.exception("lease release failed job=%s worker=%s (it will expire)", job_name, worker)


def _start_run(session: Session, job_name: str, run_key: str, worker: str) -> int | None:
    """Record the run as running and commit; None when this run key has already run."""
    done = select(JobRun.id).where(JobRun.job_name == job_name, JobRun.run_key == run_key)
    if session.scalar(done) is not None:
        session.rollback()
        return None
    run = JobRun(job_name=job_name, run_key=run_key, status="running", worker=worker, result={})
    session.add(run)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # the unique (job_name, run_key): another process got there first
        return None
    return run.id


def _finish_run(
    session: Session, run_id: int, status: str, counts: dict[str, int], error: str | None
) -> None:
    affected_rows(
        session,
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(status=status, result=counts, error=error, finished_at=utcnow()),
    )
    session.commit()


def run_job(app: Flask, spec: JobSpec, scheduled_at: datetime, worker: str) -> RunOutcome:
    """Run `spec` for the run scheduled at `scheduled_at`, at most once across processes."""
    run_key = run_key_for(scheduled_at)
    with app.app_context():
        session = db.session()
        if not acquire_lease(session, spec, worker, utcnow()):
            log.info("job skipped job=%s run_key=%s reason=leased", spec.name, run_key)
            return RunOutcome(spec.name, run_key, SKIPPED, reason="another process holds the lease")
        try:
            run_id = _start_run(session, spec.name, run_key, worker)
            if run_id is None:
                log.info("job skipped job=%s run_key=%s reason=already-ran", spec.name, run_key)
                return RunOutcome(spec.name, run_key, SKIPPED, reason="this run has already run")
            log.info("job start job=%s run_key=%s worker=%s", spec.name, run_key, worker)
            return _execute(app, session, spec, scheduled_at, run_key, run_id)
        finally:
            release_lease(session, spec.name, worker)


def _execute(
    app: Flask, session: Session, spec: JobSpec, scheduled_at: datetime, run_key: str, run_id: int
) -> RunOutcome:
    context = JobContext(
        session=session,
        now=scheduled_at.astimezone(UTC),
        app=app,
        log=logging.getLogger(f"lms.jobs.{spec.name}"),
    )
    started = time.monotonic()
    try:
        counts = {str(key): int(value) for key, value in spec.func(context).items()}
        _finish_run(session, run_id, SUCCEEDED, counts, None)  # the job's work commits here
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        log.exception(
            "job failed job=%s run_key=%s duration_ms=%d error=%s",
            spec.name,
            run_key,
            (time.monotonic() - started) * 1000,
            error,
        )
        session.rollback()  # none of the failed run's work is kept
        _finish_run(session, run_id, FAILED, {}, error)
        return RunOutcome(spec.name, run_key, FAILED, error=error)
    log.info(
        "job end job=%s run_key=%s status=succeeded duration_ms=%d %s",
        spec.name,
        run_key,
        (time.monotonic() - started) * 1000,
        format_counts(counts),
    )
    return RunOutcome(spec.name, run_key, SUCCEEDED, counts)


def last_runs(session: Session) -> dict[str, JobRun]:
    """The latest recorded run of each job, by job name (one query)."""
    latest = select(func.max(JobRun.id)).group_by(JobRun.job_name)
    return {
        run.job_name: run for run in session.scalars(select(JobRun).where(JobRun.id.in_(latest)))
    }


def build_trigger(spec: JobSpec, interval_seconds: int | None = None) -> BaseTrigger:
    """The APScheduler trigger of a job, Europe/Stockholm; an interval override replaces it."""
    if interval_seconds is not None:
        return IntervalTrigger(
            seconds=interval_seconds, start_date=INTERVAL_ORIGIN, timezone=STOCKHOLM
        )
    if spec.trigger == "interval":
        return IntervalTrigger(
            **{"start_date": INTERVAL_ORIGIN, "timezone": STOCKHOLM, **spec.trigger_args}
        )
    if spec.trigger == "cron":
        return CronTrigger(**{"timezone": STOCKHOLM, **spec.trigger_args})
    raise ValueError(f"job {spec.name}: unknown trigger {spec.trigger!r} (interval or cron)")


def scheduled_time(trigger: BaseTrigger, now: datetime, lookback: timedelta) -> datetime | None:
    """The trigger's latest fire time at or before `now` (None if none within `lookback`).

    APScheduler 3 does not hand the scheduled time to the job, so the job derives it from
    its trigger. Cron fire times are calendar times and interval triggers count from
    INTERVAL_ORIGIN, so every process computes the same fire times; APScheduler never fires
    early and never later than the misfire grace time, so the latest fire time at or before
    the moment the job starts is the run it was fired for. (If a run starts so late that the
    next fire time has passed, it takes the newer key: that run is then done once, early
    enough, and the older one coalesced, as `coalesce=True` would do anyway.)
    """
    latest = None
    fire = trigger.get_next_fire_time(None, now - lookback)
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, now)
    return None if latest is None else latest.astimezone(UTC)


def unknown_job_names(specs: Sequence[JobSpec], names: Sequence[str]) -> list[str]:
    known = {spec.name for spec in specs}
    return sorted(name for name in names if name not in known)


class JobScheduler:
    """APScheduler (Europe/Stockholm) running each JobSpec through `run_job`.

    Embedded mode uses the background scheduler inside the web process; `lms scheduler`
    uses the blocking one as its own process. Either way every run takes the database
    lease, so any number of schedulers on one database run each scheduled run once.
    """

    def __init__(
        self,
        app: Flask,
        specs: Sequence[JobSpec],
        *,
        blocking: bool = False,
        intervals: Mapping[str, int] | None = None,
        worker: str | None = None,
    ) -> None:
        self.app = app
        self.worker = worker or worker_id()
        self.specs = {spec.name: spec for spec in specs}
        overrides = intervals or {}
        self.triggers = {spec.name: build_trigger(spec, overrides.get(spec.name)) for spec in specs}
        self._pool = ThreadPoolExecutor(max_workers=max(len(specs), 1))
        scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
        self._scheduler = scheduler_class(
            timezone=STOCKHOLM,
            executors={"default": self._pool},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            },
        )
        for name, trigger in self.triggers.items():
            self._scheduler.add_job(self.fire, trigger, args=(name,), id=name, name=name)

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def fire(self, name: str) -> RunOutcome | None:
        """What APScheduler calls: derive the scheduled run, then take the lease path."""
        now = utcnow()
        lookback = timedelta(seconds=MISFIRE_GRACE_SECONDS + 60)
        scheduled_at = scheduled_time(self.triggers[name], now, lookback)
        if scheduled_at is None:
            log.warning("job fired off its schedule job=%s now=%s", name, now.isoformat())
            scheduled_at = now
        try:
            return run_job(self.app, self.specs[name], scheduled_at, self.worker)
        except Exception:
            log.exception("job runner error job=%s (lease expires if held)", name)
            return None

    def start(self) -> None:
        """Start; the background scheduler returns at once, the blocking one on shutdown."""
        log.info(
            "scheduler started worker=%s jobs=%s",
            self.worker,
            ",".join(f"{name}:{trigger}" for name, trigger in self.triggers.items()),
        )
        self._scheduler.start()

    def shutdown(self, wait: bool = True) -> None:
        """Stop firing; with `wait`, let running jobs finish (and release their leases)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._pool.shutdown(wait=wait)
        log.info("scheduler stopped worker=%s", self.worker)

    def run_until_signalled(self) -> None:
        """Block running jobs until SIGTERM or SIGINT, then stop after running jobs finish."""

        def _stop(signum: int, _frame: FrameType | None) -> None:
            log.info("scheduler stopping signal=%s", signal.Signals(signum).name)
            if self._scheduler.running:
                self._scheduler.shutdown(wait=False)  # ends the blocking loop in start()

        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.shutdown(wait=True)
