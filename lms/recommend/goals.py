"""The plan page's ranking: a development plan's goals, each with its activities ranked for the
plan's owner (registered with `lms.assessment.plan_ranking` by `lms/app.py`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lms.assessment.models import Assessment, DevelopmentPlan
from lms.assessment.plan_ranking import GoalSuggestion
from lms.catalog.forms import LEVEL_LABELS
from lms.catalog.models import Level
from lms.recommend import engine, explain
from lms.recommend.data import PlanGoal, Reason
from lms.recommend.loading import load_pool, load_profiles

SUGGESTED = 3  # suggestions per goal beyond the activities already chosen for it
# The goal's card already says the competence, the assessed, target and expected levels and
# that it is a goal: the reason beside a suggestion is what sets it apart from the others.
ON_THE_CARD = frozenset({"plan_goal", "gap", "expected", "motivation"})


def _level_fit_for_others(reason: Reason) -> str:
    """The level-fit reason as a manager reads it: about the plan's person, not "you"."""
    try:
        label = str(LEVEL_LABELS[Level(str(reason.params["level"]))])
    except (KeyError, ValueError):
        return ""
    return _("Fits the assessed level: %(level)s", level=explain.mid_sentence(label))


# Reasons worded to the person themself, and how a manager reading the plan sees them instead.
FOR_OTHERS: dict[str, Callable[[Reason], str]] = {"level_fit": _level_fit_for_others}


def _first_reason(reasons: Iterable[Reason], for_owner: bool) -> str | None:
    """The first reason not already on the goal's card, worded for who reads the plan."""
    for reason in reasons:
        if reason.kind in ON_THE_CARD:
            continue
        other = None if for_owner else FOR_OTHERS.get(reason.kind)
        text = other(reason) if other is not None else explain.describe(reason)
        if text:
            return text
    return None


def rank_plan_goals(
    session: Session,
    assessment: Assessment,
    plan: DevelopmentPlan,
    now: datetime,
    for_owner: bool,
) -> dict[int, list[GoalSuggestion]]:
    """Goal id → activities for the goal's competence, best first for the plan's owner
    (`assessment.user`, never the viewer), without those already chosen (constant queries).

    The owner's profile is loaded as the cache loads it, with this plan's goals in place of
    their open ones, so the page ranks for the plan being read.
    """
    owner_id = assessment.user_id
    profile = load_profiles(session, [owner_id], now).get(owner_id)
    if profile is None or not plan.goals:
        return {}
    chosen = {
        goal.id: frozenset(link.activity_id for link in goal.activities) for goal in plan.goals
    }
    goals = tuple(
        PlanGoal(goal.id, goal.competence_id, goal.target_level, chosen[goal.id])
        for goal in plan.goals
    )
    pool = load_pool(
        session,
        now,
        competence_ids={goal.competence_id for goal in goals},
        activity_ids=set().union(*chosen.values()),
    )
    per_goal = max(len(ids) for ids in chosen.values()) + SUGGESTED
    ranked = engine.rank_for_goals(replace(profile, plan_goals=goals), pool, per_goal=per_goal)
    return {
        goal_id: [
            GoalSuggestion(r.activity_id, _first_reason(r.reasons, for_owner))
            for r in recommendations
            if r.activity_id not in chosen[goal_id]
        ][:SUGGESTED]
        for goal_id, recommendations in ranked.items()
    }
