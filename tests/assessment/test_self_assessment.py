"""The self-assessment rules: what applies, starting, saving as you go, submitting, my history."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import JobRole, User
from lms.assessment import self_queries as queries
from lms.assessment.models import Assessment, AssessmentRound, AssessmentStatus, Rating
from lms.assessment.self_assessment import (
    COMMENT_MAX,
    AnswersMissing,
    no_role_message,
    save_answer,
    start_assessment,
    submit_assessment,
)
from lms.core.errors import Conflict, NotFound, ValidationError
from lms.core.time import local_date, utcnow
from lms.notify.models import Notification
from tests import factories
from tests.assessment.factories import assessment, assessment_round
from tests.catalog.conftest import sv
from tests.catalog.factories import framework, role_with_expectations

LIBRARIAN = {"4.2": 3, "1.1": 3, "2.1": 2}
SYSTEM_OWNER = {"1.1": 3, "6.1": 4, "4.2": 4}


def today() -> date:
    return local_date(utcnow())


@pytest.fixture
def librarian(session: Session) -> JobRole:
    return role_with_expectations(session, "Bibliotekarie", LIBRARIAN)


@pytest.fixture
def manager(session: Session) -> User:
    return factories.user(session, name="Karin Chef", email="karin.chef@kultur.example.se")


@pytest.fixture
def person(session: Session, librarian: JobRole, manager: User) -> User:
    return factories.user(session, name="Fatima Ahmed", role=librarian, manager=manager)


@pytest.fixture
def open_round(session: Session, person: User) -> AssessmentRound:
    return assessment_round(
        session,
        opens_on=today() - timedelta(days=3),
        closes_on=today() + timedelta(days=20),
        organisations=[person.organisation],
    )


@pytest.fixture
def draft(session: Session, person: User, open_round: AssessmentRound) -> Assessment:
    return start_assessment(session, person, open_round, today())


def answer(
    session: Session,
    person: User,
    draft: Assessment,
    code: str,
    level: int | None = 3,
    motivation: int | None = 4,
    comment: str = "",
    now: datetime | None = None,
) -> Rating:
    return save_answer(
        session,
        person,
        draft,
        framework(session).competences[code].id,
        self_level=level,
        motivation=motivation,
        comment=comment,
        now=now or utcnow(),
    )


def codes(items: list[queries.ApplicableCompetence]) -> list[str]:
    return [item.competence.code for item in items]


# --- what applies ----------------------------------------------------------------------------


def test_applicable_competences_come_in_framework_order_in_one_query(
    session: Session, librarian: JobRole, count_queries: Any
) -> None:
    with count_queries() as counted:
        items = queries.list_applicable(session, librarian)
    assert counted.count == 1
    assert codes(items) == ["1.1", "2.1", "4.2"]
    assert [i.expected_level for i in items] == [3, 2, 3]
    assert items[0].area.code == "1" and items[0].level_texts()[2] == (3, "Nivå 3 i 1.1.")


def test_area_6_applies_only_to_roles_that_expect_it(session: Session, librarian: JobRole) -> None:
    owner = role_with_expectations(session, "Systemägare", SYSTEM_OWNER)
    assert "6.1" in codes(queries.list_applicable(session, owner))
    assert "6.1" not in codes(queries.list_applicable(session, librarian))


def test_nothing_applies_without_a_job_role(session: Session) -> None:
    assert queries.list_applicable(session, None) == []


# --- starting --------------------------------------------------------------------------------


def test_starting_creates_one_draft_with_the_role_and_department(
    session: Session, person: User, open_round: AssessmentRound
) -> None:
    made = start_assessment(session, person, open_round, today())
    again = start_assessment(session, person, open_round, today())
    assert made is again and made.status == AssessmentStatus.DRAFT
    assert (made.job_role_id, made.department_id) == (person.job_role_id, person.department_id)


def test_a_round_targeting_my_department_can_be_started(session: Session, person: User) -> None:
    other_org = factories.organisation(session, "Nacka kommun")
    round_ = assessment_round(
        session, "Avdelningsrundan", organisations=[other_org], departments=[person.department]
    )
    assert start_assessment(session, person, round_, today()).round_id == round_.id


@pytest.mark.parametrize(
    ("opens", "closes"),
    [(5, 20), (-30, -1)],
    ids=["upcoming", "closed"],
)
def test_an_upcoming_or_closed_round_cannot_be_started(
    session: Session, person: User, opens: int, closes: int
) -> None:
    round_ = assessment_round(
        session,
        opens_on=today() + timedelta(days=opens),
        closes_on=today() + timedelta(days=closes),
        organisations=[person.organisation],
    )
    with pytest.raises(Conflict):
        start_assessment(session, person, round_, today())
    assert session.scalar(select(Assessment).where(Assessment.user_id == person.id)) is None


def test_a_round_for_others_cannot_be_started(session: Session, person: User) -> None:
    elsewhere = factories.organisation(session, "Nacka kommun")
    round_ = assessment_round(session, organisations=[elsewhere])
    with pytest.raises(
        Conflict, match=re.escape(sv("This assessment round is not meant for you."))
    ):
        start_assessment(session, person, round_, today())


def test_a_person_without_a_job_role_is_told_to_ask_an_admin(
    session: Session, open_round: AssessmentRound
) -> None:
    nobody = factories.user(session)
    with pytest.raises(Conflict, match=re.escape(str(no_role_message()))):
        start_assessment(session, nobody, open_round, today())


# --- saving as you go ------------------------------------------------------------------------


def test_partial_answers_are_saved_and_updated_in_place(
    session: Session, person: User, draft: Assessment
) -> None:
    first = answer(session, person, draft, "4.2", level=2, motivation=None)
    second = answer(
        session, person, draft, "4.2", level=4, motivation=5, comment="  Vill lära mer "
    )
    assert first is second
    assert (second.self_level, second.motivation, second.comment) == (4, 5, "Vill lära mer")
    assert len(queries.list_ratings(session, draft)) == 1


def test_saving_bumps_the_draft_and_refreshes_the_department(
    session: Session, person: User, draft: Assessment
) -> None:
    moved = factories.department(session, "Kulturhuset")
    person.department = moved
    session.flush()
    later = utcnow() + timedelta(minutes=5)
    answer(session, person, draft, "1.1", now=later)
    assert draft.updated_at == later and draft.department_id == moved.id


def test_a_competence_outside_the_role_cannot_be_answered(
    session: Session, person: User, draft: Assessment
) -> None:
    with pytest.raises(
        ValidationError, match=re.escape(sv("That sub-competence does not apply to your job role."))
    ):
        answer(session, person, draft, "6.1")


@pytest.mark.parametrize(
    ("level", "motivation", "field"),
    [(0, 3, "self_level"), (6, 3, "self_level"), (3, 0, "motivation"), (3, 9, "motivation")],
)
def test_levels_outside_1_to_5_are_refused(
    session: Session, person: User, draft: Assessment, level: int, motivation: int, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        answer(session, person, draft, "4.2", level=level, motivation=motivation)
    assert refused.value.field == field


def test_a_too_long_comment_is_refused(session: Session, person: User, draft: Assessment) -> None:
    answer(session, person, draft, "4.2", comment="x" * COMMENT_MAX)
    with pytest.raises(ValidationError) as refused:
        answer(session, person, draft, "4.2", comment="x" * (COMMENT_MAX + 1))
    assert refused.value.field == "comment"


def test_only_the_person_may_save_their_answers(
    session: Session, draft: Assessment, librarian: JobRole
) -> None:
    colleague = factories.user(session, role=librarian)
    with pytest.raises(NotFound):
        answer(session, colleague, draft, "4.2")


def test_answers_cannot_change_after_the_round_has_closed(
    session: Session, person: User, draft: Assessment, open_round: AssessmentRound
) -> None:
    after_close = utcnow() + timedelta(days=30)
    with pytest.raises(
        Conflict,
        match=re.escape(
            sv("The assessment round has closed, so answers can no longer be changed.")
        ),
    ):
        answer(session, person, draft, "4.2", now=after_close)


# --- submitting ------------------------------------------------------------------------------


def answer_all(session: Session, person: User, draft: Assessment) -> None:
    for code in LIBRARIAN:
        answer(session, person, draft, code)


def test_submitting_with_missing_answers_names_them(
    session: Session, person: User, draft: Assessment
) -> None:
    answer(session, person, draft, "4.2")
    answer(session, person, draft, "1.1", motivation=None)
    with pytest.raises(AnswersMissing) as refused:
        submit_assessment(session, person, draft, utcnow())
    assert codes(refused.value.missing) == ["1.1", "2.1"]
    assert "1.1 Söka och filtrera information" in str(refused.value)
    assert draft.status == AssessmentStatus.DRAFT


def test_submitting_locks_it_and_tells_the_manager_once(
    session: Session, person: User, manager: User, draft: Assessment
) -> None:
    answer_all(session, person, draft)
    now = utcnow()
    submit_assessment(session, person, draft, now)
    assert draft.status == AssessmentStatus.SUBMITTED and draft.submitted_at == now
    [note] = session.scalars(select(Notification).where(Notification.user_id == manager.id))
    assert note.link == f"/skattning/samtal/{draft.id}"
    assert person.name in note.title
    with pytest.raises(
        Conflict, match=re.escape(sv("You have submitted this assessment, so it is locked."))
    ):
        answer(session, person, draft, "4.2", level=1)
    with pytest.raises(
        Conflict, match=re.escape(sv("You have submitted this assessment, so it is locked."))
    ):
        submit_assessment(session, person, draft, now)
    assert len(list(session.scalars(select(Notification)))) == 1


def test_submitting_without_a_manager_tells_nobody(
    session: Session, librarian: JobRole, open_round: AssessmentRound
) -> None:
    alone = factories.user(session, role=librarian)
    draft = start_assessment(session, alone, open_round, today())
    answer_all(session, alone, draft)
    submit_assessment(session, alone, draft, utcnow())
    assert draft.status == AssessmentStatus.SUBMITTED
    assert session.scalar(select(Notification)) is None


def test_submitting_drops_answers_that_no_longer_apply(
    session: Session, person: User, draft: Assessment
) -> None:
    answer_all(session, person, draft)  # 1.1, 2.1, 4.2
    owner = role_with_expectations(session, "Systemägare", SYSTEM_OWNER)
    person.job_role = owner  # the new role expects 1.1, 4.2 and 6.1, not 2.1
    session.flush()
    with pytest.raises(AnswersMissing) as refused:
        submit_assessment(session, person, draft, utcnow())
    assert codes(refused.value.missing) == ["6.1"]
    answer(session, person, draft, "6.1")
    submit_assessment(session, person, draft, utcnow())
    assert draft.job_role_id == owner.id
    assert sorted(r.competence.code for r in draft.ratings) == ["1.1", "4.2", "6.1"]


def test_submitting_after_the_round_closed_is_refused(
    session: Session, person: User, draft: Assessment
) -> None:
    answer_all(session, person, draft)
    with pytest.raises(
        Conflict,
        match=re.escape(
            sv("The assessment round has closed, so answers can no longer be changed.")
        ),
    ):
        submit_assessment(session, person, draft, utcnow() + timedelta(days=30))


# --- my assessments over time ----------------------------------------------------------------


def past_round(session: Session, person: User, name: str, months_ago: int) -> AssessmentRound:
    opens = today() - timedelta(days=30 * months_ago)
    return assessment_round(
        session,
        name,
        opens_on=opens,
        closes_on=opens + timedelta(days=14),
        organisations=[person.organisation],
    )


def test_history_shows_the_agreed_level_else_my_own_newest_round_first(
    session: Session, person: User, manager: User, draft: Assessment
) -> None:
    spring = past_round(session, person, "Våren 2025", 12)
    autumn = past_round(session, person, "Hösten 2025", 6)
    assessment(session, person, spring, {"4.2": (2, 4, 1), "1.1": (3, 3)}, agreed_by=manager)
    assessment(session, person, autumn, {"4.2": (3, 5)}, status=AssessmentStatus.REVIEWED)
    answer(session, person, draft, "4.2", level=5)  # a draft does not count

    history = queries.list_my_history(session, person)

    assert [r.round_name for r in history.rounds] == ["Hösten 2025", "Våren 2025"]
    by_code = {row.competence.code: row for row in history.rows}
    assert list(by_code) == ["1.1", "4.2"]
    protect = by_code["4.2"]
    assert protect.expected_level == 3
    assert [c.assessed_level if c else None for c in protect.cells] == [3, 1]
    assert [c.need if c else None for c in protect.cells] == [0, 2]
    assert by_code["1.1"].cells[0] is None


def test_history_reads_in_a_constant_number_of_queries(
    session: Session, person: User, count_queries: Any
) -> None:
    def history_queries() -> int:
        with count_queries() as counted:
            queries.list_my_history(session, person)
        return counted.count

    assessment(session, person, past_round(session, person, "Runda 1", 2), {"4.2": (2, 3)})
    one = history_queries()
    for n in range(2, 5):
        ratings = {"4.2": (3, 3), "1.1": (2, 4), "2.1": (1, 5)}
        assessment(session, person, past_round(session, person, f"Runda {n}", 2 + n), ratings)
    assert history_queries() == one == 4


def test_nobody_else_sees_my_history(session: Session, person: User, librarian: JobRole) -> None:
    assessment(session, person, past_round(session, person, "Runda 1", 2), {"4.2": (2, 3)})
    colleague = factories.user(session, role=librarian)
    assert queries.list_my_history(session, colleague).is_empty
