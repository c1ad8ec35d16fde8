"""Reads for the employee's own pages: what applies to me, my open rounds, my levels over time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from lms.accounts.models import JobRole, User
from lms.assessment.gaps import assessed_level, need
from lms.assessment.models import (
    COUNTED_STATUSES,
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    Rating,
)
from lms.assessment.rounds_base import RoundPhase, list_rounds_for, phase
from lms.framework.models import Competence, CompetenceArea, RoleExpectation


@dataclass(frozen=True)
class ApplicableCompetence:
    """A sub-competence that applies to a job role, with the level the role expects."""

    competence: Competence  # its area is loaded
    expected_level: int

    @property
    def id(self) -> int:
        return self.competence.id

    @property
    def area(self) -> CompetenceArea:
        return self.competence.area

    def level_texts(self) -> list[tuple[int, str]]:
        """(level, descriptor) for levels 1–5, as the framework words them."""
        return [(level, self.competence.level_text(level)) for level in range(1, 6)]


def _role_id(role: JobRole | int | None) -> int | None:
    return role.id if isinstance(role, JobRole) else role


def list_applicable(session: Session, role: JobRole | int | None) -> list[ApplicableCompetence]:
    """The competences a job role is expected to have, in framework order (one query).

    A competence without an expectation for the role does not apply; no role: nothing applies.
    """
    role_id = _role_id(role)
    if role_id is None:
        return []
    rows = session.execute(
        select(Competence, RoleExpectation.level)
        .join(RoleExpectation, RoleExpectation.competence_id == Competence.id)
        .join(Competence.area)
        .options(contains_eager(Competence.area))
        .where(RoleExpectation.job_role_id == role_id)
        .order_by(
            CompetenceArea.position, CompetenceArea.code, Competence.position, Competence.code
        )
    )
    return [ApplicableCompetence(competence, level) for competence, level in rows]


def list_ratings(session: Session, assessment: Assessment) -> dict[int, Rating]:
    """The assessment's ratings by competence id (one query)."""
    rows = session.scalars(select(Rating).where(Rating.assessment_id == assessment.id))
    return {rating.competence_id: rating for rating in rows}


def is_answered(rating: Rating | None) -> bool:
    """Whether a rating has what submitting needs: a self level and a motivation."""
    return rating is not None and rating.self_level is not None and rating.motivation is not None


# --- the rounds I can take part in -----------------------------------------------------------


@dataclass(frozen=True)
class MyRound:
    """A round that targets me, with my assessment in it (None before I start)."""

    round: AssessmentRound
    phase: RoundPhase
    assessment: Assessment | None
    answered: int = 0  # answered applicable competences of a draft

    @property
    def is_started(self) -> bool:
        return self.assessment is not None

    @property
    def is_draft(self) -> bool:
        return self.assessment is not None and self.assessment.is_draft


def list_my_rounds(
    session: Session, user: User, today: date, applicable: Iterable[int]
) -> list[MyRound]:
    """The open and upcoming rounds that target `user`, newest first, with my assessment.

    `applicable` are the competence ids that apply to me, for counting a draft's answers.
    A constant number of queries whatever the number of rounds.
    """
    rounds = [r for r in list_rounds_for(session, user) if phase(r, today) != RoundPhase.CLOSED]
    if not rounds:
        return []
    mine = {
        a.round_id: a
        for a in session.scalars(
            select(Assessment).where(
                Assessment.user_id == user.id, Assessment.round_id.in_([r.id for r in rounds])
            )
        )
    }
    answered = _count_answered(session, [a.id for a in mine.values() if a.is_draft], applicable)
    result = []
    for round_ in rounds:
        own = mine.get(round_.id)
        count = answered.get(own.id, 0) if own is not None else 0
        result.append(MyRound(round_, phase(round_, today), own, count))
    return result


def _count_answered(
    session: Session, assessment_ids: list[int], applicable: Iterable[int]
) -> dict[int, int]:
    if not assessment_ids:
        return {}
    counts: dict[int, int] = {}
    rows = session.execute(
        select(Rating.assessment_id).where(
            Rating.assessment_id.in_(assessment_ids),
            Rating.competence_id.in_(list(applicable)),
            Rating.self_level.is_not(None),
            Rating.motivation.is_not(None),
        )
    )
    for (assessment_id,) in rows:
        counts[assessment_id] = counts.get(assessment_id, 0) + 1
    return counts


