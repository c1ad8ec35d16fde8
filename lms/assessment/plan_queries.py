"""Reads for the plan page: the plan, its goals with their progress and matching activities."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from lms.assessment.models import (
    Assessment,
    DevelopmentPlan,
    GoalActivity,
    LearningRequest,
    PlanGoal,
    Rating,
)
from lms.assessment.plan_ranking import GoalSuggestion, rank_goal_activities
from lms.assessment.plan_rules import expected_levels
from lms.catalog.models import Activity, ActivityCompetence, Status
from lms.core.time import utcnow
from lms.framework.models import Competence, CompetenceArea

SUGGESTED = 3  # activities suggested per goal, ranked for the plan's owner


@dataclass(frozen=True)
class Suggestion:
    """A matching activity suggested for a goal, with why (in words; None without a reason)."""

    activity: Activity
    reason: str | None = None


@dataclass
class GoalRow:
    """One goal as the page shows it."""

    goal: PlanGoal
    assessed: int | None
    expected: int | None
    matching: list[Activity]  # published, developing the competence, not chosen yet
    requests: list[LearningRequest] = field(default_factory=list)
    suggested: list[Suggestion] = field(default_factory=list)  # the best few of `matching`

    @property
    def done(self) -> int:
        return sum(1 for link in self.goal.activities if link.completed_at is not None)

    @property
    def total(self) -> int:
        return len(self.goal.activities)


@dataclass
class PlanPage:
    """Everything the plan page shows, loaded in a constant number of queries."""

    assessment: Assessment
    plan: DevelopmentPlan | None
    goals: list[GoalRow]
    addable: list[Competence]  # applicable competences without a goal, in framework order


def get_plan(session: Session, assessment_id: int) -> DevelopmentPlan | None:
    """The assessment's plan with its goals, their competences and chosen activities."""
    return session.scalar(
        select(DevelopmentPlan)
        .options(
            selectinload(DevelopmentPlan.goals)
            .joinedload(PlanGoal.competence)
            .joinedload(Competence.area),
            selectinload(DevelopmentPlan.goals)
            .selectinload(PlanGoal.activities)
            .joinedload(GoalActivity.activity),
        )
        .where(DevelopmentPlan.assessment_id == assessment_id)
    )


def list_matching_activities(
    session: Session, competence_ids: Collection[int]
) -> dict[int, list[Activity]]:
    """Published activities developing each competence, strongest first (one query for all)."""
    if not competence_ids:
        return {}
    rows = session.execute(
        select(ActivityCompetence.competence_id, Activity)
        .join(Activity, Activity.id == ActivityCompetence.activity_id)
        .where(
            ActivityCompetence.competence_id.in_(competence_ids),
            Activity.status == Status.PUBLISHED,
        )
        .order_by(ActivityCompetence.weight.desc(), Activity.title, Activity.id)
    )
    found: dict[int, list[Activity]] = {}
    for competence_id, activity in rows:
        found.setdefault(competence_id, []).append(activity)
    return found


def _assessed_levels(session: Session, assessment_id: int) -> dict[int, int | None]:
    rows = session.scalars(select(Rating).where(Rating.assessment_id == assessment_id))
    return {rating.competence_id: rating.assessed_level for rating in rows}


def _requests_by_goal(session: Session, goal_ids: list[int]) -> dict[int, list[LearningRequest]]:
    if not goal_ids:
        return {}
    rows = session.scalars(
        select(LearningRequest)
        .options(joinedload(LearningRequest.answer_activity))
        .where(LearningRequest.goal_id.in_(goal_ids))
        .order_by(LearningRequest.created_at, LearningRequest.id)
    )
    found: dict[int, list[LearningRequest]] = {}
    for request in rows:
        found.setdefault(request.goal_id or 0, []).append(request)
    return found


def _addable(session: Session, expected: dict[int, int], taken: set[int]) -> list[Competence]:
    free = [competence_id for competence_id in expected if competence_id not in taken]
    if not free:
        return []
    return list(
        session.scalars(
            select(Competence)
            .join(CompetenceArea, CompetenceArea.id == Competence.area_id)
            .options(joinedload(Competence.area))
            .where(Competence.id.in_(free))
            .order_by(CompetenceArea.position, Competence.position, Competence.code)
        )
    )


def _ranked(
    matching: list[Activity], ranking: Sequence[GoalSuggestion]
) -> tuple[list[Suggestion], list[Activity]]:
    """The best few suggestions among `matching`, and `matching` with the ranked ones first
    (in their order) and the rest in the catalogue's order after them."""
    by_id = {activity.id: activity for activity in matching}
    ranked = [s for s in ranking if s.activity_id in by_id]
    first = [by_id[s.activity_id] for s in ranked]
    taken = {activity.id for activity in first}
    suggested = [Suggestion(by_id[s.activity_id], s.reason) for s in ranked[:SUGGESTED]]
    return suggested, first + [a for a in matching if a.id not in taken]


def get_plan_page(
    session: Session,
    assessment: Assessment,
    *,
    now: datetime | None = None,
    for_owner: bool = True,
) -> PlanPage:
    """The plan page's data (the caller has checked that the viewer may see the assessment).

    The matching activities of each goal are ranked for the plan's owner by the registered
    ranking (`plan_ranking`); `for_owner` says whether the viewer is that person, so that
    reasons about them are worded for who reads them.
    """
    plan = get_plan(session, assessment.id)
    if plan is None:
        return PlanPage(assessment=assessment, plan=None, goals=[], addable=[])
    expected = expected_levels(session, assessment)
    assessed = _assessed_levels(session, assessment.id)
    competence_ids = [goal.competence_id for goal in plan.goals]
    matching = list_matching_activities(session, competence_ids)
    requests = _requests_by_goal(session, [goal.id for goal in plan.goals])
    ranking = rank_goal_activities(session, assessment, plan, now or utcnow(), for_owner=for_owner)
    rows = []
    for goal in plan.goals:
        chosen = {link.activity_id for link in goal.activities}
        suggested, ordered = _ranked(
            [a for a in matching.get(goal.competence_id, []) if a.id not in chosen],
            ranking.get(goal.id, ()),
        )
        rows.append(
            GoalRow(
                goal=goal,
                assessed=assessed.get(goal.competence_id),
                expected=expected.get(goal.competence_id),
                matching=ordered,
                requests=requests.get(goal.id, []),
                suggested=suggested,
            )
        )
    return PlanPage(
        assessment=assessment,
        plan=plan,
        goals=rows,
        addable=_addable(session, expected, set(competence_ids)),
    )
