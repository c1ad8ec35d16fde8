"""Assessment round rules for coordinators: create, change and delete rounds.

A round is announced by the opening job (`announced_at`); from then on people have been told
when it opens and by when to answer, so its opening date stays put and it may only be
extended, never shortened. A round that anyone has started to answer cannot be deleted.

Who manages which round follows the reader's report scope (`lms.accounts.targets`), as for
programmes: admins and coordinators whose scope is "all" manage any round, an organisation
coordinator only rounds entirely within their organisation, a department coordinator none
(they read their department's progress). Which rounds a reader finds at all is decided in
`lms.assessment.round_queries`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts import targets
from lms.accounts.models import User
from lms.assessment.models import Assessment, AssessmentRound
from lms.core.audit import record_event
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.i18n import _l

NAME_MAX = 200
_TAKEN = _l("Another assessment round already has this name.")
CLOSES_BEFORE_OPENING = _l("The round cannot close before it opens.")


@dataclass
class RoundData:
    """What a coordinator sets on a round: its name, period and who takes part."""

    name: str
    opens_on: date
    closes_on: date
    organisation_ids: list[int] = field(default_factory=list)
    department_ids: list[int] = field(default_factory=list)


def _check_name(session: Session, name: str, round_id: int | None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_l("A name is required."), field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(
            _l("The name may be at most %(n)d characters.", n=NAME_MAX), field="name"
        )
    stmt = select(func.count()).where(AssessmentRound.name == name)
    if round_id is not None:
        stmt = stmt.where(AssessmentRound.id != round_id)
    if session.scalar(stmt):
        raise ValidationError(_TAKEN, field="name")
    return name


def _check_period(data: RoundData, round_: AssessmentRound | None) -> None:
    if data.closes_on < data.opens_on:
        raise ValidationError(CLOSES_BEFORE_OPENING, field="closes_on")
    if round_ is None or round_.announced_at is None:
        return
    if data.opens_on != round_.opens_on:
        raise ValidationError(
            _l("The round has opened and people have been told, so its start date stays."),
            field="opens_on",
        )
    if data.closes_on < round_.closes_on:
        raise ValidationError(
            _l(
                "People have been told to answer by %(day)s: the round may be extended "
                "but not shortened.",
                day=round_.closes_on.isoformat(),
            ),
            field="closes_on",
        )


# --- who may manage --------------------------------------------------------------------------


def may_create_rounds(user: User) -> bool:
    """Admins and coordinators other than department coordinators."""
    return targets.may_create_targeted(user)


def may_manage_round(user: User, round_: AssessmentRound) -> bool:
    """Whether `user` may change or delete `round_` (see the module docstring)."""
    return targets.may_manage_targeted(user, round_.organisations, round_.departments)


def _require_manage(user: User, round_: AssessmentRound | None) -> None:
    allowed = may_create_rounds(user) if round_ is None else may_manage_round(user, round_)
    if not allowed:
        raise PermissionDenied(_l("You may not manage this assessment round."))


def _apply(
    session: Session, actor: User, round_: AssessmentRound, data: RoundData, name: str
) -> None:
    organisations, departments = targets.load_targets(
        session, actor, data.organisation_ids, data.department_ids
    )
    round_.name = name
    round_.opens_on = data.opens_on
    round_.closes_on = data.closes_on
    round_.organisations = organisations
    round_.departments = departments


def _flush_name(session: Session) -> None:
    # The check above answers normal cases; this catches two coordinators saving at once.
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise ValidationError(_TAKEN, field="name") from error


def _record(session: Session, actor: User, round_: AssessmentRound, action: str) -> None:
    record_event(
        session,
        actor_id=actor.id,
        action=f"assessment_round.{action}",
        object_type="assessment_round",
        object_id=round_.id,
        name=round_.name,
        opens_on=round_.opens_on,
        closes_on=round_.closes_on,
    )


def create_round(session: Session, actor: User, data: RoundData) -> AssessmentRound:
    """Create a round; the opening job tells its people on `opens_on`."""
    _require_manage(actor, None)
    name = _check_name(session, data.name, None)
    _check_period(data, None)
    round_ = AssessmentRound(created_by_id=actor.id)
    _apply(session, actor, round_, data, name)
    session.add(round_)
    _flush_name(session)
    _record(session, actor, round_, "create")
    return round_


def update_round(
    session: Session, actor: User, round_: AssessmentRound, data: RoundData
) -> AssessmentRound:
    """Change a round's name, period or targets (an announced round keeps its start date).

    People added to an announced round are not told by the opening job; they find the
    round on their assessment page.
    """
    _require_manage(actor, round_)
    name = _check_name(session, data.name, round_.id)
    _check_period(data, round_)
    _apply(session, actor, round_, data, name)
    _flush_name(session)
    _record(session, actor, round_, "update")
    return round_


def has_assessments(session: Session, round_: AssessmentRound) -> bool:
    """Whether anyone has started an assessment in the round (then it cannot be deleted)."""
    stmt = select(Assessment.id).where(Assessment.round_id == round_.id).limit(1)
    return session.scalar(stmt) is not None


def delete_round(session: Session, actor: User, round_: AssessmentRound) -> None:
    """Delete a round nobody has started to answer; Conflict otherwise."""
    _require_manage(actor, round_)
    if has_assessments(session, round_):
        raise Conflict(
            _l(
                "People have started to answer this round, so it cannot be deleted. "
                "You can change its dates instead."
            )
        )
    _record(session, actor, round_, "delete")
    session.delete(round_)
    session.flush()
