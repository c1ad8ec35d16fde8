"""What every part of assessment asks of a round: is it open today, and whom does it target."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import User
from lms.assessment.models import AssessmentRound, round_departments, round_organisations


class RoundPhase(enum.StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


def phase(round_: AssessmentRound, today: date) -> RoundPhase:
    """Upcoming before `opens_on`, open through `closes_on` (inclusive), closed after."""
    if today < round_.opens_on:
        return RoundPhase.UPCOMING
    if today > round_.closes_on:
        return RoundPhase.CLOSED
    return RoundPhase.OPEN


def is_open(round_: AssessmentRound, today: date) -> bool:
    return phase(round_, today) == RoundPhase.OPEN


def is_targeted(round_: AssessmentRound, user: User) -> bool:
    """Whether `user` belongs to one of the round's organisations or departments."""
    if user.organisation_id in {o.id for o in round_.organisations}:
        return True
    return user.department_id is not None and user.department_id in {
        d.id for d in round_.departments
    }


def targeted_user_ids(round_id: int) -> Select[Any]:
    """Ids of the active people the round targets (a subquery; a round without targets: none)."""
    in_organisation = User.organisation_id.in_(
        select(round_organisations.c.organisation_id).where(
            round_organisations.c.round_id == round_id
        )
    )
    in_department = User.department_id.in_(
        select(round_departments.c.department_id).where(round_departments.c.round_id == round_id)
    )
    return select(User.id).where(User.is_active, or_(in_organisation, in_department))


def list_rounds_for(session: Session, user: User) -> list[AssessmentRound]:
    """Every round that targets `user`, newest first (targets loaded)."""
    rounds = session.scalars(
        select(AssessmentRound)
        .options(
            selectinload(AssessmentRound.organisations),
            selectinload(AssessmentRound.departments),
        )
        .order_by(AssessmentRound.opens_on.desc(), AssessmentRound.id.desc())
    )
    return [r for r in rounds if is_targeted(r, user)]
