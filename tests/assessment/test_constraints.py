"""The database itself refuses impossible assessment data, whatever code writes it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.assessment.models import (
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    PlanGoal,
    Rating,
)
from tests import factories
from tests.assessment.factories import assessment, assessment_round
from tests.catalog.factories import framework


def _refused(session: Session, row: object) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(row)
        session.flush()


@pytest.mark.parametrize("column", ["self_level", "agreed_level", "motivation"])
@pytest.mark.parametrize("value", [0, 6])
def test_levels_and_motivation_outside_1_to_5_are_refused(
    session: Session, column: str, value: int
) -> None:
    made = assessment(session, factories.user(session), assessment_round(session))
    competence = framework(session).competences["4.2"]
    _refused(session, Rating(assessment_id=made.id, competence_id=competence.id, **{column: value}))


def test_one_rating_per_competence_and_one_assessment_per_round(session: Session) -> None:
    person = factories.user(session)
    round_ = assessment_round(session)
    made = assessment(session, person, round_, {"4.2": (3, 4)})
    competence = framework(session).competences["4.2"]
    _refused(session, Rating(assessment_id=made.id, competence_id=competence.id, self_level=2))
    _refused(session, Assessment(round_id=round_.id, user_id=person.id))


def test_a_round_cannot_close_before_it_opens(session: Session) -> None:
    _refused(
        session,
        AssessmentRound(name="Baklänges", opens_on=date(2026, 3, 2), closes_on=date(2026, 3, 1)),
    )


def test_a_goal_target_outside_1_to_5_is_refused(session: Session) -> None:
    person = factories.user(session)
    made = assessment(session, person, assessment_round(session))
    plan = DevelopmentPlan(assessment_id=made.id, user_id=person.id)
    session.add(plan)
    session.flush()
    competence = framework(session).competences["4.2"]
    _refused(session, PlanGoal(plan_id=plan.id, competence_id=competence.id, target_level=7))
