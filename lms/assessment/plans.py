"""Development plan rules (step 3): the prefilled goals, editing them, and their activities.

The person and their manager chain make the plan together, so both may write it; anyone else
gets the same NotFound as for a missing assessment. A draft assessment has no plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment.follow_up import record_follow_up as record_follow_up
from lms.assessment.follow_up import set_follow_up_date as set_follow_up_date
from lms.assessment.gaps import need
from lms.assessment.models import (
    Assessment,
    DevelopmentPlan,
    GoalStatus,
    PlanGoal,
    Rating,
)
from lms.assessment.plan_rules import (
    NeedCandidate,
    advance,
    attach_activity,
    default_due_on,
    expected_levels,
    rank_needs,
    require_plannable,
    require_viewer,
)
from lms.assessment.signals import needs_changed
from lms.catalog.models import Activity
from lms.core.errors import NotFound, ValidationError
from lms.core.i18n import _l
from lms.core.time import utcnow
from lms.framework.models import Competence, CompetenceArea

NOTE_MAX = 2000
DIRECTIONS = ("up", "down")


@dataclass
class GoalData:
    """What the person and manager write on a goal."""

    target_level: int
    due_on: date | None
    status: str
    note: str = ""


# --- the plan and its prefilled goals ----------------------------------------------------------


def needs_of(session: Session, assessment: Assessment) -> list[NeedCandidate]:
    """The assessment's needs (DESIGN §4) ranked by gap, then motivation, then framework order."""
    expected = expected_levels(session, assessment)
    rows = session.execute(
        select(Rating, CompetenceArea.position, Competence.position, Competence.code)
        .join(Competence, Competence.id == Rating.competence_id)
        .join(CompetenceArea, CompetenceArea.id == Competence.area_id)
        .where(Rating.assessment_id == assessment.id)
    )
    candidates = []
    for rating, area_position, position, code in rows:
        level = expected.get(rating.competence_id)
        gap = need(level, rating.assessed_level)
        if level is not None and gap > 0:
            candidates.append(
                NeedCandidate(
                    competence_id=rating.competence_id,
                    expected=level,
                    gap=gap,
                    motivation=rating.motivation,
                    order=(area_position, position, code),
                )
            )
    return rank_needs(candidates)


def _existing_plan(session: Session, assessment: Assessment) -> DevelopmentPlan | None:
    return session.scalar(
        select(DevelopmentPlan).where(DevelopmentPlan.assessment_id == assessment.id)
    )


