"""Importing assessments from CSV (DESIGN §5), for organisations moving from another tool.

Every row is checked first; on any problem nothing is written. Then each person's ratings in
each round are stored on their assessment (created when missing) and the assessment counts
as submitted, or reviewed when the file gives an agreed level. Importing the same file again
changes nothing. A round the file names that does not exist is created as a past round
(closed yesterday, already announced, so no job tells anyone about it) targeting the
organisations of its people in the file; existing rounds keep their targets.

An empty agreed level leaves any agreed level already stored as it is (a manager may have
set it here), and an assessment already reviewed or followed up keeps its status.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import JobRole, Organisation, User
from lms.assessment.import_parse import NotUtf8, Problem, Row, parse_assessments_csv, read_text
from lms.assessment.models import Assessment, AssessmentRound, AssessmentStatus, Rating
from lms.assessment.signals import needs_changed
from lms.core.imports import ImportFailed
from lms.core.time import local_date, utcnow
from lms.framework.models import Competence, RoleExpectation

CHUNK = 500  # keeps IN lists far below every backend's bind-parameter limit
WHAT = "assessments file"
LOCKED = (AssessmentStatus.REVIEWED, AssessmentStatus.FOLLOWED_UP)


@dataclass
class ImportResult:
    rows: int = 0
    rounds_created: int = 0
    assessments_created: int = 0
    assessments_updated: int = 0
    ratings_created: int = 0
    ratings_updated: int = 0

    @property
    def unchanged(self) -> int:
        return self.rows - self.ratings_created - self.ratings_updated

    def summary(self) -> str:
        noun = "row" if self.rows == 1 else "rows"
        if not (self.ratings_created or self.ratings_updated or self.assessments_updated):
            return f"{self.rows} {noun}: no changes ({self.unchanged} already imported)"
        return (
            f"{self.rows} {noun}: {_n(self.ratings_created, 'rating')} created, "
            f"{self.ratings_updated} updated, {self.unchanged} unchanged; "
            f"{_n(self.assessments_created, 'assessment')} created, "
            f"{self.assessments_updated} updated; {_n(self.rounds_created, 'round')} created"
        )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass
class Known:
    """What the file's rows refer to, loaded in a few queries."""

    users: dict[str, User]
    competences: dict[str, Competence]
    roles: dict[int, JobRole]
    applies: set[tuple[int, int]]  # (job role id, competence id)
    rounds: dict[str, AssessmentRound]


def _chunks(items: Iterable[object]) -> list[list[object]]:
    ordered = sorted(set(items), key=str)
    return [ordered[start : start + CHUNK] for start in range(0, len(ordered), CHUNK)]


def _load(session: Session, rows: list[Row]) -> Known:
    users: dict[str, User] = {}
    for chunk in _chunks(row.email for row in rows):
        users.update(
            (u.email, u) for u in session.scalars(select(User).where(User.email.in_(chunk)))
        )
    role_ids = {u.job_role_id for u in users.values() if u.job_role_id is not None}
    roles = {r.id: r for r in session.scalars(select(JobRole).where(JobRole.id.in_(role_ids)))}
    expectations = select(RoleExpectation.job_role_id, RoleExpectation.competence_id).where(
        RoleExpectation.job_role_id.in_(role_ids)
    )
    rounds: dict[str, AssessmentRound] = {}
    for chunk in _chunks(row.round for row in rows):
        stmt = select(AssessmentRound).where(AssessmentRound.name.in_(chunk))
        rounds.update((r.name, r) for r in session.scalars(stmt))
    return Known(
        users=users,
        competences={c.code: c for c in session.scalars(select(Competence))},
        roles=roles,
        applies={
            (int(role), int(competence)) for role, competence in session.execute(expectations)
        },
        rounds=rounds,
    )


def _row_problem(row: Row, known: Known) -> str | None:
    user = known.users.get(row.email)
    if user is None:
        return f"unknown user {row.email}"
    competence = known.competences.get(row.competence)
    if competence is None:
        return f"unknown competence {row.competence!r}"
    if user.job_role_id is None:
        return f"{row.email} has no job role, so no competence applies to them"
    if (user.job_role_id, competence.id) not in known.applies:
        role = known.roles[user.job_role_id].name
        return f"competence {row.competence} does not apply to the job role {role} of {row.email}"
    return None


def _problems(session: Session, path: Path) -> tuple[list[Row], Known]:
    """The rows and what they refer to; ImportFailed with every problem when there is any."""
    try:
        rows, problems = parse_assessments_csv(read_text(path))
    except NotUtf8 as error:
        raise ImportFailed(
            [f"{path.name}:{error.line}: the file is not UTF-8 text"], WHAT
        ) from None
    known = _load(session, rows)
    for row in rows:
        reason = _row_problem(row, known)
        if reason is not None:
            problems.append((row.line, reason))
    if problems:
        raise ImportFailed(_lines(path, problems), WHAT)
    return rows, known


def _lines(path: Path, problems: list[Problem]) -> list[str]:
    ordered = sorted(problems, key=lambda problem: problem[0])
    return [f"{path.name}:{line}: {reason}" for line, reason in ordered]


