"""The employee's self-assessment: start a draft, save answers as you go, submit to lock it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment.access import is_owner
from lms.assessment.models import LEVELS, Assessment, AssessmentRound, AssessmentStatus, Rating
from lms.assessment.rounds_base import RoundPhase, is_targeted, phase
from lms.assessment.self_queries import ApplicableCompetence, is_answered, list_applicable
from lms.assessment.signals import needs_changed
from lms.core.errors import Conflict, NotFound, ValidationError
from lms.core.i18n import _l
from lms.core.time import local_date
from lms.framework.models import RoleExpectation
from lms.notify.services import notify

COMMENT_MAX = 2000
SUBMITTED_KIND = "assessment_submitted"


class AnswersMissing(ValidationError):
    """Submitting needs a self level and a motivation for every applicable competence."""

    def __init__(self, missing: list[ApplicableCompetence]) -> None:
        names = ", ".join(f"{m.competence.code} {m.competence.name}" for m in missing)
        super().__init__(
            _l("Answer every sub-competence before you submit. Missing: %(names)s", names=names)
        )
        self.missing = missing


def no_role_message() -> object:
    return _l(
        "No job role is set for you, so no sub-competences apply to you yet. Ask an "
        "administrator to set your job role."
    )


def _check_round(round_: AssessmentRound, user: User, today: date) -> None:
    if not is_targeted(round_, user):
        raise Conflict(_l("This assessment round is not meant for you."))
    current = phase(round_, today)
    if current == RoundPhase.UPCOMING:
        raise Conflict(
            _l(
                "The assessment round opens on %(day)s; you can start then.",
                day=round_.opens_on.isoformat(),
            )
        )
    if current == RoundPhase.CLOSED:
        raise Conflict(
            _l(
                "The assessment round closed on %(day)s; answers can no longer be given.",
                day=round_.closes_on.isoformat(),
            )
        )


def _snapshot(assessment: Assessment, user: User) -> None:
    # The role and department the person has at the last write before review (models.py).
    assessment.job_role_id = user.job_role_id
    assessment.department_id = user.department_id


def start_assessment(
    session: Session, user: User, round_: AssessmentRound, today: date
) -> Assessment:
    """`user`'s draft in `round_`, created if needed; the round must be open and target them."""
    _check_round(round_, user, today)
    if user.job_role_id is None:
        raise Conflict(no_role_message())
    existing = _find(session, user, round_)
    if existing is not None:
        return existing
    made = Assessment(round_id=round_.id, user_id=user.id, status=AssessmentStatus.DRAFT)
    _snapshot(made, user)
    try:
        with session.begin_nested():
            session.add(made)
    except IntegrityError:
        # A second click (another tab) created it in the meantime: use that one.
        found = _find(session, user, round_)
        if found is None:
            raise
        return found
    return made


def _find(session: Session, user: User, round_: AssessmentRound) -> Assessment | None:
    return session.scalar(
        select(Assessment).where(Assessment.round_id == round_.id, Assessment.user_id == user.id)
    )


def _check_writable(user: User, assessment: Assessment, now: datetime) -> None:
    if not is_owner(user, assessment):
        raise NotFound(_l("There is no such assessment."))
    if not assessment.is_draft:
        raise Conflict(_l("You have submitted this assessment, so it is locked."))
    if phase(assessment.round, local_date(now)) != RoundPhase.OPEN:
        raise Conflict(_l("The assessment round has closed, so answers can no longer be changed."))


def _check_values(self_level: int | None, motivation: int | None, comment: str) -> None:
    if self_level is not None and self_level not in LEVELS:
        raise ValidationError(_l("Choose a level from 1 to 5."), field="self_level")
    if motivation is not None and motivation not in LEVELS:
        raise ValidationError(_l("Choose a motivation from 1 to 5."), field="motivation")
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            _l("The comment can be at most %(max)d characters.", max=COMMENT_MAX), field="comment"
        )


def _applies(session: Session, role_id: int | None, competence_id: int) -> bool:
    if role_id is None:
        return False
    return (
        session.scalar(
            select(RoleExpectation.level).where(
                RoleExpectation.job_role_id == role_id,
                RoleExpectation.competence_id == competence_id,
            )
        )
        is not None
    )


