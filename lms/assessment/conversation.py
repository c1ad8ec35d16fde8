"""The manager conversation (step 2): agreed levels, notes, and marking the conversation held.

Only someone in the person's manager chain may write here, and only once the person has
submitted: a draft is still the person's own. The person's self levels are never changed;
an agreed level is kept beside them with who agreed it and when.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment import access
from lms.assessment.models import COUNTED_STATUSES, LEVELS, Assessment, AssessmentStatus, Rating
from lms.assessment.signals import needs_changed
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.i18n import _l
from lms.framework.models import RoleExpectation
from lms.notify.services import notify

NOTES_MAX = 10_000
NOTIFICATION_KIND = "assessment_conversation_held"


def _require_conversation(session: Session, manager: User, assessment: Assessment) -> None:
    """Refuse anyone outside the person's manager chain, and any assessment still a draft."""
    if not access.is_manager_of(session, manager, assessment):
        raise PermissionDenied(_l("Only the person's managers may hold this conversation."))
    if assessment.status not in COUNTED_STATUSES:
        raise Conflict(_l("The assessment has not been submitted yet."))


def field_name(competence_id: int) -> str:
    """The form field (and error field) of one competence's agreed level."""
    return f"level_{competence_id}"


def _applicable(session: Session, assessment: Assessment) -> set[int]:
    if assessment.job_role_id is None:
        return set()
    return set(
        session.scalars(
            select(RoleExpectation.competence_id).where(
                RoleExpectation.job_role_id == assessment.job_role_id
            )
        )
    )


def _check_levels(
    levels: Mapping[int, int | None], applicable: set[int], ratings: Mapping[int, Rating]
) -> None:
    for competence_id, level in levels.items():
        field = field_name(competence_id)
        if competence_id not in applicable:
            raise ValidationError(
                _l("That sub-competence does not apply to the person's job role."), field=field
            )
        if level is not None and level not in LEVELS:
            raise ValidationError(_l("Choose a level from 1 to 5, or none."), field=field)
        rating = ratings.get(competence_id)
        if level is not None and (rating is None or rating.self_level is None):
            raise ValidationError(
                _l("The person has not rated this sub-competence, so no level can be agreed."),
                field=field,
            )


def agree_levels(
    session: Session,
    manager: User,
    assessment: Assessment,
    levels: Mapping[int, int | None],
    now: datetime,
) -> int:
    """Set the agreed level per competence id (None clears it); returns how many changed.

    Every value is checked before anything is written. Only ratings whose agreed level
    really changes get the manager and the time stamped on them, so saving the whole
    table again does not claim the levels agreed earlier by someone else.
    """
    _require_conversation(session, manager, assessment)
    ratings = {r.competence_id: r for r in assessment.ratings}
    _check_levels(levels, _applicable(session, assessment), ratings)
    changed = 0
    for competence_id, level in levels.items():
        rating = ratings.get(competence_id)
        if rating is None or rating.agreed_level == level:
            continue
        rating.agreed_level = level
        rating.agreed_by_id = manager.id if level is not None else None
        rating.agreed_at = now if level is not None else None
        rating.updated_at = now
        changed += 1
    if changed:
        assessment.updated_at = now
    session.flush()
    if changed:
        needs_changed.send(None, session=session, user_ids=[assessment.user_id])
    return changed


def save_conversation_notes(
    session: Session, manager: User, assessment: Assessment, text: str
) -> Assessment:
    """Store the conversation notes (visible to the person and to their manager chain)."""
    _require_conversation(session, manager, assessment)
    notes = text.replace("\r\n", "\n").strip()
    if len(notes) > NOTES_MAX:
        raise ValidationError(
            _l("The notes may be at most %(max)d characters.", max=NOTES_MAX), field="notes"
        )
    assessment.conversation_notes = notes
    session.flush()
    return assessment


def conversation_path(assessment: Assessment) -> str:
    """The site path of the conversation page, also outside a request."""
    values = {"assessment_id": assessment.id}
    return str(current_app.url_map.bind("localhost").build("conversation.show", values))


def mark_conversation_held(
    session: Session, manager: User, assessment: Assessment, now: datetime
) -> bool:
    """Mark the conversation held and tell the person; True when this call marked it.

    Marking it again changes nothing and tells nobody (the dedupe key makes sure of the
    latter even for two concurrent clicks).
    """
    _require_conversation(session, manager, assessment)
    if assessment.status != AssessmentStatus.SUBMITTED:
        return False
    assessment.status = AssessmentStatus.REVIEWED
    assessment.reviewed_at = now
    assessment.reviewed_by_id = manager.id
    assessment.updated_at = now
    session.flush()
    notify(
        session,
        assessment.user,
        kind=NOTIFICATION_KIND,
        title=_l("Your competence conversation is held: %(round)s", round=assessment.round.name),
        body=_l(
            "%(manager)s marked the conversation as held. Read the agreed levels and the notes.",
            manager=manager.name,
        ),
        link=conversation_path(assessment),
        dedupe_key=f"assessment-conversation-held:{assessment.id}",
    )
    return True
