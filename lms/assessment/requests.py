"""Learning requests ("önska en läraktivitet"): wishes for learning the catalogue lacks.

The person or their manager chain writes one from the plan, for the person. Coordinators see
the open ones aggregated (never who asked) and answer all of a competence's at once with an
activity; each person who asked is told once, and a wish made for a goal gets the activity.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from lms.accounts.models import User
from lms.assessment.access import require_manage_rounds
from lms.assessment.models import (
    Assessment,
    LearningRequest,
    PlanGoal,
    RequestStatus,
)
from lms.assessment.plan_rules import (
    attach_activity,
    require_plannable,
    require_viewer,
    site_path,
)
from lms.assessment.signals import needs_changed
from lms.catalog.models import Activity
from lms.core.errors import Conflict, NotFound, ValidationError
from lms.core.i18n import _l
from lms.framework.models import Competence
from lms.notify.services import notify

TEXT_MIN, TEXT_MAX = 10, 1000
KIND = "learning_request_answered"


def _check_text(text: str) -> str:
    text = text.strip()
    if len(text) < TEXT_MIN:
        raise ValidationError(
            _l("Describe what you wish for in at least %(n)d characters.", n=TEXT_MIN),
            field="text",
        )
    if len(text) > TEXT_MAX:
        raise ValidationError(
            _l("The wish may be at most %(n)d characters.", n=TEXT_MAX), field="text"
        )
    return text


def _check_competence(
    session: Session, assessment: Assessment, competence_id: int, goal: PlanGoal | None
) -> None:
    if goal is not None and (
        goal.plan.assessment_id != assessment.id or goal.competence_id != competence_id
    ):
        raise NotFound(_l("There is no such goal."))
    if session.get(Competence, competence_id) is None:
        raise ValidationError(_l("Choose a sub-competence."), field="competence")


def create_request(
    session: Session,
    actor: User,
    assessment: Assessment,
    competence_id: int,
    text: str,
    *,
    goal: PlanGoal | None = None,
    now: datetime,
) -> LearningRequest:
    """Wish for a learning activity in a competence, for the assessment's person.

    The person's current department is kept with it for the coordinators' aggregate. The same
    open wish sent twice (a double click) is stored once.
    """
    require_viewer(session, actor, assessment)
    require_plannable(assessment)
    _check_competence(session, assessment, competence_id, goal)
    text = _check_text(text)
    existing = session.scalar(
        select(LearningRequest).where(
            LearningRequest.user_id == assessment.user_id,
            LearningRequest.competence_id == competence_id,
            LearningRequest.status == RequestStatus.OPEN,
            LearningRequest.text == text,
        )
    )
    if existing is not None:
        return existing
    request = LearningRequest(
        user_id=assessment.user_id,
        competence_id=competence_id,
        goal_id=goal.id if goal is not None else None,
        department_id=assessment.user.department_id,
        text=text,
        status=RequestStatus.OPEN,
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(request)
    session.flush()
    return request


def _open_requests(
    session: Session, competence_id: int, department_id: int | None
) -> list[LearningRequest]:
    stmt = (
        select(LearningRequest)
        .options(joinedload(LearningRequest.user), joinedload(LearningRequest.competence))
        .where(
            LearningRequest.status == RequestStatus.OPEN,
            LearningRequest.competence_id == competence_id,
        )
        .order_by(LearningRequest.id)
    )
    if department_id is not None:
        stmt = stmt.where(LearningRequest.department_id == department_id)
    return list(session.scalars(stmt))


def _goals_of(session: Session, requests: Iterable[LearningRequest]) -> dict[int, PlanGoal]:
    ids = {r.goal_id for r in requests if r.goal_id is not None}
    if not ids:
        return {}
    goals = session.scalars(
        select(PlanGoal).options(selectinload(PlanGoal.activities)).where(PlanGoal.id.in_(ids))
    )
    return {goal.id: goal for goal in goals}


def _tell(session: Session, request: LearningRequest, activity: Activity) -> None:
    notify(
        session,
        request.user,
        kind=KIND,
        title=_l(
            "Your wish in %(competence)s has got a learning activity: %(title)s",
            competence=request.competence.name,
            title=activity.title,
        ),
        link=site_path("catalog.activity", slug=activity.slug),
        dedupe_key=f"learning-request-answered:{request.id}",
    )


def answer_requests(
    session: Session,
    coordinator: User,
    competence_id: int,
    activity: Activity,
    *,
    department_id: int | None = None,
    now: datetime,
) -> int:
    """Answer every open wish in a competence (or one department's) with a published activity.

    Each person who asked is told once (by their first wish's key); a wish made for a goal
    gets the activity chosen for that goal. Returns how many wishes were answered.
    """
    require_manage_rounds(coordinator)
    if not activity.is_published:
        raise ValidationError(_l("Answer with a published activity."), field="activity")
    requests = _open_requests(session, competence_id, department_id)
    if not requests:
        raise Conflict(_l("There are no open wishes to answer there."))
    goals = _goals_of(session, requests)
    told: set[int] = set()
    for request in requests:
        request.status = RequestStatus.ANSWERED
        request.answer_activity_id = activity.id
        request.answered_by_id = coordinator.id
        request.answered_at = now
        goal = goals.get(request.goal_id) if request.goal_id is not None else None
        if goal is not None:
            attach_activity(session, goal, activity, request.user_id)
        if request.user_id not in told:
            told.add(request.user_id)
            _tell(session, request, activity)
    session.flush()
    needs_changed.send(None, session=session, user_ids=told)  # goals got the activity
    return len(requests)
