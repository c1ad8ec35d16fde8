"""The development plan ranks each goal's matching activities for the plan's owner, whoever
reads it, with the strongest reason; outsiders still get 404."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from lms.assessment import plans
from lms.assessment.models import Assessment
from lms.catalog.models import Activity
from lms.core.time import utcnow
from lms.recommend.models import NotInterested
from tests.assessment.plan_helpers import Team, committed_team
from tests.catalog import factories as cf
from tests.catalog.conftest import sv
from tests.transfer import factories as tf


@pytest.fixture
def team(session: Session) -> Team:
    return committed_team(session)


@pytest.fixture
def sources(session: Session, team: Team) -> list[Activity]:
    """Activities for the plan's first goal, 1.2 (Elin: self 2, expected 4, motivation 5),
    named so that the catalogue's alphabetical order is the opposite of the best fit."""
    plans.create_plan(session, team.boss, team.assessment, utcnow())
    made = [
        cf.activity(
            session,
            title="Avancerad källgranskning",
            competences={"1.2": 1.0},
            level="spets",
            format="course",
            minutes=240,
        ),
        cf.activity(
            session,
            title="Bildgranskning på djupet",
            competences={"1.2": 1.0},
            level="fördjupning",
            format="elearning",
            minutes=60,
        ),
        cf.activity(
            session, title="Vem står bakom? Källkritik", competences={"1.2": 1.0}, minutes=10
        ),
    ]
    session.commit()
    return made


def plan_page(client: FlaskClient, assessment: Assessment) -> str:
    response = client.get(f"/skattning/plan/{assessment.id}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def first_goal(text: str) -> str:
    """The HTML of the plan's first goal (up to the next goal)."""
    parts = text.split('<li class="card plan-goal"')
    assert len(parts) > 1
    return parts[1]


def suggested(goal: str) -> list[str]:
    block = re.search(r'<ol class="plan-suggestions".*?</ol>', goal, re.S)
    return re.findall(r'<a href="/katalog/[^"]+">([^<]+)</a>', block.group(0)) if block else []


def test_the_owner_sees_the_goals_activities_best_first_with_a_reason(
    client: FlaskClient, auth: Any, team: Team, sources: list[Activity]
) -> None:
    auth.login(team.person.email)
    goal = first_goal(plan_page(client, team.assessment))
    assert sv("Suggested for this goal") in goal
    order = suggested(goal)
    assert order[0] == "Vem står bakom? Källkritik"  # a basic level fits an assessed 2
    assert set(order) == {a.title for a in sources}
    assert order.index("Avancerad källgranskning") == 2  # far above the person's level
    reasons = re.findall(r'class="plan-suggestion-reason">([^<]+)<', goal)
    # What sets it apart; the need, the motivation and the goal are on the card already.
    assert reasons[0] == sv("The right level for you: %(level)s", level=sv("Basic").lower())
    assert not any("1.2" in reason for reason in reasons)
    options = re.findall(r'<option value="\d+">([^<]+) \(', goal)
    assert options[: len(order)] == order  # the picker lists them in the same order


def test_the_manager_sees_the_ranking_for_the_owner_without_personal_reasons(
    client: FlaskClient, auth: Any, team: Team, session: Session, sources: list[Activity]
) -> None:
    session.add(NotInterested(user_id=team.person.id, activity_id=sources[1].id))
    session.commit()
    auth.login(team.boss.email)
    goal = first_goal(plan_page(client, team.assessment))
    order = suggested(goal)
    assert order == ["Vem står bakom? Källkritik", "Avancerad källgranskning"]  # Elin's marks
    reasons = re.findall(r'class="plan-suggestion-reason">([^<]+)<', goal)
    assert reasons[0] == sv("Fits the assessed level: %(level)s", level=sv("Basic").lower())
    assert not any("1.2" in reason for reason in reasons)


def test_what_the_owner_completed_is_not_suggested(
    client: FlaskClient, auth: Any, team: Team, session: Session, sources: list[Activity]
) -> None:
    tf.complete(session, team.person, sources[2], at=utcnow() - timedelta(days=3))
    session.commit()
    auth.login(team.top.email)  # the manager's manager reads the same ranking
    order = suggested(first_goal(plan_page(client, team.assessment)))
    assert "Vem står bakom? Källkritik" not in order
    assert order[0] == "Bildgranskning på djupet"


def test_choosing_a_suggestion_adds_it_to_the_goal(
    client: FlaskClient, auth: Any, team: Team, sources: list[Activity], session: Session
) -> None:
    auth.login(team.person.email)
    goal_html = first_goal(plan_page(client, team.assessment))
    block = goal_html.split('<ol class="plan-suggestions"', 1)[1]
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', block, re.S)
    assert form is not None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]+)"', form.group(2)))
    response = client.post(form.group(1), data=fields)
    assert response.status_code == 302
    text = plan_page(client, team.assessment)
    chosen = re.search(r'<ul class="plan-activities">.*?</ul>', first_goal(text), re.S)
    assert chosen is not None and "Vem står bakom? Källkritik" in chosen.group(0)
    assert "Vem står bakom? Källkritik" not in suggested(first_goal(text))


def test_a_colleague_still_gets_404(
    client: FlaskClient, auth: Any, team: Team, sources: list[Activity]
) -> None:
    auth.login(team.colleague.email)
    assert client.get(f"/skattning/plan/{team.assessment.id}").status_code == 404
