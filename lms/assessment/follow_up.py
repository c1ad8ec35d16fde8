"""The follow-up talk (step 4): its planned date, then the manager's record once it is held."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment.access import can_view, is_manager_of
from lms.assessment.models import Assessment, AssessmentStatus
from lms.assessment.plan_rules import require_plannable, require_viewer, site_path
from lms.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lms.core.i18n import _l
from lms.core.time import local_date
from lms.notify.services import notify

FOLLOW_UP_NOTES_MAX = 5000
KIND = "assessment_follow_up"


def set_follow_up_date(
    session: Session, actor: User, assessment: Assessment, day: date, now: datetime
) -> Assessment:
    """Plan the follow-up talk on `day` (today or later); the person or their chain may."""
    require_viewer(session, actor, assessment)
    require_plannable(assessment)
    if assessment.status == AssessmentStatus.FOLLOWED_UP:
        raise Conflict(_l("The follow-up has already been held."))
    if day < local_date(now):
        raise ValidationError(_l("Choose today or a later date."), field="follow_up_on")
    assessment.follow_up_on = day
    session.flush()
    return assessment


def _require_manager(session: Session, manager: User, assessment: Assessment) -> None:
    if is_manager_of(session, manager, assessment):
        return
    if can_view(session, manager, assessment):
        raise PermissionDenied(_l("The manager records the follow-up talk."))
    raise NotFound(_l("There is no such assessment."))


def record_follow_up(
    session: Session, manager: User, assessment: Assessment, notes: str, now: datetime
) -> Assessment:
    """Record that the follow-up talk was held (manager chain only) and tell the person.

    The conversation must have been held first (status reviewed); it is recorded once.
    """
    _require_manager(session, manager, assessment)
    if assessment.status == AssessmentStatus.FOLLOWED_UP:
        raise Conflict(_l("The follow-up has already been recorded."))
    if assessment.status != AssessmentStatus.REVIEWED:
        raise Conflict(_l("Hold the conversation first: the follow-up comes after it."))
    notes = notes.strip()
    if len(notes) > FOLLOW_UP_NOTES_MAX:
        raise ValidationError(
            _l("The notes may be at most %(n)d characters.", n=FOLLOW_UP_NOTES_MAX),
            field="notes",
        )
    assessment.status = AssessmentStatus.FOLLOWED_UP
    assessment.follow_up_notes = notes
    assessment.followed_up_at = now
    assessment.followed_up_by_id = manager.id
    session.flush()
    notify(
        session,
        assessment.user,
        kind=KIND,
        title=_l("Your follow-up talk has been recorded"),
        body=_l(
            "%(manager)s wrote down what you talked about. Read it with your plan.",
            manager=manager.name,
        ),
        link=site_path("plans.show", assessment_id=assessment.id),
        dedupe_key=f"assessment-follow-up:{assessment.id}",
    )
    return assessment