def save_answer(
    session: Session,
    user: User,
    assessment: Assessment,
    competence_id: int,
    *,
    self_level: int | None,
    motivation: int | None,
    comment: str,
    now: datetime,
) -> Rating:
    """Save one answer of a draft; any value may still be empty ("saved as you go").

    Only the person, only while the assessment is a draft and its round is open, and only
    for a competence that applies to their job role.
    """
    _check_writable(user, assessment, now)
    comment = comment.strip()
    _check_values(self_level, motivation, comment)
    _snapshot(assessment, user)
    if not _applies(session, assessment.job_role_id, competence_id):
        raise ValidationError(_l("That sub-competence does not apply to your job role."))
    values = {
        "self_level": self_level,
        "motivation": motivation,
        "comment": comment,
        "updated_at": now,
    }
    rating = _upsert_rating(session, assessment, competence_id, values)
    assessment.updated_at = now
    session.flush()
    return rating


def _upsert_rating(
    session: Session, assessment: Assessment, competence_id: int, values: Mapping[str, object]
) -> Rating:
    def existing() -> Rating | None:
        return session.scalar(
            select(Rating).where(
                Rating.assessment_id == assessment.id, Rating.competence_id == competence_id
            )
        )

    rating = existing()
    if rating is None:
        try:
            with session.begin_nested():
                rating = Rating(assessment_id=assessment.id, competence_id=competence_id, **values)
                session.add(rating)
            return rating
        except IntegrityError:
            # Two saves of the same answer at once (quick clicks): the other made the row.
            rating = existing()
            if rating is None:
                raise
    for name, value in values.items():
        setattr(rating, name, value)
    return rating


def submit_assessment(
    session: Session, user: User, assessment: Assessment, now: datetime
) -> Assessment:
    """Submit a complete draft: it is locked, and the person's manager is told.

    Every competence that applies needs a self level and a motivation; answers to
    competences that no longer apply (the job role changed) are dropped.
    """
    _check_writable(user, assessment, now)
    _snapshot(assessment, user)
    applicable = list_applicable(session, assessment.job_role_id)
    if not applicable:
        raise Conflict(no_role_message())
    # Answers saved earlier in this session were added as rows, not through the collection.
    session.flush()
    session.expire(assessment, ["ratings"])
    ratings = {r.competence_id: r for r in assessment.ratings}
    missing = [a for a in applicable if not is_answered(ratings.get(a.id))]
    if missing:
        raise AnswersMissing(missing)
    applies = {a.id for a in applicable}
    for rating in [r for r in assessment.ratings if r.competence_id not in applies]:
        assessment.ratings.remove(rating)
    session.flush()
    # Conditional, so two submits at once (two tabs) lock it once and tell the manager once.
    claimed = session.execute(
        update(Assessment)
        .where(Assessment.id == assessment.id, Assessment.status == AssessmentStatus.DRAFT)
        .values(status=AssessmentStatus.SUBMITTED, submitted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_l("You have submitted this assessment, so it is locked."))
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = assessment.updated_at = now
    _tell_manager(session, user, assessment)
    session.flush()
    needs_changed.send(None, session=session, user_ids=[assessment.user_id])
    return assessment


def conversation_path(assessment: Assessment) -> str:
    """The site path of the assessment's conversation page, also outside a request."""
    values = {"assessment_id": assessment.id}
    return str(current_app.url_map.bind("localhost").build("conversation.show", values))


def _tell_manager(session: Session, user: User, assessment: Assessment) -> None:
    manager = user.manager
    if manager is None:
        return
    notify(
        session,
        manager,
        kind=SUBMITTED_KIND,
        title=_l("%(name)s has submitted a self-assessment", name=user.name),
        body=_l(
            "Round: %(round)s. Open it to prepare your conversation with %(name)s.",
            round=assessment.round.name,
            name=user.name,
        ),
        link=conversation_path(assessment),
        dedupe_key=f"assessment-submitted:{assessment.id}",
    )
