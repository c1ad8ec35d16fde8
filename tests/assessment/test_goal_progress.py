"""Completing an activity chosen for a goal marks it and moves the goal (the real signal)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lms.assessment import plans
from lms.assessment.goal_progress import on_completion_recorded
from lms.assessment.models import GoalStatus, PlanGoal
from lms.catalog.models import Activity
from lms.core.time import utcnow
from lms.progress.services import complete_activity, record_completion
from tests import factories
from tests.assessment import factories as af
from tests.assessment.plan_helpers import Team, committed_team, goal_progress_connected
from tests.catalog import factories as cf


@pytest.fixture
def team(session: Session) -> Iterator[Team]:
    with goal_progress_connected():
        yield committed_team(session)


def goal_with(session: Session, team: Team, *titles: str) -> tuple[PlanGoal, list[Activity]]:
    goal = plans.create_plan(session, team.boss, team.assessment, utcnow()).goals[0]
    chosen = [cf.activity(session, title=title, competences={"1.2": 1.0}) for title in titles]
    for activity in chosen:
        plans.link_activity(session, team.person, goal, activity)
    return goal, chosen


def test_completing_one_of_two_activities_puts_the_goal_in_progress_then_done(
    session: Session, team: Team
) -> None:
    goal, (first, second) = goal_with(session, team, "Källkritik kort", "Källkritik djupare")
    now = utcnow()
    complete_activity(session, team.person, first, now=now)
    session.expire_all()
    marks = {link.activity_id: link.completed_at for link in goal.activities}
    assert marks == {first.id: now, second.id: None}
    assert goal.status == GoalStatus.IN_PROGRESS
    complete_activity(session, team.person, second, now=now + timedelta(hours=1))
    session.expire_all()
    assert all(link.completed_at is not None for link in goal.activities)
    assert goal.status == GoalStatus.DONE


def test_completing_the_only_activity_reaches_the_goal(session: Session, team: Team) -> None:
    goal, (only,) = goal_with(session, team, "Källkritik kort")
    complete_activity(session, team.person, only, now=utcnow())
    session.expire_all()
    assert goal.status == GoalStatus.DONE


@pytest.mark.parametrize("status", [GoalStatus.DROPPED, GoalStatus.DONE])
def test_dropped_and_done_goals_keep_their_status(
    session: Session, team: Team, status: GoalStatus
) -> None:
    goal, (first, _second) = goal_with(session, team, "Källkritik kort", "Källkritik djupare")
    goal.status = status
    session.flush()
    complete_activity(session, team.person, first, now=utcnow())
    session.expire_all()
    assert goal.status == status
    assert next(link for link in goal.activities if link.activity_id == first.id).completed_at


def test_another_persons_completion_changes_nothing(session: Session, team: Team) -> None:
    goal, (first,) = goal_with(session, team, "Källkritik kort")
    complete_activity(session, team.colleague, first, now=utcnow())
    session.expire_all()
    assert goal.activities[0].completed_at is None
    assert goal.status == GoalStatus.PLANNED


def test_external_learning_without_an_activity_is_ignored(session: Session, team: Team) -> None:
    goal, _ = goal_with(session, team, "Källkritik kort")
    record_completion(
        session,
        team.person,
        occurrence_key="external:1",
        title="Konferens om källkritik",
        minutes=120,
        source="external",
        completed_at=utcnow(),
    )
    session.expire_all()
    assert goal.status == GoalStatus.PLANNED


def test_goals_in_every_plan_of_the_person_are_marked(session: Session, team: Team) -> None:
    goal, (shared,) = goal_with(session, team, "Källkritik kort")
    later = af.assessment_round(session, "Skattning våren 2027")
    second = af.assessment(session, team.person, later, {"1.2": (2, 4)})
    other_goal = plans.create_plan(session, team.person, second, utcnow()).goals[0]
    plans.link_activity(session, team.person, other_goal, shared)
    complete_activity(session, team.person, shared, now=utcnow())
    session.expire_all()
    assert goal.status == other_goal.status == GoalStatus.DONE


def test_the_receiver_reads_with_two_queries(
    session: Session, team: Team, count_queries: Any
) -> None:
    goal, (first, _second) = goal_with(session, team, "Källkritik kort", "Källkritik djupare")
    other = factories.user(session)
    completion = record_completion(
        session,
        other,  # not the plan's person: the signal does nothing for them
        occurrence_key=f"activity:{first.id}",
        activity=first,
        minutes=5,
        source="catalogue",
        completed_at=utcnow(),
    )
    completion.user_id = team.person.id
    session.flush()
    session.expire_all()
    session.refresh(completion)
    session.refresh(team.person)
    with count_queries() as counter:
        on_completion_recorded(None, session=session, completion=completion, user=team.person)
    selects = [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, selects
    assert goal.status == GoalStatus.IN_PROGRESS
