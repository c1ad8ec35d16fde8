"""The plan pages and the coordinators' wishes page: wiring, forms, access and query counts."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment import plans
from lms.assessment.models import (
    Assessment,
    AssessmentStatus,
    DevelopmentPlan,
    GoalActivity,
    LearningRequest,
    PlanGoal,
    RequestStatus,
)
from lms.assessment.requests import create_request
from lms.core.access import Permission
from lms.core.time import local_date, utcnow
from lms.notify.models import Notification
from tests import factories
from tests.assessment import factories as af
from tests.assessment.plan_helpers import (
    PREFILL_ORDER,
    Team,
    committed_team,
    make_team,
    sv_plural,
)
from tests.catalog import factories as cf
from tests.catalog.conftest import sv
from tests.catalog.factories import COMPETENCES, framework, role_with_expectations

WISH = "En kort kurs om att granska källor i sociala medier."


@pytest.fixture
def team(session: Session) -> Team:
    return committed_team(session)


def page(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def plan_url(assessment: Assessment, suffix: str = "") -> str:
    return f"/skattning/plan/{assessment.id}{suffix}"


def make_plan(session: Session, team: Team) -> DevelopmentPlan:
    plan = plans.create_plan(session, team.boss, team.assessment, utcnow())
    session.commit()
    return plan


def fresh_plan(session: Session, team: Team) -> DevelopmentPlan:
    session.expire_all()
    found = session.scalar(
        select(DevelopmentPlan).where(DevelopmentPlan.assessment_id == team.assessment.id)
    )
    assert found is not None
    return found


# --- the page before and after the plan exists -------------------------------------------------


def test_without_a_plan_the_page_explains_and_offers_to_create_it(
    client: FlaskClient, auth: Any, team: Team
) -> None:
    auth.login(team.person.email)
    response = client.get(plan_url(team.assessment))
    assert response.status_code == 200
    text = page(response)
    assert sv("Create development plan") in text
    assert sv("My development plan") in text


def test_creating_the_plan_from_the_page(
    client: FlaskClient, auth: Any, team: Team, session: Session, csrf_off: None
) -> None:
    auth.login(team.boss.email)
    response = client.post(plan_url(team.assessment, "/skapa"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(plan_url(team.assessment))
    plan = fresh_plan(session, team)
    assert [g.competence.code for g in plan.goals] == PREFILL_ORDER
    text = page(client.get(plan_url(team.assessment)))
    assert sv("Development plan for %(name)s", name=team.person.name) in text
    names = [COMPETENCES[code] for code in PREFILL_ORDER]
    assert [text.index(name) for name in names] == sorted(text.index(name) for name in names)


def test_a_draft_has_no_plan_to_create(
    client: FlaskClient, auth: Any, session: Session, csrf_off: None
) -> None:
    made = make_team(session, status=AssessmentStatus.DRAFT)
    session.commit()
    auth.login(made.person.email)
    explained = sv(
        "The development plan is made together once the self-assessment has been submitted."
    )
    assert explained in page(client.get(plan_url(made.assessment)))
    response = client.post(plan_url(made.assessment, "/skapa"), follow_redirects=True)
    assert sv("The development plan is made once the self-assessment has been submitted.") in page(
        response
    )
    assert session.scalar(select(func.count()).select_from(DevelopmentPlan)) == 0


def test_the_plan_shows_levels_progress_and_matching_activities(
    client: FlaskClient, auth: Any, team: Team, session: Session
) -> None:
    plan = make_plan(session, team)
    goal = plan.goals[0]  # 1.2: self 2, expected 4
    chosen = [
        cf.activity(session, title=f"Källkritik del {n}", competences={"1.2": 1.0})
        for n in (1, 2, 3)
    ]
    cf.activity(session, title="Faktagranskning för bibliotek", competences={"1.2": 0.5})
    cf.activity(session, title="Opublicerad källkritik", competences={"1.2": 1.0}, status="draft")
    for activity in chosen:
        plans.link_activity(session, team.person, goal, activity)
    for link in goal.activities[:2]:
        link.completed_at = utcnow()
    session.commit()
    auth.login(team.person.email)
    text = page(client.get(plan_url(team.assessment)))
    assert sv("Assessed %(assessed)d → target %(target)d", assessed=2, target=4) in text
    assert (
        sv_plural(
            "%(done)d of %(num)d activity done", "%(done)d of %(num)d activities done", 3, done=2
        )
        in text
    )
    assert "Faktagranskning för bibliotek" in text
    assert "Opublicerad källkritik" not in text
    assert sv("Wish for a learning activity") in text


# --- editing through the page ------------------------------------------------------------------


def test_update_goal_saves_and_returns_to_the_goal(
    client: FlaskClient, auth: Any, team: Team, session: Session, csrf_off: None
) -> None:
    goal = make_plan(session, team).goals[0]
    auth.login(team.person.email)
    prefix = f"goal-{goal.id}"
    response = client.post(
        plan_url(team.assessment, f"/mal/{goal.id}"),
        data={
            f"{prefix}-target_level": "5",
            f"{prefix}-due_on": "2027-05-31",
            f"{prefix}-status": "in_progress",
            f"{prefix}-note": "Börja med nanolektionerna.",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#goal-{goal.id}")
    session.expire_all()
    saved = session.get(PlanGoal, goal.id)
    assert saved is not None
    assert (saved.target_level, saved.status, saved.note) == (
        5,
        "in_progress",
        "Börja med nanolektionerna.",
    )


def test_update_goal_errors_show_next_to_the_field_and_keep_the_input(
    client: FlaskClient, auth: Any, team: Team, session: Session, csrf_off: None
) -> None:
    goal = make_plan(session, team).goals[0]
    auth.login(team.boss.email)
    prefix = f"goal-{goal.id}"
    long_note = "Lång anteckning. " * 120
    response = client.post(
        plan_url(team.assessment, f"/mal/{goal.id}"),
        data={
            f"{prefix}-target_level": "4",
            f"{prefix}-due_on": "",
            f"{prefix}-status": "planned",
            f"{prefix}-note": long_note,
        },
    )
    assert response.status_code == 200
    text = page(response)
    assert sv("The note may be at most %(n)d characters.", n=2000) in text
    assert 'aria-invalid="true"' in text
    assert long_note.strip() in text
    session.expire_all()
    assert session.get(PlanGoal, goal.id).note == ""  # type: ignore[union-attr]


def test_add_goal_and_its_refusal_next_to_the_field(
    client: FlaskClient, auth: Any, team: Team, session: Session, csrf_off: None
) -> None:
    make_plan(session, team)
    fw = framework(session)
    auth.login(team.person.email)
    url = plan_url(team.assessment, "/mal")
    refused = client.post(url, data={"add-competence": str(fw.competences["3.1"].id)})
    assert refused.status_code == 200
    assert sv("Choose a sub-competence that applies to the job role.") in page(refused)
    added = client.post(url, data={"add-competence": str(fw.competences["2.1"].id)})
    assert added.status_code == 302
    codes = [g.competence.code for g in fresh_plan(session, team).goals]
    assert codes == [*PREFILL_ORDER, "2.1"]


def test_move_and_remove_goals(
    client: FlaskClient, auth: Any, team: Team, session: Session, csrf_off: None
) -> None:
    plan = make_plan(session, team)
    first, second = plan.goals[0].id, plan.goals[1].id
    auth.login(team.boss.email)
    client.post(plan_url(team.assessment, f"/mal/{second}/flytta"), data={"direction": "up"})
    assert [g.id for g in fresh_plan(session, team).goals][:2] == [second, first]
    client.post(plan_url(team.assessment, f"/mal/{second}/ta-bort"))
    assert fresh_plan(session, team).goals[0].id == first
    assert client.post(plan_url(team.assessment, f"/mal/{first}/flytta")).status_code == 400


def test_link_and_unlink_an_activity(
    client: FlaskClient, auth: Any, team: Team, session: Session, csrf_off: None
) -> None:
    goal = make_plan(session, team).goals[0]
    activity = cf.activity(session, title="Källkritik i praktiken", competences={"1.2": 1.0})
    draft = cf.activity(session, title="Utkast", competences={"1.2": 1.0}, status="draft")
    session.commit()
    auth.login(team.person.email)
    url = plan_url(team.assessment, f"/mal/{goal.id}/aktiviteter")
    refused = client.post(url, data={f"link-{goal.id}-activity": str(draft.id)})
    assert sv("Only published activities can be chosen for a goal.") in page(refused)
    assert client.post(url, data={f"link-{goal.id}-activity": str(activity.id)}).status_code == 302
    assert [link.activity_id for link in fresh_plan(session, team).goals[0].activities] == [
        activity.id
    ]
    client.post(plan_url(team.assessment, f"/mal/{goal.id}/aktiviteter/{activity.id}/ta-bort"))
    assert fresh_plan(session, team).goals[0].activities == []


def test_wish_for_a_learning_activity_from_a_goal(
    client: FlaskClient, auth: Any, team: Team, session: Session, csrf_off: None
) -> None:
    goal = make_plan(session, team).goals[0]
    auth.login(team.boss.email)
    url = plan_url(team.assessment, f"/mal/{goal.id}/onska")
    short = client.post(url, data={f"request-{goal.id}-text": "Kurs"})
    assert short.status_code == 200
    assert sv("Describe what you wish for in %(min)d to %(max)d characters.", min=10, max=1000) in (
        page(short)
    )
    assert "Kurs</textarea>" in page(short)
    sent = client.post(url, data={f"request-{goal.id}-text": WISH}, follow_redirects=True)
    assert sv("The wish was sent to the coordinators.") in page(sent)
    session.expire_all()
    made = session.scalars(select(LearningRequest)).one()
    assert (made.user_id, made.created_by_id, made.goal_id) == (
        team.person.id,
        team.boss.id,
        goal.id,
    )


def test_follow_up_date_and_record(
    client: FlaskClient, auth: Any, team: Team, session: Session, csrf_off: None
) -> None:
    make_plan(session, team)
    day = local_date(utcnow()) + timedelta(days=60)
    auth.login(team.person.email)
    own = page(client.get(plan_url(team.assessment)))
    assert sv("Record the follow-up") not in own
    response = client.post(
        plan_url(team.assessment, "/uppfoljning/datum"),
        data={"follow-up-date-follow_up_on": day.isoformat()},
    )
    assert response.status_code == 302
    refused = client.post(plan_url(team.assessment, "/uppfoljning"), data={"follow-up-notes": ""})
    assert sv("The manager records the follow-up talk.") in page(refused)
    session.expire_all()
    assert team.assessment.follow_up_on == day
    assert team.assessment.status == AssessmentStatus.REVIEWED

    auth.logout()
    auth.login(team.boss.email)
    assert sv("Record the follow-up") in page(client.get(plan_url(team.assessment)))
    done = client.post(
        plan_url(team.assessment, "/uppfoljning"),
        data={"follow-up-notes": "Två av tre mål är nådda."},
        follow_redirects=True,
    )
    assert sv("The follow-up talk was recorded.") in page(done)
    assert "Två av tre mål är nådda." in page(done)
    session.expire_all()
    assert team.assessment.status == AssessmentStatus.FOLLOWED_UP
    assert session.scalar(select(func.count()).where(Notification.user_id == team.person.id)) == 1


def test_my_wishes_page_lists_only_my_wishes_and_answers(
    client: FlaskClient, auth: Any, team: Team, session: Session
) -> None:
    competence = framework(session).competences["1.2"]
    mine = create_request(session, team.boss, team.assessment, competence.id, WISH, now=utcnow())
    activity = cf.activity(session, title="Källkritik i sociala medier", competences={"1.2": 1.0})
    mine.status, mine.answer_activity_id = RequestStatus.ANSWERED, activity.id
    colleague = af.assessment(session, team.colleague, team.round, {"1.2": (1, 3)})
    create_request(
        session, team.colleague, colleague, competence.id, "Kollegans hemliga önskan.", now=utcnow()
    )
    session.commit()
    auth.login(team.person.email)
    text = page(client.get("/skattning/plan/onskemal"))
    assert WISH in text and "Källkritik i sociala medier" in text
    assert "Kollegans hemliga önskan." not in text


# --- access: the person and the chain only -----------------------------------------------------


def plan_routes(app: Flask, team: Team, goal_id: int, activity_id: int) -> list[tuple[str, str]]:
    a = team.assessment.id
    with app.test_request_context():
        gets = [("get", url_for("plans.show", assessment_id=a))]
        posts = [
            url_for(endpoint, assessment_id=a)
            for endpoint in (
                "plans.create",
                "plans.add_goal",
                "plans.follow_up_date",
                "plans.follow_up",
            )
        ] + [
            url_for(endpoint, assessment_id=a, goal_id=goal_id)
            for endpoint in (
                "plans.update_goal",
                "plans.remove_goal",
                "plans.move_goal",
                "plans.link_activity",
                "plans.request",
            )
        ]
        posts.append(
            url_for(
                "plans.unlink_activity", assessment_id=a, goal_id=goal_id, activity_id=activity_id
            )
        )
    return gets + [("post", url) for url in posts]


@pytest.fixture
def linked(team: Team, session: Session) -> tuple[int, int]:
    goal = make_plan(session, team).goals[0]
    activity = cf.activity(session, competences={"1.2": 1.0})
    plans.link_activity(session, team.boss, goal, activity)
    session.commit()
    return goal.id, activity.id


@pytest.mark.parametrize("outsider", ["colleague", "other_boss", "coordinator", "admin"])
def test_outsiders_get_404_on_every_plan_page_and_action(
    app: Flask,
    client: FlaskClient,
    auth: Any,
    team: Team,
    session: Session,
    linked: tuple[int, int],
    outsider: str,
) -> None:
    before = session.scalar(select(func.count()).select_from(GoalActivity))
    auth.login(team.outsiders()[outsider].email)
    token = auth.csrf_token()
    for method, url in plan_routes(app, team, *linked):
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token, "direction": "up"})
        assert response.status_code == 404, (method, url)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(GoalActivity)) == before
    assert len(fresh_plan(session, team).goals) == len(PREFILL_ORDER)


def test_a_missing_assessment_is_the_same_404(
    client: FlaskClient, auth: Any, team: Team, linked: tuple[int, int]
) -> None:
    auth.login(team.person.email)
    token = auth.csrf_token()
    assert client.get("/skattning/plan/999999").status_code == 404
    assert (
        client.post("/skattning/plan/999999/skapa", data={"csrf_token": token}).status_code == 404
    )
    missing_goal = plan_url(team.assessment, "/mal/999999/ta-bort")
    assert client.post(missing_goal, data={"csrf_token": token}).status_code == 404


def test_the_managers_manager_may_use_the_plan(
    client: FlaskClient, auth: Any, team: Team, linked: tuple[int, int]
) -> None:
    auth.login(team.top.email)
    assert client.get(plan_url(team.assessment)).status_code == 200


# --- query counts ------------------------------------------------------------------------------


def planned_person(
    session: Session, boss: User, goals: int, activities: int, tag: str
) -> Assessment:
    """A person of `boss` with `goals` goals, each with a chosen activity and a wish, and
    `activities` matching published activities spread over the goals' competences."""
    codes = list(COMPETENCES)[:goals]
    role = role_with_expectations(session, f"Systemägare {tag}", dict.fromkeys(codes, 5))
    person = factories.user(session, role=role, manager=boss)
    round_ = af.assessment_round(session, f"Skattning {tag}")
    made = af.assessment(session, person, round_, {c: (1, 3) for c in codes})
    plan = plans.create_plan(session, boss, made, utcnow())
    for n in range(activities):
        code = codes[n % goals]
        activity = cf.activity(session, title=f"Aktivitet {tag} {n}", competences={code: 1.0})
        goal = plan.goals[n % goals]
        if not goal.activities:
            plans.link_activity(session, boss, goal, activity)
            create_request(session, boss, made, goal.competence_id, WISH, goal=goal, now=utcnow())
    session.commit()
    return made