# --- writing -------------------------------------------------------------------------------


def _create_rounds(session: Session, rows: list[Row], known: Known, now: datetime) -> int:
    """Create the rounds the file names that do not exist, as past, announced rounds."""
    organisation_ids: dict[str, set[int]] = {}
    for row in rows:
        if row.round not in known.rounds:
            organisation_ids.setdefault(row.round, set()).add(
                known.users[row.email].organisation_id
            )
    if not organisation_ids:
        return 0
    wanted = set().union(*organisation_ids.values())
    organisations = {
        o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))
    }
    yesterday = local_date(now) - timedelta(days=1)
    for name, ids in organisation_ids.items():
        round_ = AssessmentRound(
            name=name,
            opens_on=yesterday,
            closes_on=yesterday,
            announced_at=now,
            organisations=sorted((organisations[i] for i in ids), key=lambda o: o.name),
        )
        session.add(round_)
        known.rounds[name] = round_
    session.flush()
    return len(organisation_ids)


def _existing(session: Session, rows: list[Row], known: Known) -> dict[tuple[int, int], Assessment]:
    round_ids = sorted({known.rounds[row.round].id for row in rows})
    found: dict[tuple[int, int], Assessment] = {}
    for chunk in _chunks(known.users[row.email].id for row in rows):
        stmt = (
            select(Assessment)
            .options(selectinload(Assessment.ratings))
            .where(Assessment.round_id.in_(round_ids), Assessment.user_id.in_(chunk))
        )
        found.update(((a.round_id, a.user_id), a) for a in session.scalars(stmt))
    return found


def _store_rating(assessment: Assessment, competence_id: int, row: Row, now: datetime) -> str:
    """Create or update one rating; returns "created", "updated" or "unchanged"."""
    rating = next((r for r in assessment.ratings if r.competence_id == competence_id), None)
    if rating is None:
        rating = Rating(competence_id=competence_id, comment="", updated_at=now)
        assessment.ratings.append(rating)
        outcome = "created"
    else:
        outcome = "unchanged"
    wanted = {"self_level": row.self_level, "motivation": row.motivation}
    if row.agreed_level is not None:
        wanted["agreed_level"] = row.agreed_level
    for name, value in wanted.items():
        if getattr(rating, name) != value:
            setattr(rating, name, value)
            rating.updated_at = now
            if name == "agreed_level":
                rating.agreed_at = now
            outcome = "updated" if outcome == "unchanged" else outcome
    return outcome


def _settle(assessment: Assessment, user: User, agreed: bool, now: datetime) -> bool:
    """Submitted, or reviewed with an agreed level, never lower; True when it changed."""
    before = (
        assessment.status,
        assessment.job_role_id,
        assessment.department_id,
        assessment.submitted_at,
        assessment.reviewed_at,
    )
    if assessment.status not in LOCKED:
        # The person's role and department at the last write before review (models.py).
        assessment.job_role_id = user.job_role_id
        assessment.department_id = user.department_id
        assessment.status = AssessmentStatus.REVIEWED if agreed else AssessmentStatus.SUBMITTED
    assessment.submitted_at = assessment.submitted_at or now
    if assessment.status in LOCKED:
        assessment.reviewed_at = assessment.reviewed_at or now
    after = (
        assessment.status,
        assessment.job_role_id,
        assessment.department_id,
        assessment.submitted_at,
        assessment.reviewed_at,
    )
    return before != after


def _write(session: Session, rows: list[Row], known: Known, now: datetime) -> ImportResult:
    result = ImportResult(rows=len(rows), rounds_created=_create_rounds(session, rows, known, now))
    assessments = _existing(session, rows, known)
    changed_users: set[int] = set()
    groups: dict[tuple[int, int], list[Row]] = {}
    for row in rows:
        key = (known.rounds[row.round].id, known.users[row.email].id)
        groups.setdefault(key, []).append(row)
    for (round_id, user_id), group in groups.items():
        user = known.users[group[0].email]
        assessment = assessments.get((round_id, user_id))
        is_new = assessment is None
        if assessment is None:
            assessment = Assessment(
                round_id=round_id, user_id=user_id, status=AssessmentStatus.DRAFT
            )
            session.add(assessment)
            result.assessments_created += 1
        changed = _settle(assessment, user, any(r.agreed_level is not None for r in group), now)
        for row in group:
            outcome = _store_rating(assessment, known.competences[row.competence].id, row, now)
            result.ratings_created += outcome == "created"
            result.ratings_updated += outcome == "updated"
            changed = changed or outcome != "unchanged"
        if changed:
            assessment.updated_at = now
            result.assessments_updated += not is_new
            changed_users.add(user_id)
    session.flush()
    needs_changed.send(None, session=session, user_ids=changed_users)
    return result


def import_assessments(session: Session, path: Path) -> ImportResult:
    """Validate the whole file, then store its ratings (the caller commits).

    Nothing is written unless every row is valid; importing the same file again changes
    nothing. Problems are reported as ``<file>:<line>: <reason>`` in an ImportFailed.
    """
    rows, known = _problems(session, path)
    return _write(session, rows, known, utcnow())
