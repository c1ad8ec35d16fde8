"""Data retention: the job that deletes old job runs and old sent or failed mails."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from lms.core.jobs import JobContext
from lms.core.jobs_models import JobRun
from lms.core.outbox import MailStatus, OutboxEmail
from lms.core.scheduler import affected_rows

JOB_RUNS_KEEP = timedelta(days=30)
SENT_MAIL_KEEP = timedelta(days=90)
FAILED_MAIL_KEEP = timedelta(days=180)  # longer, so a delivery problem can still be traced


def cleanup_retention(ctx: JobContext) -> dict[str, int]:
    """Delete job runs older than 30 days, sent mails after 90 days, failed after 180."""
    runs = affected_rows(
        ctx.session, delete(JobRun).where(JobRun.started_at < ctx.now - JOB_RUNS_KEEP)
    )
    sent = affected_rows(
        ctx.session,
        delete(OutboxEmail).where(
            OutboxEmail.status == MailStatus.SENT, OutboxEmail.sent_at < ctx.now - SENT_MAIL_KEEP
        ),
    )
    # A failed mail has no failure time of its own; it counts from when it was queued.
    failed = affected_rows(
        ctx.session,
        delete(OutboxEmail).where(
            OutboxEmail.status == MailStatus.FAILED,
            OutboxEmail.created_at < ctx.now - FAILED_MAIL_KEEP,
        ),
    )
    return {"job_runs_deleted": runs, "sent_mails_deleted": sent, "failed_mails_deleted": failed}
