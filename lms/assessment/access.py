"""Who may see which assessment: the person and their manager chain, nobody else (DESIGN §7).

Every page, export and command that loads one person's assessment, plan or requests goes
through these functions, so no route can forget the check. A missing object and one the
viewer may not see give the same NotFound, so ids cannot be probed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lms.accounts.models import User
from lms.accounts.queries import is_in_manager_chain
from lms.assessment.models import Assessment, AssessmentRound
from lms.core.access import Permission
from lms.core.errors import NotFound, PermissionDenied
from lms.core.i18n import _l


def is_owner(viewer: User, assessment: Assessment) -> bool:
    return assessment.user_id == viewer.id


def is_manager_of(session: Session, viewer: User, assessment: Assessment) -> bool:
    """Whether `viewer` is in the manager chain of the assessment's person."""
    return viewer.id != assessment.user_id and is_in_manager_chain(session, viewer, assessment.user)


def can_view(session: Session, viewer: User, assessment: Assessment) -> bool:
    return is_owner(viewer, assessment) or is_manager_of(session, viewer, assessment)


def _load(session: Session, assessment_id: int) -> Assessment | None:
    return session.scalar(
        select(Assessment)
        .options(joinedload(Assessment.user), joinedload(Assessment.round))
        .where(Assessment.id == assessment_id)
    )


def get_visible_assessment(session: Session, viewer: User, assessment_id: int) -> Assessment:
    """The assessment if `viewer` is its person or in their manager chain; NotFound otherwise."""
    assessment = _load(session, assessment_id)
    if assessment is None or not can_view(session, viewer, assessment):
        raise NotFound(_l("There is no such assessment."))
    return assessment


def get_own_assessment(session: Session, viewer: User, assessment_id: int) -> Assessment:
    """The assessment if it is `viewer`'s own; NotFound otherwise."""
    assessment = _load(session, assessment_id)
    if assessment is None or not is_owner(viewer, assessment):
        raise NotFound(_l("There is no such assessment."))
    return assessment


def get_managed_assessment(session: Session, viewer: User, assessment_id: int) -> Assessment:
    """The assessment if `viewer` is in its person's manager chain; NotFound otherwise."""
    assessment = _load(session, assessment_id)
    if assessment is None or not is_manager_of(session, viewer, assessment):
        raise NotFound(_l("There is no such assessment."))
    return assessment


def can_manage_rounds(user: User) -> bool:
    """Coordinators and admins run rounds and read aggregates (never individual ratings)."""
    return user.has(Permission.COORDINATOR) or user.has(Permission.ADMIN)


def require_manage_rounds(user: User) -> None:
    if not can_manage_rounds(user):
        raise PermissionDenied(
            _l("Only coordinators and administrators may manage assessment rounds.")
        )


def get_round(session: Session, round_id: int) -> AssessmentRound | None:
    return session.get(AssessmentRound, round_id)