def test_plan_page_reads_in_constant_queries(
    client: FlaskClient, auth: Any, session: Session, count_queries: Any
) -> None:
    boss = factories.user(session, name="Karin Chef", permissions=Permission.MANAGER)
    small = planned_person(session, boss, goals=1, activities=5, tag="liten")
    large = planned_person(session, boss, goals=8, activities=50, tag="stor")
    auth.login(boss.email)
    counts = []
    for made in (small, large):
        client.get(plan_url(made))  # warm up
        with count_queries() as counter:
            assert client.get(plan_url(made)).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


# --- the coordinators' wishes page -------------------------------------------------------------


def wishes(session: Session, team: Team, n: int, code: str = "1.2") -> None:
    competence = framework(session).competences[code]
    for i in range(n):
        create_request(
            session,
            team.person,
            team.assessment,
            competence.id,
            f"Önskan nummer {i}: källor.",
            now=utcnow(),
        )
    session.commit()


@pytest.mark.parametrize("who", ["person", "boss"])
def test_employees_and_managers_get_403_on_the_wishes_pages(
    client: FlaskClient, auth: Any, team: Team, session: Session, who: str
) -> None:
    wishes(session, team, 1)
    auth.login(getattr(team, who).email)
    token = auth.csrf_token()
    competence = framework(session).competences["1.2"]
    assert client.get("/samordning/onskemal/").status_code == 403
    answer = f"/samordning/onskemal/{competence.id}/svara"
    assert client.post(answer, data={"csrf_token": token}).status_code == 403


