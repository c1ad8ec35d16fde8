"""Reads for the coordinators' round pages: rounds and how far each has come, as counts only.

Who counts as taking part in a round: every active person it targets now, plus everyone who
already has an assessment in it (also if they have since moved or left), counted under the
department their assessment recorded. Nothing here returns a name or a rating (DESIGN §7).

Every read takes the reader's `coverage` (`lms.accounts.scope.reader_coverage`; None:
everything): a reader finds only the rounds that target some of it, and counts only the
people of it, so an organisation coordinator sees neither another organisation's rounds nor
its people's progress.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.selectable import Subquery

from lms.accounts.models import Department, Organisation, User
from lms.accounts.scope import Coverage
from lms.assessment.models import (
    COUNTED_STATUSES,
    Assessment,
    AssessmentRound,
    AssessmentStatus,
    round_departments,
    round_organisations,
)
from lms.assessment.rounds_base import targeted_user_ids

REVIEWED_STATUSES = (AssessmentStatus.REVIEWED, AssessmentStatus.FOLLOWED_UP)


@dataclass(frozen=True)
class ProgressCount:
    """How many take part, how many have submitted, how many have had their conversation."""

    targeted: int = 0
    submitted: int = 0
    reviewed: int = 0

    @property
    def share_submitted(self) -> float | None:
        return self.submitted / self.targeted if self.targeted else None

    @property
    def share_reviewed(self) -> float | None:
        return self.reviewed / self.targeted if self.targeted else None


@dataclass(frozen=True)
class DepartmentProgress(ProgressCount):
    organisation: str = ""
    department: str | None = None  # None: people without a department


@dataclass(frozen=True)
class RoundProgress:
    rows: list[DepartmentProgress]
    total: ProgressCount


def _meets(coverage: Coverage) -> ColumnElement[bool]:
    """Rounds targeting some of `coverage`: one of their whole organisations is covered or
    holds a covered department, or one of their departments is covered or lies in a covered
    organisation."""
    org_ids, dept_ids = sorted(coverage.organisation_ids), sorted(coverage.department_ids)
    orgs_of_departments = select(Department.organisation_id).where(Department.id.in_(dept_ids))
    whole = select(round_organisations.c.round_id).where(
        or_(
            round_organisations.c.organisation_id.in_(org_ids),
            round_organisations.c.organisation_id.in_(orgs_of_departments),
        )
    )
    single = (
        select(round_departments.c.round_id)
        .join(Department, Department.id == round_departments.c.department_id)
        .where(or_(Department.id.in_(dept_ids), Department.organisation_id.in_(org_ids)))
    )
    return or_(AssessmentRound.id.in_(whole), AssessmentRound.id.in_(single))


def _rounds(coverage: Coverage | None) -> Select[Any]:
    stmt = select(AssessmentRound).options(selectinload(AssessmentRound.organisations))
    return stmt if coverage is None else stmt.where(_meets(coverage))


def get_round(session: Session, round_id: int, coverage: Coverage | None) -> AssessmentRound | None:
    """The round with its targets loaded if it targets some of `coverage`, else None (the
    same as for an unknown id)."""
    stmt = _rounds(coverage).options(
        selectinload(AssessmentRound.departments).selectinload(Department.organisation)
    )
    return session.scalar(stmt.where(AssessmentRound.id == round_id))


def list_rounds(session: Session, coverage: Coverage | None) -> list[AssessmentRound]:
    """The rounds targeting some of `coverage` (None: all), newest first, targets loaded."""
    stmt = (
        _rounds(coverage)
        .options(selectinload(AssessmentRound.departments))
        .order_by(AssessmentRound.opens_on.desc(), AssessmentRound.id.desc())
    )
    return list(session.scalars(stmt))


def _participants(round_ids: Sequence[int]) -> Subquery:
    """(round_id, user_id) of everyone taking part in each round, each pair once."""
    parts: list[Select[Any]] = []
    for round_id in round_ids:
        targeted = targeted_user_ids(round_id).subquery()
        # An integer written into the SQL, so every backend knows the union column's type.
        number = literal_column(str(int(round_id)), Integer)
        parts.append(select(number.label("round_id"), targeted.c.id.label("user_id")))
    assessed = select(Assessment.round_id, Assessment.user_id).where(
        Assessment.round_id.in_(round_ids)
    )
    return union(*parts, assessed).subquery("participants")


def _counts() -> tuple[ColumnElement[Any], ...]:
    """Taking part, submitted and reviewed, over the rows joined to their assessment."""
    submitted = case((Assessment.status.in_(COUNTED_STATUSES), 1), else_=0)
    reviewed = case((Assessment.status.in_(REVIEWED_STATUSES), 1), else_=0)
    return (
        func.count(),
        func.coalesce(func.sum(submitted), 0),
        func.coalesce(func.sum(reviewed), 0),
    )


def _with_assessment(people: Subquery) -> ColumnElement[bool]:
    return and_(Assessment.round_id == people.c.round_id, Assessment.user_id == people.c.user_id)


_DEPARTMENT = Department.__table__.alias("department")
# Where a participant counts: the department their assessment recorded, else theirs now, and
# that department's organisation (their own organisation when they have no department).
_COUNTED_DEPARTMENT_ID = case(
    (Assessment.id.is_not(None), Assessment.department_id), else_=User.department_id
)
_COUNTED_ORGANISATION_ID = func.coalesce(_DEPARTMENT.c.organisation_id, User.organisation_id)


def _placed(people: Subquery) -> Select[Any]:
    """The participants joined to their person, assessment and counted department."""
    return (
        select()
        .select_from(people)
        .join(User, User.id == people.c.user_id)
        .outerjoin(Assessment, _with_assessment(people))
        .outerjoin(_DEPARTMENT, _DEPARTMENT.c.id == _COUNTED_DEPARTMENT_ID)
    )


def _counted_in(coverage: Coverage) -> ColumnElement[bool]:
    """Participants who count in a covered organisation or department."""
    return or_(
        _COUNTED_ORGANISATION_ID.in_(sorted(coverage.organisation_ids)),
        _COUNTED_DEPARTMENT_ID.in_(sorted(coverage.department_ids)),
    )


def count_round_totals(
    session: Session, rounds: Sequence[AssessmentRound], coverage: Coverage | None
) -> dict[int, ProgressCount]:
    """Each round's progress among the people of `coverage` (None: everyone) in one query
    (rounds without anyone: zeros)."""
    round_ids = [r.id for r in rounds]
    if not round_ids:
        return {}
    people = _participants(round_ids)
    if coverage is None:
        stmt = select().select_from(people).outerjoin(Assessment, _with_assessment(people))
    else:
        stmt = _placed(people).where(_counted_in(coverage))
    stmt = stmt.add_columns(people.c.round_id, *_counts()).group_by(people.c.round_id)
    found = {
        int(round_id): ProgressCount(int(targeted), int(submitted), int(reviewed))
        for round_id, targeted, submitted, reviewed in session.execute(stmt)
    }
    return {round_id: found.get(round_id, ProgressCount()) for round_id in round_ids}


def count_progress(
    session: Session, round_: AssessmentRound, coverage: Coverage | None
) -> RoundProgress:
    """Progress per department of a round among the people of `coverage` (None: everyone),
    plus the total, in one aggregate query.

    People with an assessment count under the department it recorded; the others under
    their department now. Rows are sorted by organisation, then department.
    """
    people = _participants([round_.id])
    stmt = (
        _placed(people)
        .add_columns(Organisation.name, _DEPARTMENT.c.name, *_counts())
        .join(Organisation, Organisation.id == _COUNTED_ORGANISATION_ID)
        .group_by(Organisation.id, Organisation.name, _DEPARTMENT.c.id, _DEPARTMENT.c.name)
    )
    if coverage is not None:
        stmt = stmt.where(_counted_in(coverage))
    rows = [
        DepartmentProgress(
            organisation=str(organisation),
            department=None if name is None else str(name),
            targeted=int(targeted),
            submitted=int(submitted),
            reviewed=int(reviewed),
        )
        for organisation, name, targeted, submitted, reviewed in session.execute(stmt)
    ]
    rows.sort(key=lambda row: (row.organisation.casefold(), (row.department or "").casefold()))
    total = ProgressCount(
        targeted=sum(row.targeted for row in rows),
        submitted=sum(row.submitted for row in rows),
        reviewed=sum(row.reviewed for row in rows),
    )
    return RoundProgress(rows=rows, total=total)


def count_assessments(session: Session, round_: AssessmentRound) -> int:
    """How many assessments (any status) the round has."""
    stmt = select(func.count()).where(Assessment.round_id == round_.id)
    return int(session.scalar(stmt) or 0)
