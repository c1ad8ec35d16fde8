"""The `lms scheduler`, `lms jobs list|run` and `lms serve` commands over a job registry.

Core cannot import the registry (`lms/jobs.py` sits above every domain), so `lms/cli.py`
passes it in: `scheduler_commands(registered_jobs)` returns the commands to attach.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Sequence
from datetime import datetime

import click
from flask import Flask, current_app
from werkzeug.serving import run_simple

from lms.core.db import db
from lms.core.jobs import JobSpec
from lms.core.jobs_models import JobRun
from lms.core.scheduler import (
    FAILED,
    SUCCEEDED,
    JobScheduler,
    build_trigger,
    format_counts,
    last_runs,
    run_job,
    unknown_job_names,
    worker_id,
)
from lms.core.time import STOCKHOLM, UTC, to_local, utcnow

JobsLoader = Callable[[Flask], Sequence[JobSpec]]
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def scheduler_commands(load_jobs: JobsLoader) -> list[click.Command]:
    """The scheduler commands, reading the registry through `load_jobs(app)`."""

    @click.command("scheduler")
    @click.option("--only", multiple=True, metavar="NAME", help="Run only this job (repeatable).")
    def scheduler_command(only: tuple[str, ...]) -> None:
        """Run the scheduled jobs in this process until SIGTERM/SIGINT (production)."""
        app = _app()
        specs = load_jobs(app)
        intervals = _intervals(app, specs)
        selected = _select(specs, only)
        _configure_logging()
        jobs = JobScheduler(app, selected, blocking=True, intervals=intervals)
        jobs.run_until_signalled()

    @click.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    def serve_command(host: str, port: int) -> None:
        """Serve the app with the jobs running in-process (embedded mode, one process)."""
        app = _app()
        specs = load_jobs(app)
        intervals = _intervals(app, specs)
        _configure_logging()
        serve(app, JobScheduler(app, specs, intervals=intervals), host, port)

    @click.group("jobs")
    def jobs_group() -> None:
        """Inspect and run the scheduled jobs."""

    @jobs_group.command("list")
    def list_command() -> None:
        """Each job with its trigger, next run time and last run."""
        app = _app()
        for line in job_lines(app, load_jobs(app)):
            click.echo(line)

    @jobs_group.command("run")
    @click.argument("name")
    @click.option(
        "--at",
        "at",
        type=LocalDateTime(),
        metavar="DATETIME",
        help=(
            "Run the job as if it were then: an ISO date-time such as 2027-01-27T08:00, "
            "Europe/Stockholm time unless it carries an offset. The job sees it as its "
            "scheduled time (ctx.now) and the run is recorded under it, so a time that "
            "has already run is skipped."
        ),
    )
    def run_command(name: str, at: datetime | None) -> None:
        """Run one job now, through the same lease as the scheduler; prints its counts.

        With --at the job runs as if it were that time (for operators catching up on a
        missed run, and for tests); the lease is still taken at the real time.
        """
        app = _app()
        spec = _select(load_jobs(app), (name,))[0]
        outcome = run_job(app, spec, at or utcnow(), worker_id())
        click.echo(outcome.describe())
        if outcome.status == FAILED:
            click.echo(f"error: {outcome.error}", err=True)
        if outcome.status != SUCCEEDED:
            click.get_current_context().exit(1)

    return [scheduler_command, serve_command, jobs_group]


class LocalDateTime(click.ParamType):
    """An ISO 8601 date-time, Europe/Stockholm when naive; converted to aware UTC."""

    name = "datetime"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not an ISO date-time such as 2027-01-27T08:00", param, ctx)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=STOCKHOLM)
        return moment.astimezone(UTC)


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def _configure_logging() -> None:
    # Test-mode apps leave logging alone; a scheduler process must still say what it does.
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own lines say it all


def _select(specs: Sequence[JobSpec], names: Sequence[str]) -> list[JobSpec]:
    unknown = unknown_job_names(specs, names)
    if unknown:
        known = ", ".join(spec.name for spec in specs)
        raise click.UsageError(f"unknown job {', '.join(unknown)} (known: {known})")
    return [spec for spec in specs if not names or spec.name in names]


def _intervals(app: Flask, specs: Sequence[JobSpec]) -> dict[str, int]:
    intervals: dict[str, int] = dict(app.config["LMS"].job_intervals)
    unknown = unknown_job_names(specs, list(intervals))
    if unknown:
        raise click.UsageError(f"LMS_JOB_INTERVALS names unknown job {', '.join(unknown)}")
    return intervals


def serve(app: Flask, scheduler: JobScheduler, host: str, port: int) -> None:
    """Start the in-process scheduler, then serve until Ctrl-C or SIGTERM (no reloader)."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop as Ctrl-C does
    scheduler.start()
    try:
        run_simple(host, port, app, use_reloader=False, use_debugger=app.debug, threaded=True)
    finally:
        scheduler.shutdown()
        signal.signal(signal.SIGTERM, previous)


def job_lines(app: Flask, specs: Sequence[JobSpec]) -> list[str]:
    """`lms jobs list`: name, trigger, next run (Stockholm) and the last run of each job."""
    intervals = app.config["LMS"].job_intervals
    runs = last_runs(db.session())
    now = utcnow()
    lines = [f"{'JOB':<24} {'TRIGGER':<48} {'NEXT RUN':<20} LAST RUN"]
    for spec in specs:
        trigger = build_trigger(spec, intervals.get(spec.name))
        upcoming = trigger.get_next_fire_time(None, now)
        next_run = to_local(upcoming).strftime("%Y-%m-%d %H:%M %Z") if upcoming else "never"
        last = _describe_run(runs.get(spec.name))
        lines.append(f"{spec.name:<24} {trigger!s:<48} {next_run:<20} {last}")
    return lines


def _describe_run(run: JobRun | None) -> str:
    if run is None:
        return "never run"
    started = to_local(run.started_at).strftime("%Y-%m-%d %H:%M:%S")
    detail = run.error.splitlines()[0][:80] if run.error else format_counts(run.result or {})
    return f"{run.status} {started} {detail}".rstrip()