@pytest.mark.parametrize("who", ["coordinator", "admin"])
def test_coordinators_see_counts_and_texts_but_no_names(
    client: FlaskClient, auth: Any, team: Team, session: Session, who: str
) -> None:
    wishes(session, team, 2)
    auth.login(getattr(team, who).email)
    text = page(client.get("/samordning/onskemal/"))
    assert sv("Open wishes per sub-competence and department") in text
    assert "Önskan nummer 0: källor." in text and "Önskan nummer 1: källor." in text
    assert "Stadsbiblioteket: 2" in text
    for hidden in (team.person.name, team.person.email, team.boss.name):
        assert hidden not in text


def test_answering_from_the_page_tells_the_person(
    client: FlaskClient, auth: Any, team: Team, session: Session, csrf_off: None
) -> None:
    wishes(session, team, 2)
    activity = cf.activity(session, title="Källkritik i sociala medier", competences={"1.2": 1.0})
    session.commit()
    competence = framework(session).competences["1.2"]
    auth.login(team.coordinator.email)
    prefix = f"answer-{competence.id}"
    response = client.post(
        f"/samordning/onskemal/{competence.id}/svara",
        data={f"{prefix}-activity": str(activity.id), f"{prefix}-department": ""},
        follow_redirects=True,
    )
    assert sv("There are no open wishes.") in page(response)
    session.expire_all()
    told = session.scalars(select(Notification).where(Notification.user_id == team.person.id))
    assert len(told.all()) == 1


def test_wishes_page_reads_in_constant_queries(
    client: FlaskClient, auth: Any, team: Team, session: Session, count_queries: Any
) -> None:
    auth.login(team.coordinator.email)
    counts = []
    for n, code in ((3, "1.2"), (27, "4.1")):  # 3 wishes, then 30
        wishes(session, team, n, code)
        client.get("/samordning/onskemal/")
        with count_queries() as counter:
            assert client.get("/samordning/onskemal/").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
