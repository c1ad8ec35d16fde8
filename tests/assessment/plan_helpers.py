"""A small organisation for the plan and request tests: a person, their manager chain, outsiders."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from sqlalchemy.orm import Session

from lms.accounts.models import Department, JobRole, User
from lms.assessment.goal_progress import on_completion_recorded
from lms.assessment.models import Assessment, AssessmentRound, AssessmentStatus
from lms.config import REPO_ROOT
from lms.core.access import Permission
from lms.progress.signals import completion_recorded
from tests import factories
from tests.assessment import factories as af
from tests.catalog.factories import role_with_expectations

# Expected levels of the test job role; 3.1 and 6.1 do not apply to it.
EXPECTED = {"1.1": 3, "1.2": 4, "2.1": 3, "4.1": 3, "4.2": 4, "5.1": 2}
# (self, motivation[, agreed]) chosen so that gap, motivation and framework order all decide:
# gap 2: 1.2 (motivation 5), 4.1 (agreed 1 under self 3; motivation 4), 1.1 (motivation 2);
# gap 1: 4.2 and 5.1 (both motivation 4: framework order); 2.1: agreed 3 closes self's gap;
# 3.1 does not apply to the role, whatever its levels.
RATINGS: dict[str, af.RatingValues] = {
    "1.1": (1, 2),
    "1.2": (2, 5),
    "2.1": (1, 3, 3),
    "3.1": (1, 5),
    "4.1": (3, 4, 1),
    "4.2": (3, 4),
    "5.1": (1, 4),
}
PREFILL_ORDER = ["1.2", "4.1", "1.1", "4.2", "5.1"]


@dataclass
class Team:
    department: Department
    other_department: Department
    role: JobRole
    top: User  # the manager's manager
    boss: User
    person: User
    colleague: User  # same manager, another employee
    other_boss: User  # manages another team
    coordinator: User
    admin: User
    round: AssessmentRound
    assessment: Assessment

    def outsiders(self) -> dict[str, User]:
        return {
            "colleague": self.colleague,
            "other_boss": self.other_boss,
            "coordinator": self.coordinator,
            "admin": self.admin,
        }


def make_team(
    session: Session,
    *,
    status: AssessmentStatus = AssessmentStatus.REVIEWED,
    closes_on: date | None = None,
) -> Team:
    department = factories.department(session, "Stadsbiblioteket")
    other = factories.department(session, "Kulturskolan")
    role = role_with_expectations(session, "Bibliotekarie", EXPECTED)
    top = factories.user(
        session, name="Maria Avdelningschef", permissions=Permission.MANAGER, dept=department
    )
    boss = factories.user(
        session, name="Karin Chef", permissions=Permission.MANAGER, manager=top, dept=department
    )
    person = factories.user(
        session, name="Elin Lindqvist", role=role, manager=boss, dept=department
    )
    colleague = factories.user(
        session, name="Omar Kollega", role=role, manager=boss, dept=department
    )
    other_boss = factories.user(
        session, name="Per Annanchef", permissions=Permission.MANAGER, dept=other
    )
    coordinator = factories.user(
        session, name="Sara Samordnare", permissions=Permission.COORDINATOR, dept=other
    )
    admin = factories.admin(session, name="Ali Administratör", dept=other)
    round_ = af.assessment_round(
        session,
        opens_on=date(2026, 3, 1) if closes_on else None,
        closes_on=closes_on,
        organisations=[department.organisation],
    )
    made = af.assessment(session, person, round_, RATINGS, status=status, agreed_by=boss)
    return Team(
        department,
        other,
        role,
        top,
        boss,
        person,
        colleague,
        other_boss,
        coordinator,
        admin,
        round_,
        made,
    )


def committed_team(session: Session) -> Team:
    """A team with a reviewed assessment, committed so that requests see it."""
    made = make_team(session)
    session.commit()
    return made


@contextmanager
def goal_progress_connected() -> Iterator[None]:
    """The receiver connected as lms/app.py does (and left as it was found afterwards)."""
    already = on_completion_recorded in list(completion_recorded.receivers_for(None))
    if not already:
        completion_recorded.connect(on_completion_recorded)
    yield
    if not already:
        completion_recorded.disconnect(on_completion_recorded)


_CATALOG: NullTranslations | None = None


def sv_plural(singular: str, plural: str, num: int, **values: Any) -> str:
    """The Swedish text of a plural msgid as the app shows it (English while untranslated)."""
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = Translations.load(str(Path(REPO_ROOT) / "lms" / "translations"), ["sv"])
    return _CATALOG.ngettext(singular, plural, num) % {"num": num, **values}
