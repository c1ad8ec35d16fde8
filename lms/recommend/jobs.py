"""Scheduled jobs of the recommendations: the nightly full refresh and the stale refresh."""

from __future__ import annotations

from sqlalchemy import or_, select

from lms.accounts.models import User
from lms.core.jobs import JobContext
from lms.recommend.cache import refresh_users
from lms.recommend.models import RecommendationState


def refresh_recommendations(ctx: JobContext) -> dict[str, int]:
    """Recompute every active person's recommendations (nightly: sessions fill up, theme
    months begin and end, what a job role takes most moves, without any signal)."""
    return {"users": refresh_users(ctx.session, None, now=ctx.now, after_batch=ctx.session.commit)}


def refresh_stale_recommendations(ctx: JobContext) -> dict[str, int]:
    """Recompute the people marked stale and the active people never computed."""
    state = RecommendationState
    stale = ctx.session.scalars(
        select(User.id)
        .outerjoin(state, state.user_id == User.id)
        .where(
            User.is_active.is_(True),
            or_(state.user_id.is_(None), state.stale_since.is_not(None)),
        )
    )
    return {
        "users": refresh_users(
            ctx.session, list(stale), now=ctx.now, after_batch=ctx.session.commit
        )
    }
