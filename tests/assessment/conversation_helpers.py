"""A small organisation for the conversation tests: a chain of managers, a person, outsiders."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from lms.accounts.models import JobRole, User
from lms.assessment.models import Assessment, AssessmentRound
from lms.core.access import Permission
from lms.framework.models import Competence
from tests import factories
from tests.assessment.factories import assessment, assessment_round
from tests.catalog.factories import framework, role_with_expectations

# The librarian role: 1.1 expected 3, 4.2 expected 4, 5.1 expected 2; area 6 does not apply.
EXPECTED = {"1.1": 3, "4.2": 4, "5.1": 2}


@dataclass
class Team:
    role: JobRole
    round: AssessmentRound
    boss: User  # the head of the department: the manager's manager
    manager: User
    person: User
    colleague: User  # another report of `manager`
    other_manager: User  # manages another team
    coordinator: User
    admin: User
    assessment: Assessment  # the person's, submitted: 1.1 and 4.2 rated, 5.1 not

    def competence(self, session: Session, code: str) -> Competence:
        return framework(session).competences[code]


def build_team(session: Session) -> Team:
    dept = factories.department(session, "Stadsbiblioteket")
    role = role_with_expectations(session, "Bibliotekarie", EXPECTED)
    boss = factories.user(session, name="Birgitta Chefsson", permissions=Permission.MANAGER)
    manager = factories.user(
        session, name="Mats Enhetschef", permissions=Permission.MANAGER, manager=boss, dept=dept
    )
    person = factories.user(session, name="Anna Lind", role=role, manager=manager, dept=dept)
    colleague = factories.user(session, name="Karl Berg", role=role, manager=manager, dept=dept)
    other_manager = factories.user(
        session, name="Olle Annanchef", permissions=Permission.MANAGER, dept=dept
    )
    factories.user(session, name="Eva Annanteam", role=role, manager=other_manager, dept=dept)
    round_ = assessment_round(session, organisations=[dept.organisation])
    made = assessment(session, person, round_, {"1.1": (2, 4), "4.2": (3, 5)})
    made.ratings[0].comment = "Jag vill lära mig mer om sökteknik."
    session.flush()
    return Team(
        role=role,
        round=round_,
        boss=boss,
        manager=manager,
        person=person,
        colleague=colleague,
        other_manager=other_manager,
        coordinator=factories.user(
            session, name="Sara Samordnare", permissions=Permission.COORDINATOR
        ),
        admin=factories.admin(session, name="Adam Admin"),
        assessment=made,
    )
