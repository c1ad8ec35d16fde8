"""Scheduled jobs of the accounts domain."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from lms.accounts.models import AuthToken
from lms.core.jobs import JobContext
from lms.core.scheduler import affected_rows

TOKEN_KEEP = timedelta(days=7)  # used or expired tokens stay a week, for support questions


def cleanup_tokens(ctx: JobContext) -> dict[str, int]:
    """Delete reset and invitation tokens used or expired more than a week ago."""
    cutoff = ctx.now - TOKEN_KEEP
    deleted = affected_rows(
        ctx.session,
        delete(AuthToken).where(or_(AuthToken.used_at < cutoff, AuthToken.expires_at < cutoff)),
    )
    return {"tokens_deleted": deleted}
