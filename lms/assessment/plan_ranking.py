"""A hook that orders the activities matching each goal of a development plan.

Assessment sits below recommend, so the plan page cannot call the recommendation engine
itself: `lms/app.py` registers recommend's ranking here (as the outbox's unsubscribe URL is
registered), and without one the plan page keeps the catalogue's order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from lms.assessment.models import Assessment, DevelopmentPlan

EXTENSION = "lms_plan_goal_ranking"


@dataclass(frozen=True)
class GoalSuggestion:
    """An activity suggested for a goal, with the strongest reason in words (or None)."""

    activity_id: int
    reason: str | None = None


# (session, assessment, its plan, now, whether the viewer is the plan's owner)
#   → goal id → suggestions, best first, ranked for the plan's owner (never the viewer)
GoalRanking = Callable[
    [Session, Assessment, DevelopmentPlan, datetime, bool], Mapping[int, Sequence[GoalSuggestion]]
]


def register_goal_ranking(app: Flask, ranking: GoalRanking) -> None:
    """Let a higher package (recommend) rank the activities for each goal of a plan."""
    app.extensions[EXTENSION] = ranking


def rank_goal_activities(
    session: Session,
    assessment: Assessment,
    plan: DevelopmentPlan,
    now: datetime,
    *,
    for_owner: bool,
) -> dict[int, list[GoalSuggestion]]:
    """Goal id → suggested activities, best first; empty when no ranking is registered."""
    ranking: GoalRanking | None = (
        current_app.extensions.get(EXTENSION) if has_app_context() else None
    )
    if ranking is None:
        return {}
    found = ranking(session, assessment, plan, now, for_owner)
    return {goal_id: list(suggestions) for goal_id, suggestions in found.items()}
