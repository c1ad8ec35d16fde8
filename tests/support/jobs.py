"""Real `lms scheduler` processes for tests, and a test job that records each execution.

    url = sibling_database("mine"); reset_postgres(url); migrate.upgrade(url)
    ensure_executions_table(url)
    report = run_schedulers(url, tmp_path, seconds=20, intervals="count_run=2s",
                            only=("count_run",), extra_jobs="tests.support.jobs:count_run")
    executions = read_executions(url)          # one row per execution of count_run

`run_schedulers` starts N `python -m flask --app wsgi lms scheduler` processes (LMS_ENV=test),
waits until each has logged that it started, lets them run for `seconds`, stops them with
SIGTERM and reports their exit codes, whether all were alive until then, and their logs.
For a real job (`send_outbox`), pass `only=("send_outbox",)`, `intervals="send_outbox=2s"`,
`extra_jobs=""` and whatever LMS_* settings it needs in `env`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from lms.config import REPO_ROOT
from lms.core.db import UTCDateTime, make_engine
from lms.core.jobs import JobContext
from lms.core.scheduler import run_key_for
from lms.core.time import utcnow

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
STARTED_LINE = "scheduler started"
START_TIMEOUT = 60.0

executions = Table(
    "test_job_executions",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("job_name", String(100), nullable=False),
    Column("run_key", String(100), nullable=False),  # deliberately not unique: we count
    Column("worker", String(200), nullable=False),
    Column("executed_at", UTCDateTime(), nullable=False),
)


def count_run(ctx: JobContext) -> dict[str, int]:
    """A test job: one row in `test_job_executions` per execution (with the runner's commit)."""
    executions.create(ctx.session.connection(), checkfirst=True)
    ctx.session.execute(
        insert(executions).values(
            job_name="count_run",
            run_key=run_key_for(ctx.now),
            worker=f"{socket.gethostname()}:{os.getpid()}",
            executed_at=utcnow(),
        )
    )
    return {"recorded": 1}


def fail_run(ctx: JobContext) -> dict[str, int]:
    """A test job that always fails (for `lms jobs run` and failure handling)."""
    raise RuntimeError("fail_run always fails")


def ensure_executions_table(url: str) -> None:
    engine = make_engine(url)
    try:
        executions.create(engine, checkfirst=True)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Execution:
    run_key: str
    worker: str


def read_executions(url: str) -> list[Execution]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(executions.c.run_key, executions.c.worker).order_by(executions.c.id)
            )
            return [Execution(row.run_key, row.worker) for row in rows]
    finally:
        engine.dispose()


@dataclass
class SchedulerReport:
    """What `run_schedulers` saw: when all had started, when they were stopped, and how."""

    ready_at: datetime  # when the first process had started its scheduler
    all_ready_at: datetime  # when the last one had
    stopped_at: datetime  # just before SIGTERM
    alive_until_stop: list[bool]
    return_codes: list[int | None]
    logs: list[str]
    pids: list[int]


def scheduler_env(url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a scheduler process on `url` in test mode."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LMS_")}
    env.update(
        LMS_ENV="test",
        LMS_DATABASE_URL=url,
        LMS_INSTANCE_PATH=str(instance),
        LMS_SECRET_KEY=TEST_SECRET,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start_scheduler(
    env: dict[str, str], only: tuple[str, ...], log: Path
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "scheduler"]
    for name in only:
        command += ["--only", name]
    with log.open("wb") as output:
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _wait_started(procs: list[subprocess.Popen[bytes]], logs: list[Path]) -> list[datetime]:
    started: dict[int, datetime] = {}
    deadline = time.monotonic() + START_TIMEOUT
    while len(started) < len(procs) and time.monotonic() < deadline:
        for index, log in enumerate(logs):
            if index not in started and STARTED_LINE in log.read_text(errors="replace"):
                started[index] = utcnow()
            if procs[index].poll() is not None:
                raise RuntimeError(f"scheduler {index} exited early:\n{log.read_text()}")
        time.sleep(0.05)
    if len(started) < len(procs):
        raise RuntimeError("schedulers did not start in time:\n" + _read(logs))
    return sorted(started.values())


def _read(logs: list[Path]) -> str:
    return "\n".join(log.read_text(errors="replace") for log in logs)


def run_schedulers(
    url: str,
    folder: Path,
    *,
    seconds: float,
    intervals: str,
    only: tuple[str, ...],
    extra_jobs: str = "tests.support.jobs:count_run",
    processes: int = 2,
    env: dict[str, str] | None = None,
) -> SchedulerReport:
    """Run `processes` scheduler processes on `url` for `seconds` after all have started."""
    instance = folder / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    settings = {"LMS_JOB_INTERVALS": intervals, "LMS_EXTRA_JOBS": extra_jobs, **(env or {})}
    logs = [folder / f"scheduler-{index}.log" for index in range(processes)]
    procs = [start_scheduler(scheduler_env(url, instance, **settings), only, log) for log in logs]
    try:
        started = _wait_started(procs, logs)
        time.sleep(seconds)
        alive = [proc.poll() is None for proc in procs]
        stopped_at = utcnow()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = [_wait(proc) for proc in procs]
    return SchedulerReport(
        ready_at=started[0],
        all_ready_at=started[-1],
        stopped_at=stopped_at,
        alive_until_stop=alive,
        return_codes=codes,
        logs=[log.read_text(errors="replace") for log in logs],
        pids=[proc.pid for proc in procs],
    )


def _wait(proc: subprocess.Popen[bytes]) -> int | None:
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None
