"""Scheduled jobs of assessment: announcing rounds when they open, reminding before they close."""

from __future__ import annotations

from lms.assessment.round_announcements import announce_due_rounds, send_due_reminders
from lms.core.jobs import JobContext
from lms.core.time import local_date


def open_assessment_rounds(ctx: JobContext) -> dict[str, int]:
    """Tell the people of each round opening today (Stockholm) or earlier, and their managers.

    Each round is announced once (`announced_at`), each person told once (dedupe keys), so a
    late, repeated or concurrent run is harmless.
    """
    return announce_due_rounds(ctx.session, ctx.now, local_date(ctx.now))


def send_assessment_reminders(ctx: JobContext) -> dict[str, int]:
    """Remind people who have not submitted, 7 and 1 days before their round closes, once each."""
    return send_due_reminders(ctx.session, local_date(ctx.now))
