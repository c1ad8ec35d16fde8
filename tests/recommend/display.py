"""Display test helpers: cache rows written directly, as a fresh refresh would leave them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity
from lms.core.time import utcnow
from lms.framework.models import Competence
from lms.recommend.data import Reason
from lms.recommend.models import Recommendation, RecommendationState

PRIVACY = ("4.2", "Skydda personuppgifter och integritet")


def gap(code: str = PRIVACY[0], name: str = PRIVACY[1], assessed: int = 2) -> Reason:
    return Reason(
        "gap",
        {
            "competence_code": code,
            "competence_name": name,
            "assessed": assessed,
            "expected": 3,
            "role": "Bibliotekarie",
            "agreed": 0,
        },
    )


def theme(title: str = "Informationssäkerhet") -> Reason:
    return Reason("theme", {"theme": title})


def short(minutes: int = 10) -> Reason:
    return Reason("short", {"minutes": minutes})


def cache(
    session: Session,
    user: User,
    activities: Sequence[Activity],
    *,
    reasons: Sequence[Sequence[Reason]] | None = None,
    competence: Competence | None = None,
    now: datetime | None = None,
) -> list[Recommendation]:
    """Replace `user`'s cache with `activities` in this order, and mark it fresh, so the
    pages show exactly these (no refresh runs)."""
    now = now or utcnow()
    session.execute(delete(Recommendation).where(Recommendation.user_id == user.id))
    rows = []
    for position, activity in enumerate(activities, start=1):
        why = reasons[position - 1] if reasons is not None else (gap(), short())
        rows.append(
            Recommendation(
                user_id=user.id,
                activity_id=activity.id,
                position=position,
                score=100.0 - position,
                competence_id=competence.id if competence is not None else None,
                reasons=[reason.to_json() for reason in why],
                computed_at=now,
            )
        )
    session.add_all(rows)
    state = session.get(RecommendationState, user.id)
    if state is None:
        session.add(RecommendationState(user_id=user.id, refreshed_at=now, stale_since=None))
    else:
        state.refreshed_at, state.stale_since = now, None
    session.flush()
    return rows
