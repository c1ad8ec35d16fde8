"""Reads of the manager conversation: the team's assessments and one assessment's level table."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from lms.accounts.models import User
from lms.accounts.queries import team_ids
from lms.assessment import gaps
from lms.assessment.models import Assessment, AssessmentRound, AssessmentStatus, Rating
from lms.assessment.rounds_base import RoundPhase, is_targeted, phase
from lms.core.i18n import _l
from lms.framework.models import Competence, CompetenceArea, RoleExpectation


class TeamStatus(enum.StrEnum):
    """Where one person is in one round, as the manager's list shows it."""

    NOT_STARTED = "not_started"
    DRAFT = AssessmentStatus.DRAFT.value
    SUBMITTED = AssessmentStatus.SUBMITTED.value
    REVIEWED = AssessmentStatus.REVIEWED.value
    FOLLOWED_UP = AssessmentStatus.FOLLOWED_UP.value


TEAM_STATUS_LABELS = {
    TeamStatus.NOT_STARTED: _l("Not started yet"),
    TeamStatus.DRAFT: _l("Draft"),
    TeamStatus.SUBMITTED: _l("Submitted"),
    TeamStatus.REVIEWED: _l("Conversation held"),
    TeamStatus.FOLLOWED_UP: _l("Followed up"),
}


@dataclass(frozen=True)
class TeamEntry:
    """One round for one person: the status only (a draft's answers are never read here)."""

    round: AssessmentRound
    phase: RoundPhase
    status: TeamStatus
    assessment_id: int | None

    @property
    def has_conversation(self) -> bool:
        """Submitted or later: the conversation page and the plan are open to the manager."""
        return self.assessment_id is not None and self.status not in (
            TeamStatus.NOT_STARTED,
            TeamStatus.DRAFT,
        )


@dataclass
class TeamMember:
    person: User
    entries: list[TeamEntry] = field(default_factory=list)


def _round_order(today: date) -> Callable[[AssessmentRound], tuple[int, int, int]]:
    def key(round_: AssessmentRound) -> tuple[int, int, int]:
        # The open round(s) first, then newest first.
        first = 0 if phase(round_, today) == RoundPhase.OPEN else 1
        return (first, -round_.opens_on.toordinal(), -round_.id)

    return key


def _team_people(session: Session, manager: User) -> list[User]:
    stmt = (
        select(User)
        .where(User.id.in_(team_ids(manager)), User.is_active)
        .options(joinedload(User.department), joinedload(User.job_role), joinedload(User.manager))
        .order_by(User.name, User.id)
    )
    return list(session.scalars(stmt).unique())


def _team_statuses(session: Session, manager: User) -> dict[tuple[int, int], tuple[int, str]]:
    """(user id, round id) → (assessment id, status); only these columns, never the ratings."""
    rows = session.execute(
        select(Assessment.user_id, Assessment.round_id, Assessment.id, Assessment.status).where(
            Assessment.user_id.in_(team_ids(manager))
        )
    )
    return {(user_id, round_id): (aid, status) for user_id, round_id, aid, status in rows}


def list_team(session: Session, manager: User, today: date) -> list[TeamMember]:
    """Everyone active below `manager` with their status in each round that concerns them.

    A round concerns a person when it targets them and has opened, or when they have an
    assessment in it (they may have moved since). The open round comes first, then the
    newest. A constant number of queries, whatever the size of the team.
    """
    people = _team_people(session, manager)
    statuses = _team_statuses(session, manager)
    rounds = list(
        session.scalars(
            select(AssessmentRound).options(
                selectinload(AssessmentRound.organisations),
                selectinload(AssessmentRound.departments),
            )
        )
    )
    rounds.sort(key=_round_order(today))
    return [TeamMember(p, _entries(p, rounds, statuses, today)) for p in people]


def _entries(
    person: User,
    rounds: list[AssessmentRound],
    statuses: dict[tuple[int, int], tuple[int, str]],
    today: date,
) -> list[TeamEntry]:
    entries = []
    for round_ in rounds:
        found = statuses.get((person.id, round_.id))
        round_phase = phase(round_, today)
        if found is None and (
            round_phase == RoundPhase.UPCOMING or not is_targeted(round_, person)
        ):
            continue
        if found is None:
            entries.append(TeamEntry(round_, round_phase, TeamStatus.NOT_STARTED, None))
        else:
            entries.append(TeamEntry(round_, round_phase, TeamStatus(found[1]), found[0]))
    return entries


# --- one assessment's level table --------------------------------------------------------------


@dataclass(frozen=True)
class ConversationRow:
    """One applicable competence: the person's answer, the agreed level and the gap."""

    competence: Competence
    expected: int
    rating_id: int | None
    self_level: int | None
    motivation: int | None
    comment: str
    agreed_level: int | None
    agreed_by_name: str | None
    agreed_at: datetime | None

    @property
    def assessed_level(self) -> int | None:
        return gaps.assessed_level(self.self_level, self.agreed_level)

    @property
    def need(self) -> int:
        return gaps.need(self.expected, self.assessed_level)

    @property
    def can_agree(self) -> bool:
        """A level can be agreed only where the person gave a self level."""
        return self.self_level is not None


@dataclass
class AreaRows:
    area: CompetenceArea
    rows: list[ConversationRow] = field(default_factory=list)


def conversation_rows(session: Session, assessment: Assessment) -> list[AreaRows]:
    """Every competence that applies to the assessment's job role (its snapshot), by area.

    One query. A competence without an expected level for the role does not apply and is
    left out; an assessment without a recorded job role has no rows.
    """
    if assessment.job_role_id is None:
        return []
    agreed_by = aliased(User)
    stmt = (
        select(Competence, CompetenceArea, RoleExpectation.level, Rating, agreed_by.name)
        .join(RoleExpectation, RoleExpectation.competence_id == Competence.id)
        .join(CompetenceArea, CompetenceArea.id == Competence.area_id)
        .outerjoin(
            Rating,
            and_(Rating.competence_id == Competence.id, Rating.assessment_id == assessment.id),
        )
        .outerjoin(agreed_by, agreed_by.id == Rating.agreed_by_id)
        .where(RoleExpectation.job_role_id == assessment.job_role_id)
        .order_by(
            CompetenceArea.position, CompetenceArea.code, Competence.position, Competence.code
        )
    )
    groups: dict[int, AreaRows] = {}
    for competence, area, expected, rating, agreed_by_name in session.execute(stmt):
        group = groups.setdefault(area.id, AreaRows(area))
        group.rows.append(_row(competence, expected, rating, agreed_by_name))
    return list(groups.values())


def _row(
    competence: Competence, expected: int, rating: Rating | None, agreed_by_name: str | None
) -> ConversationRow:
    return ConversationRow(
        competence=competence,
        expected=expected,
        rating_id=rating.id if rating else None,
        self_level=rating.self_level if rating else None,
        motivation=rating.motivation if rating else None,
        comment=rating.comment if rating else "",
        agreed_level=rating.agreed_level if rating else None,
        agreed_by_name=agreed_by_name if rating and rating.agreed_level is not None else None,
        agreed_at=rating.agreed_at if rating else None,
    )


def get_reviewer_name(session: Session, assessment: Assessment) -> str | None:
    """The name of the manager who marked the conversation held (None: not held, or gone)."""
    if assessment.reviewed_by_id is None:
        return None
    return session.scalar(select(User.name).where(User.id == assessment.reviewed_by_id))
