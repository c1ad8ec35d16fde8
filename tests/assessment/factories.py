"""Assessment test objects: rounds and assessments with ratings, written straight to the tables
(services get their own tests; these build the situations the other tests start from)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from sqlalchemy.orm import Session

from lms.accounts.models import Department, Organisation, User
from lms.assessment.models import Assessment, AssessmentRound, AssessmentStatus, Rating
from lms.core.time import utcnow
from tests.catalog.factories import framework

# (self level, motivation) or (self level, motivation, agreed level)
RatingValues = tuple[int, int] | tuple[int, int, int | None]


def assessment_round(
    session: Session,
    name: str = "Skattning hösten 2026",
    *,
    opens_on: date | None = None,
    closes_on: date | None = None,
    organisations: Iterable[Organisation] = (),
    departments: Iterable[Department] = (),
) -> AssessmentRound:
    """A round open today for four weeks unless dates are given."""
    opens_on = opens_on or date.today() - timedelta(days=1)
    round_ = AssessmentRound(
        name=name,
        opens_on=opens_on,
        closes_on=closes_on or opens_on + timedelta(days=28),
        organisations=list(organisations),
        departments=list(departments),
    )
    session.add(round_)
    session.flush()
    return round_


def assessment(
    session: Session,
    user: User,
    round_: AssessmentRound,
    ratings: Mapping[str, RatingValues] | None = None,
    *,
    status: AssessmentStatus = AssessmentStatus.SUBMITTED,
    agreed_by: User | None = None,
) -> Assessment:
    """`user`'s assessment in `round_` with ratings by competence code (framework() codes)."""
    competences = framework(session).competences
    now = utcnow()
    made = Assessment(
        round_id=round_.id,
        user_id=user.id,
        status=status,
        job_role_id=user.job_role_id,
        department_id=user.department_id,
        submitted_at=None if status == AssessmentStatus.DRAFT else now,
        reviewed_at=now
        if status in (AssessmentStatus.REVIEWED, AssessmentStatus.FOLLOWED_UP)
        else None,
        reviewed_by_id=agreed_by.id if agreed_by else None,
    )
    for code, values in (ratings or {}).items():
        agreed = values[2] if len(values) == 3 else None
        made.ratings.append(
            Rating(
                competence_id=competences[code].id,
                self_level=values[0],
                motivation=values[1],
                agreed_level=agreed,
                agreed_by_id=agreed_by.id if agreed is not None and agreed_by else None,
                agreed_at=now if agreed is not None else None,
            )
        )
    session.add(made)
    session.flush()
    return made
