"""Rules the plan, goal progress and learning requests share: who may plan, goal progress, dates."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment.access import can_view
from lms.assessment.models import (
    COUNTED_STATUSES,
    Assessment,
    AssessmentRound,
    GoalActivity,
    GoalStatus,
    PlanGoal,
)
from lms.catalog.models import Activity
from lms.core.errors import Conflict, NotFound
from lms.core.i18n import _l
from lms.framework.queries import list_expected_levels
from lms.progress.models import Completion

# A plan's goals are due this many months after its round closes: long enough to take a few
# activities and try them at work, short enough to be talked about at the next follow-up.
DUE_AFTER_MONTHS = 6
# The statuses the automatic progress may change; done stays done, dropped stays dropped.
ADVANCING = (GoalStatus.PLANNED, GoalStatus.IN_PROGRESS)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Aug + 6 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def default_due_on(round_: AssessmentRound) -> date:
    """A new goal's due date: the round's closing day plus DUE_AFTER_MONTHS months."""
    return add_months(round_.closes_on, DUE_AFTER_MONTHS)


def expected_levels(session: Session, assessment: Assessment) -> dict[int, int]:
    """Expected level per competence for the assessment's job role snapshot (absent: n/a)."""
    role = assessment.job_role
    return list_expected_levels(session, role) if role is not None else {}


def require_viewer(session: Session, actor: User, assessment: Assessment) -> None:
    """NotFound unless `actor` is the person or in their manager chain (same as a missing id)."""
    if not can_view(session, actor, assessment):
        raise NotFound(_l("There is no such assessment."))


def require_plannable(assessment: Assessment) -> None:
    """A draft has no plan: planning starts once the self-assessment is submitted."""
    if assessment.status not in COUNTED_STATUSES:
        raise Conflict(
            _l("The development plan is made once the self-assessment has been submitted.")
        )


@dataclass(frozen=True)
class NeedCandidate:
    """A competence with a need, with what the prefill sorts it by."""

    competence_id: int
    expected: int
    gap: int
    motivation: int | None
    order: tuple[int, int, str]  # area position, competence position, code


def rank_needs(candidates: Iterable[NeedCandidate]) -> list[NeedCandidate]:
    """Biggest gap first, then highest motivation (none counts lowest), then framework order."""
    return sorted(candidates, key=lambda c: (-c.gap, -(c.motivation or 0), c.order))


def advance(goal: PlanGoal) -> None:
    """Planned → in progress when a chosen activity is done, → done when all of them are."""
    if goal.status not in ADVANCING or not goal.activities:
        return
    done = sum(1 for link in goal.activities if link.completed_at is not None)
    if done == len(goal.activities):
        goal.status = GoalStatus.DONE
    elif done:
        goal.status = GoalStatus.IN_PROGRESS


def attach_activity(session: Session, goal: PlanGoal, activity: Activity, user_id: int) -> bool:
    """Link `activity` to `goal` (already done if the person has completed it); False if linked.

    Callers check that the activity is published.
    """
    if any(link.activity_id == activity.id for link in goal.activities):
        return False
    completed_at = session.scalar(
        select(func.min(Completion.completed_at)).where(
            Completion.user_id == user_id, Completion.activity_id == activity.id
        )
    )
    goal.activities.append(
        GoalActivity(
            activity_id=activity.id,
            activity=activity,
            position=len(goal.activities),
            completed_at=completed_at,
        )
    )
    advance(goal)
    return True


def site_path(endpoint: str, **values: object) -> str:
    """A page's site path, also outside a request (notifications link with it)."""
    return str(current_app.url_map.bind("localhost").build(endpoint, values))
