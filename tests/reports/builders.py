"""A small organisation that answers an assessment round, for the report tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, template_rendered
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, JobRole, Organisation, User
from lms.assessment.models import AssessmentRound, AssessmentStatus
from tests import factories
from tests.assessment.factories import RatingValues, assessment, assessment_round
from tests.catalog.factories import role_with_expectations

SECRET_COMMENT = "Hemlig kommentar om min chef 7f3a"
LIBRARIAN = {"1.1": 3, "1.2": 3, "4.2": 3}
MANAGER = {"1.1": 3, "1.2": 3, "4.2": 4, "6.1": 3}


@dataclass
class Org:
    organisation: Organisation
    departments: dict[str, Department]
    roles: dict[str, JobRole]
    people: list[User] = field(default_factory=list)


def org(
    session: Session, departments: tuple[str, ...] = ("Stadsbiblioteket", "Stadsmuseet")
) -> Org:
    organisation = factories.organisation(session, "Kulturförvaltningen")
    return Org(
        organisation,
        {name: factories.department(session, name, organisation) for name in departments},
        {
            "Bibliotekarie": _role(session, "Bibliotekarie", LIBRARIAN),
            "Chef": _role(session, "Chef", MANAGER),
        },
    )


def _role(session: Session, name: str, expected: Mapping[str, int]) -> JobRole:
    """The job role with its expected levels (made once per test)."""
    existing = session.scalar(select(JobRole).where(JobRole.name == name))
    return existing or role_with_expectations(session, name, expected)


def round_for(session: Session, where: Org, name: str = "Skattning hösten 2026") -> AssessmentRound:
    return assessment_round(session, name, organisations=[where.organisation])


def person(session: Session, where: Org, department: str, role: str = "Bibliotekarie") -> User:
    made = factories.user(session, dept=where.departments[department], role=where.roles[role])
    where.people.append(made)
    return made


def answer(
    session: Session,
    who: User,
    round_: AssessmentRound,
    ratings: Mapping[str, RatingValues],
    *,
    status: AssessmentStatus = AssessmentStatus.SUBMITTED,
    comment: str = SECRET_COMMENT,
) -> None:
    made = assessment(session, who, round_, ratings, status=status)
    for rating in made.ratings:
        rating.comment = comment
    session.flush()


def crowd(
    session: Session,
    where: Org,
    round_: AssessmentRound,
    sizes: Mapping[str, int],
    ratings: Mapping[str, RatingValues] | None = None,
) -> list[User]:
    """`sizes[department]` librarians who all answer `ratings` (a need in 1.1 by default)."""
    answers = ratings or {"1.1": (2, 4), "1.2": (3, 5), "4.2": (4, 3)}
    people = []
    for department, size in sizes.items():
        for _ in range(size):
            who = person(session, where, department)
            answer(session, who, round_, answers)
            people.append(who)
    return people


@contextmanager
def rendered(app: Flask) -> Iterator[list[dict[str, Any]]]:
    """The context of each template the app renders meanwhile."""
    seen: list[dict[str, Any]] = []

    def record(sender: Any, template: Any, context: dict[str, Any], **extra: Any) -> None:
        seen.append(context)

    template_rendered.connect(record, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(record, app)