# --- my assessments over time ----------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRound:
    """One counted assessment of mine: a column of the over-time table."""

    assessment_id: int
    round_name: str
    opens_on: date
    closes_on: date
    status: str
    submitted_at: datetime | None
    has_plan: bool


@dataclass(frozen=True)
class HistoryCell:
    self_level: int | None
    agreed_level: int | None
    expected_level: int | None  # for the job role I had in that round

    @property
    def assessed_level(self) -> int | None:
        return assessed_level(self.self_level, self.agreed_level)

    @property
    def need(self) -> int:
        return need(self.expected_level, self.assessed_level)


@dataclass
class HistoryRow:
    """A competence: the level expected of me now and my level in each round (None: not rated)."""

    competence: Competence
    expected_level: int | None
    cells: list[HistoryCell | None] = field(default_factory=list)


@dataclass
class MyHistory:
    rounds: list[HistoryRound]
    rows: list[HistoryRow]

    @property
    def is_empty(self) -> bool:
        return not self.rounds


def list_my_history(session: Session, user: User) -> MyHistory:
    """My submitted (counted) assessments, newest round first, as a competence × round table.

    The assessed level is the agreed one when set, else my own (DESIGN §4); each cell's need
    is measured against the role I had in that round, the expected column is my role now.
    Four queries whatever the number of rounds and competences.
    """
    assessments = list(
        session.scalars(
            select(Assessment)
            .join(Assessment.round)
            .options(contains_eager(Assessment.round))
            .where(Assessment.user_id == user.id, Assessment.status.in_(COUNTED_STATUSES))
            .order_by(AssessmentRound.opens_on.desc(), AssessmentRound.id.desc())
        )
    )
    if not assessments:
        return MyHistory([], [])
    ids = [a.id for a in assessments]
    with_plan = set(
        session.scalars(
            select(DevelopmentPlan.assessment_id).where(DevelopmentPlan.assessment_id.in_(ids))
        )
    )
    expected = _expected_by_role(session, {a.job_role_id for a in assessments} | {user.job_role_id})
    rows = _history_rows(session, assessments, expected, user.job_role_id)
    rounds = [
        HistoryRound(
            assessment_id=a.id,
            round_name=a.round.name,
            opens_on=a.round.opens_on,
            closes_on=a.round.closes_on,
            status=a.status,
            submitted_at=a.submitted_at,
            has_plan=a.id in with_plan,
        )
        for a in assessments
    ]
    return MyHistory(rounds, rows)


def _expected_by_role(session: Session, role_ids: set[int | None]) -> dict[int, dict[int, int]]:
    """{job role id: {competence id: expected level}} for the given roles (one query)."""
    wanted = [r for r in role_ids if r is not None]
    found: dict[int, dict[int, int]] = {r: {} for r in wanted}
    if not wanted:
        return found
    rows = session.execute(
        select(
            RoleExpectation.job_role_id, RoleExpectation.competence_id, RoleExpectation.level
        ).where(RoleExpectation.job_role_id.in_(wanted))
    )
    for role_id, competence_id, level in rows:
        found[role_id][competence_id] = level
    return found


def _history_rows(
    session: Session,
    assessments: list[Assessment],
    expected: dict[int, dict[int, int]],
    current_role_id: int | None,
) -> list[HistoryRow]:
    """One row per competence I have rated in any of `assessments`, in framework order."""
    column = {a.id: index for index, a in enumerate(assessments)}
    role_of = {a.id: a.job_role_id for a in assessments}
    rows = session.execute(
        select(Rating, Competence)
        .join(Rating.competence)
        .join(Competence.area)
        .options(contains_eager(Competence.area))
        .where(Rating.assessment_id.in_(list(column)))
        .order_by(
            CompetenceArea.position, CompetenceArea.code, Competence.position, Competence.code
        )
    )
    now_expected = expected.get(current_role_id, {}) if current_role_id is not None else {}
    by_competence: dict[int, HistoryRow] = {}
    for rating, competence in rows:
        row = by_competence.get(competence.id)
        if row is None:
            row = HistoryRow(competence, now_expected.get(competence.id), [None] * len(column))
            by_competence[competence.id] = row
        role_id = role_of[rating.assessment_id]
        then = expected.get(role_id, {}).get(competence.id) if role_id is not None else None
        row.cells[column[rating.assessment_id]] = HistoryCell(
            rating.self_level, rating.agreed_level, then
        )
    return list(by_competence.values())