def create_plan(
    session: Session, actor: User, assessment: Assessment, now: datetime
) -> DevelopmentPlan:
    """Start the plan with one goal per need; returns the existing plan if there is one.

    Each goal aims at the expected level and is due DUE_AFTER_MONTHS after the round closes.
    """
    require_viewer(session, actor, assessment)
    require_plannable(assessment)
    existing = _existing_plan(session, assessment)
    if existing is not None:
        return existing
    due_on = default_due_on(assessment.round)
    plan = DevelopmentPlan(
        assessment=assessment,
        user_id=assessment.user_id,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    for position, candidate in enumerate(needs_of(session, assessment)):
        plan.goals.append(
            PlanGoal(
                competence_id=candidate.competence_id,
                target_level=candidate.expected,
                due_on=due_on,
                status=GoalStatus.PLANNED,
                position=position,
                created_at=now,
            )
        )
    try:
        with session.begin_nested():
            session.add(plan)
    except IntegrityError:
        # Two people pressed "create" at once: the first plan wins.
        winner = _existing_plan(session, assessment)
        if winner is None:
            raise
        return winner
    needs_changed.send(None, session=session, user_ids=[plan.user_id])
    return plan


# --- goals -------------------------------------------------------------------------------------


def _touch(plan: DevelopmentPlan) -> None:
    plan.updated_at = utcnow()


def _renumber(goals: list[PlanGoal]) -> None:
    for position, goal in enumerate(goals):
        goal.position = position


def add_goal(
    session: Session, actor: User, plan: DevelopmentPlan, competence_id: int, now: datetime
) -> PlanGoal:
    """Add a goal for an applicable competence that has none; it aims at the expected level
    (or one above the assessed level when that already meets it)."""
    assessment = plan.assessment
    require_viewer(session, actor, assessment)
    expected = expected_levels(session, assessment).get(competence_id)
    if expected is None:
        raise ValidationError(
            _l("Choose a sub-competence that applies to the job role."), field="competence"
        )
    if any(goal.competence_id == competence_id for goal in plan.goals):
        raise ValidationError(
            _l("The plan already has a goal for that sub-competence."), field="competence"
        )
    rating = session.scalar(
        select(Rating).where(
            Rating.assessment_id == assessment.id, Rating.competence_id == competence_id
        )
    )
    assessed = rating.assessed_level if rating is not None else None
    target = expected if assessed is None or assessed < expected else min(assessed + 1, 5)
    goal = PlanGoal(
        competence_id=competence_id,
        target_level=target,
        due_on=default_due_on(assessment.round),
        status=GoalStatus.PLANNED,
        position=len(plan.goals),
        created_at=now,
    )
    plan.goals.append(goal)
    _touch(plan)
    session.flush()
    needs_changed.send(None, session=session, user_ids=[plan.user_id])
    return goal


def _check_goal(data: GoalData) -> str:
    if not 1 <= data.target_level <= 5:
        raise ValidationError(_l("Choose a target level from 1 to 5."), field="target_level")
    if data.status not in set(GoalStatus):
        raise ValidationError(_l("Choose a status."), field="status")
    note = data.note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(
            _l("The note may be at most %(n)d characters.", n=NOTE_MAX), field="note"
        )
    return note


def update_goal(session: Session, actor: User, goal: PlanGoal, data: GoalData) -> PlanGoal:
    """Save a goal's target level, due date, status and note."""
    require_viewer(session, actor, goal.plan.assessment)
    goal.note = _check_goal(data)
    goal.target_level = data.target_level
    goal.due_on = data.due_on
    goal.status = data.status
    _touch(goal.plan)
    session.flush()
    needs_changed.send(None, session=session, user_ids=[goal.plan.user_id])
    return goal


def remove_goal(session: Session, actor: User, goal: PlanGoal) -> None:
    """Take a goal out of the plan (its learning requests stay, without the goal)."""
    plan = goal.plan
    require_viewer(session, actor, plan.assessment)
    plan.goals.remove(goal)
    _renumber(plan.goals)
    _touch(plan)
    session.flush()
    needs_changed.send(None, session=session, user_ids=[plan.user_id])


def move_goal(session: Session, actor: User, goal: PlanGoal, direction: str) -> None:
    """Move a goal one step "up" or "down"; at either end nothing moves."""
    plan = goal.plan
    require_viewer(session, actor, plan.assessment)
    if direction not in DIRECTIONS:
        raise ValidationError(_l("Move a goal up or down."), field="direction")
    goals = list(plan.goals)
    index = goals.index(goal)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(goals):
        goals[index], goals[target] = goals[target], goals[index]
    _renumber(goals)
    plan.goals = goals
    _touch(plan)
    session.flush()


# --- a goal's activities -----------------------------------------------------------------------


def link_activity(session: Session, actor: User, goal: PlanGoal, activity: Activity) -> PlanGoal:
    """Choose a published activity for a goal; one the person has completed counts as done."""
    require_viewer(session, actor, goal.plan.assessment)
    if not activity.is_published:
        raise ValidationError(
            _l("Only published activities can be chosen for a goal."), field="activity"
        )
    if not attach_activity(session, goal, activity, goal.plan.user_id):
        raise ValidationError(
            _l("%(title)s is already chosen for this goal.", title=activity.title),
            field="activity",
        )
    _touch(goal.plan)
    session.flush()
    needs_changed.send(None, session=session, user_ids=[goal.plan.user_id])
    return goal


def unlink_activity(session: Session, actor: User, goal: PlanGoal, activity_id: int) -> None:
    """Take an activity off a goal; if every remaining one is done, so is the goal."""
    require_viewer(session, actor, goal.plan.assessment)
    link = next((ga for ga in goal.activities if ga.activity_id == activity_id), None)
    if link is None:
        raise NotFound(_l("That activity is not chosen for this goal."))
    goal.activities.remove(link)
    for position, remaining in enumerate(goal.activities):
        remaining.position = position
    advance(goal)
    _touch(goal.plan)
    session.flush()
    needs_changed.send(None, session=session, user_ids=[goal.plan.user_id])


__all__ = [
    "DIRECTIONS",
    "NOTE_MAX",
    "GoalData",
    "add_goal",
    "create_plan",
    "expected_levels",
    "link_activity",
    "move_goal",
    "needs_of",
    "record_follow_up",
    "remove_goal",
    "set_follow_up_date",
    "unlink_activity",
    "update_goal",
]
