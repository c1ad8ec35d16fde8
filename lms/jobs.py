"""The one job registry: every scheduled job, when it runs (Europe/Stockholm) and what it calls.

Adding a job (later issues):

1. Write it as a plain function in the `jobs.py` of the domain that owns it:
   `def refresh_recommendations(ctx: JobContext) -> dict[str, int]` — it works through
   `ctx.session` (add/flush; the runner commits once, or rolls back on error), treats
   `ctx.now` (the scheduled time, aware UTC) as "now", and returns counts to log and record.
2. Add one `JobSpec` to `JOBS` below: a unique name, the function, a one-line description,
   the trigger (`"interval"` with e.g. `{"minutes": 5}`, or `"cron"` with e.g.
   `{"hour": 4, "minute": 0}`) and, for runs that may take longer than ten minutes, a
   `lease_seconds` longer than the longest run.

`lms scheduler` (production) and `lms serve` (embedded) then run it, `lms jobs list` shows it,
`lms jobs run NAME` runs it now (`--at 2027-01-27T08:00`: as if it were then);
`LMS_JOB_INTERVALS=NAME=30s` overrides its schedule.

With `LMS_ENV=test` only, `LMS_EXTRA_JOBS=module:function[,…]` adds test jobs (each named
after its function, every minute unless LMS_JOB_INTERVALS says otherwise), so tests can
count executions in real scheduler processes (see tests/support/jobs.py).
"""

from __future__ import annotations

import importlib
import os

from flask import Flask

from lms.accounts.jobs import cleanup_tokens
from lms.assessment.jobs import open_assessment_rounds, send_assessment_reminders
from lms.catalog.jobs import publish_theme_months
from lms.core.jobs import JobFunction, JobSpec
from lms.core.outbox_sender import send_outbox
from lms.core.retention import cleanup_retention
from lms.notify.jobs import send_weekly_digest
from lms.privacy.retention import apply_retention_job
from lms.progress.jobs import send_session_reminders
from lms.recommend.jobs import refresh_recommendations, refresh_stale_recommendations
from lms.reports.jobs import rebuild_programme_summaries
from lms.transfer.jobs import send_transfer_reminders

JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        name="send_outbox",
        func=send_outbox,
        description="Send the mails waiting in the outbox",
        trigger="interval",
        trigger_args={"minutes": 1},
    ),
    JobSpec(
        name="send_weekly_digest",
        func=send_weekly_digest,
        description="Mail the weekly digest of notifications",
        trigger="cron",
        trigger_args={"day_of_week": "mon", "hour": 7, "minute": 0},
    ),
    JobSpec(
        name="cleanup_tokens",
        func=cleanup_tokens,
        description="Delete reset and invitation tokens used or expired over a week ago",
        trigger="cron",
        trigger_args={"hour": 3, "minute": 15},
    ),
    JobSpec(
        name="cleanup_retention",
        func=cleanup_retention,
        description="Delete old job runs and old sent or failed mails",
        trigger="cron",
        trigger_args={"hour": 3, "minute": 30},
    ),
    JobSpec(
        name="send_session_reminders",
        func=send_session_reminders,
        description="Remind booked people of the sessions that start tomorrow",
        trigger="cron",
        trigger_args={"hour": 8, "minute": 0},
    ),
    JobSpec(
        name="send_transfer_reminders",
        func=send_transfer_reminders,
        description="Remind people of follow-up tasks due today and a week overdue",
        trigger="cron",
        trigger_args={"hour": 8, "minute": 0},
    ),
    JobSpec(
        name="publish_theme_months",
        func=publish_theme_months,
        description="Publish the theme months scheduled for today and tell their audiences",
        trigger="cron",
        trigger_args={"minute": 5},
    ),
    JobSpec(
        name="open_assessment_rounds",
        func=open_assessment_rounds,
        description="Tell people and their managers when an assessment round opens",
        trigger="cron",
        trigger_args={"minute": 10},
    ),
    JobSpec(
        name="send_assessment_reminders",
        func=send_assessment_reminders,
        description="Remind people who have not submitted, 7 and 1 days before a round closes",
        trigger="cron",
        trigger_args={"hour": 8, "minute": 0},
    ),
    JobSpec(
        name="refresh_stale_recommendations",
        func=refresh_stale_recommendations,
        description="Recompute the recommendations of people whose needs or activities changed",
        trigger="interval",
        trigger_args={"minutes": 5},
    ),
    JobSpec(
        name="refresh_recommendations",
        func=refresh_recommendations,
        description="Recompute every active person's recommendations",
        trigger="cron",
        trigger_args={"hour": 3, "minute": 45},
        lease_seconds=1800,
    ),
    JobSpec(
        name="rebuild_programme_summaries",
        func=rebuild_programme_summaries,
        description="Rebuild every programme's ESF summary from its completions",
        trigger="cron",
        trigger_args={"hour": 4, "minute": 10},
        lease_seconds=1800,
    ),
    JobSpec(
        name="apply_retention",
        func=apply_retention_job,
        description="Delete assessments, plans, completions and logs past their retention",
        trigger="cron",
        trigger_args={"hour": 3, "minute": 35},
        lease_seconds=1800,
    ),
)


def registered_jobs(app: Flask) -> tuple[JobSpec, ...]:
    """The jobs this app runs: JOBS, plus LMS_EXTRA_JOBS when LMS_ENV=test."""
    if app.config["LMS"].env != "test":
        return JOBS
    targets = os.environ.get("LMS_EXTRA_JOBS", "").split(",")
    return JOBS + tuple(_test_job(target.strip()) for target in targets if target.strip())


def _test_job(target: str) -> JobSpec:
    module_name, _, function_name = target.partition(":")
    function: JobFunction = getattr(importlib.import_module(module_name), function_name)
    return JobSpec(
        name=function_name,
        func=function,
        description=f"test job {target}",
        trigger="interval",
        trigger_args={"minutes": 1},
        lease_seconds=60,
    )
