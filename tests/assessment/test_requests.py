"""Learning requests: writing one, the coordinators' aggregate without names, answering them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment import plans
from lms.assessment.models import Assessment, AssessmentStatus, LearningRequest, RequestStatus
from lms.assessment.request_queries import list_my_requests, list_request_summary
from lms.assessment.requests import answer_requests, create_request
from lms.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lms.core.time import utcnow
from lms.notify.models import Notification
from tests import factories
from tests.assessment import factories as af
from tests.assessment.plan_helpers import Team, committed_team, make_team
from tests.catalog import factories as cf
from tests.catalog.factories import framework

WISH = "En kort kurs om att granska källor i sociala medier."


@pytest.fixture
def team(session: Session) -> Team:
    return committed_team(session)


def competence_id(session: Session, code: str) -> int:
    return framework(session).competences[code].id


def wish(session: Session, actor: User, assessment: Assessment, code: str, text: str = WISH) -> Any:
    return create_request(
        session, actor, assessment, competence_id(session, code), text, now=utcnow()
    )


def employee_with_assessment(session: Session, team: Team, dept: Any, name: str) -> Assessment:
    person = factories.user(session, name=name, role=team.role, manager=team.boss, dept=dept)
    return af.assessment(session, person, team.round, {"1.2": (2, 4)})


# --- writing a wish ----------------------------------------------------------------------------


def test_the_person_wishes_for_themselves(session: Session, team: Team) -> None:
    made = wish(session, team.person, team.assessment, "1.2", f"  {WISH}  ")
    assert (made.user_id, made.created_by_id) == (team.person.id, team.person.id)
    assert made.department_id == team.department.id
    assert (made.text, made.status) == (WISH, RequestStatus.OPEN)


def test_the_manager_wishes_for_the_person(session: Session, team: Team) -> None:
    made = wish(session, team.boss, team.assessment, "4.1")
    assert (made.user_id, made.created_by_id) == (team.person.id, team.boss.id)
    assert made.department_id == team.person.department_id


@pytest.mark.parametrize("text", ["För kort", "x" * 1001, "   "])
def test_the_text_must_be_10_to_1000_characters(session: Session, team: Team, text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        wish(session, team.person, team.assessment, "1.2", text)
    assert refused.value.field == "text"


def test_a_wish_of_exactly_the_limits_is_accepted(session: Session, team: Team) -> None:
    wish(session, team.person, team.assessment, "1.2", "x" * 10)
    wish(session, team.person, team.assessment, "1.2", "y" * 1000)


def test_the_same_open_wish_twice_is_stored_once(session: Session, team: Team) -> None:
    first = wish(session, team.person, team.assessment, "1.2")
    again = wish(session, team.boss, team.assessment, "1.2")
    assert first.id == again.id


@pytest.mark.parametrize("outsider", ["colleague", "other_boss", "coordinator", "admin"])
def test_outsiders_cannot_wish_for_the_person(session: Session, team: Team, outsider: str) -> None:
    with pytest.raises(NotFound):
        wish(session, team.outsiders()[outsider], team.assessment, "1.2")


def test_a_draft_cannot_have_wishes(session: Session) -> None:
    made = make_team(session, status=AssessmentStatus.DRAFT)
    with pytest.raises(Conflict):
        wish(session, made.person, made.assessment, "1.2")


def test_a_wish_for_a_goal_must_be_that_goals(session: Session, team: Team) -> None:
    goal = plans.create_plan(session, team.boss, team.assessment, utcnow()).goals[0]
    other = employee_with_assessment(session, team, team.department, "Nils Nilsson")
    with pytest.raises(NotFound):
        create_request(session, team.boss, other, goal.competence_id, WISH, goal=goal, now=utcnow())
    with pytest.raises(NotFound):  # another competence than the goal's
        create_request(
            session,
            team.boss,
            team.assessment,
            competence_id(session, "5.1"),
            WISH,
            goal=goal,
            now=utcnow(),
        )
    made = create_request(
        session, team.person, team.assessment, goal.competence_id, WISH, goal=goal, now=utcnow()
    )
    assert made.goal_id == goal.id


# --- the coordinators' aggregate ---------------------------------------------------------------


def test_summary_counts_per_competence_and_department_with_texts(
    session: Session, team: Team
) -> None:
    wish(session, team.person, team.assessment, "1.2", "Källkritik för barnbibliotekarier.")
    wish(session, team.person, team.assessment, "4.1", "Hur skyddar jag min telefon?")
    near = employee_with_assessment(session, team, team.department, "Nils Nilsson")
    far = employee_with_assessment(session, team, team.other_department, "Lina Berg")
    wish(session, near.user, near, "1.2", "Faktagranskning på Instagram.")
    wish(session, far.user, far, "1.2", "Att lära ut källkritik till elever.")
    answered = wish(session, far.user, far, "4.2", "GDPR när vi fotograferar publik.")
    answered.status = RequestStatus.ANSWERED
    session.flush()

    summary = list_request_summary(session)
    assert [entry.code for entry in summary] == ["1.2", "4.1"]
    sources = summary[0]
    assert sources.total == 3
    assert [(d.name, d.count) for d in sources.departments] == [
        ("Kulturskolan", 1),
        ("Stadsbiblioteket", 2),
    ]
    assert sources.texts == [
        "Källkritik för barnbibliotekarier.",
        "Faktagranskning på Instagram.",
        "Att lära ut källkritik till elever.",
    ]
    assert (summary[1].total, summary[1].area_name) == (1, "Digital säkerhet")
    shown = repr(summary)
    for person in (team.person, near.user, far.user):
        assert person.name not in shown and person.email not in shown


def test_summary_reads_in_constant_queries(
    session: Session, team: Team, count_queries: Any
) -> None:
    def counted() -> int:
        session.flush()
        with count_queries() as counter:
            list_request_summary(session)
        return counter.count

    for n in range(3):
        wish(session, team.person, team.assessment, "1.2", f"Önskemål nummer {n} om källor.")
    few = counted()
    for n in range(3, 30):
        wish(session, team.person, team.assessment, "4.1", f"Önskemål nummer {n} om säkerhet.")
    assert counted() == few == 1


# --- answering ---------------------------------------------------------------------------------


def test_answer_closes_every_open_wish_and_tells_each_person_once(
    session: Session, team: Team
) -> None:
    activity = cf.activity(session, title="Källkritik i sociala medier", competences={"1.2": 1.0})
    wish(session, team.person, team.assessment, "1.2", "Källkritik för barnbibliotekarier.")
    wish(session, team.boss, team.assessment, "1.2", "Mer om bilder och källor.")
    far = employee_with_assessment(session, team, team.other_department, "Lina Berg")
    wish(session, far.user, far, "1.2", "Att lära ut källkritik till elever.")
    untouched = wish(session, far.user, far, "4.1", "Hur skyddar jag min telefon?")
    now = utcnow()

    answered = answer_requests(
        session, team.coordinator, competence_id(session, "1.2"), activity, now=now
    )
    assert answered == 3
    done = session.scalars(
        select(LearningRequest).where(LearningRequest.status == RequestStatus.ANSWERED)
    ).all()
    assert {(r.answer_activity_id, r.answered_by_id, r.answered_at) for r in done} == {
        (activity.id, team.coordinator.id, now)
    }
    assert untouched.status == RequestStatus.OPEN
    told = session.scalars(select(Notification).order_by(Notification.user_id)).all()
    assert [n.user_id for n in told] == sorted([team.person.id, far.user.id])
    assert {n.link for n in told} == {f"/katalog/{activity.slug}"}
    assert all("Källkritik i sociala medier" in n.title for n in told)
    assert all(framework(session).competences["1.2"].name in n.title for n in told)


def test_answer_one_department_only(session: Session, team: Team) -> None:
    activity = cf.activity(session, competences={"1.2": 1.0})
    mine = wish(session, team.person, team.assessment, "1.2")
    far = employee_with_assessment(session, team, team.other_department, "Lina Berg")
    theirs = wish(session, far.user, far, "1.2")
    assert (
        answer_requests(
            session,
            team.admin,
            competence_id(session, "1.2"),
            activity,
            department_id=team.other_department.id,
            now=utcnow(),
        )
        == 1
    )
    assert (mine.status, theirs.status) == (RequestStatus.OPEN, RequestStatus.ANSWERED)


def test_answer_chooses_the_activity_for_the_wishs_goal(session: Session, team: Team) -> None:
    goal = plans.create_plan(session, team.boss, team.assessment, utcnow()).goals[0]
    create_request(
        session, team.person, team.assessment, goal.competence_id, WISH, goal=goal, now=utcnow()
    )
    activity = cf.activity(session, title="Nytt: källkritik", competences={"5.1": 1.0})
    answer_requests(session, team.coordinator, goal.competence_id, activity, now=utcnow())
    assert [link.activity_id for link in goal.activities] == [activity.id]


def test_answer_is_refused_without_open_wishes_or_with_an_unpublished_activity(
    session: Session, team: Team
) -> None:
    draft = cf.activity(session, competences={"1.2": 1.0}, status="draft")
    published = cf.activity(session, competences={"1.2": 1.0})
    wish(session, team.person, team.assessment, "1.2")
    with pytest.raises(ValidationError):
        answer_requests(
            session, team.coordinator, competence_id(session, "1.2"), draft, now=utcnow()
        )
    with pytest.raises(Conflict):
        answer_requests(
            session, team.coordinator, competence_id(session, "4.1"), published, now=utcnow()
        )


@pytest.mark.parametrize("who", ["person", "boss"])
def test_only_coordinators_and_admins_answer(session: Session, team: Team, who: str) -> None:
    activity = cf.activity(session, competences={"1.2": 1.0})
    wish(session, team.person, team.assessment, "1.2")
    with pytest.raises(PermissionDenied):
        answer_requests(
            session, getattr(team, who), competence_id(session, "1.2"), activity, now=utcnow()
        )


def test_my_requests_lists_the_wishes_made_for_me(session: Session, team: Team) -> None:
    mine = wish(session, team.boss, team.assessment, "1.2")
    other = employee_with_assessment(session, team, team.department, "Nils Nilsson")
    wish(session, other.user, other, "1.2")
    assert list_my_requests(session, team.person) == [mine]
    assert list_my_requests(session, team.boss) == []
