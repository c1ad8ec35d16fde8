"""Development plan rules: the prefill, goal edits, matching activities, links and the follow-up."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessment import plans
from lms.assessment.models import (
    AssessmentStatus,
    DevelopmentPlan,
    GoalStatus,
    LearningRequest,
    PlanGoal,
)
from lms.assessment.plan_queries import list_matching_activities
from lms.assessment.plan_rules import add_months, default_due_on
from lms.assessment.requests import create_request
from lms.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lms.core.time import local_date, utcnow
from lms.notify.models import Notification
from lms.progress.services import record_completion
from tests.assessment import factories as af
from tests.assessment.plan_helpers import PREFILL_ORDER, Team, committed_team, make_team
from tests.catalog import factories as cf
from tests.catalog.factories import framework


@pytest.fixture
def team(session: Session) -> Team:
    return committed_team(session)


def codes(plan: DevelopmentPlan) -> list[str]:
    return [goal.competence.code for goal in plan.goals]


def plan_of(session: Session, team: Team) -> DevelopmentPlan:
    return plans.create_plan(session, team.boss, team.assessment, utcnow())


# --- the prefill -------------------------------------------------------------------------------


def test_prefill_orders_goals_by_gap_then_motivation_then_framework_order(
    session: Session, team: Team
) -> None:
    plan = plan_of(session, team)
    assert codes(plan) == PREFILL_ORDER
    assert [goal.position for goal in plan.goals] == list(range(len(PREFILL_ORDER)))


def test_prefill_uses_the_agreed_level_over_the_self_level(session: Session, team: Team) -> None:
    plan = plan_of(session, team)
    # 4.1: self 3 meets the expected 3, but the agreed 1 leaves a gap of 2.
    assert "4.1" in codes(plan)
    # 2.1: self 1 is below the expected 3, but the agreed 3 closes the gap.
    assert "2.1" not in codes(plan)


def test_prefill_ignores_a_competence_that_does_not_apply(session: Session, team: Team) -> None:
    assert "3.1" not in codes(plan_of(session, team))


def test_goals_aim_at_the_expected_level_and_are_due_six_months_after_the_round(
    session: Session, team: Team
) -> None:
    plan = plan_of(session, team)
    by_code = {goal.competence.code: goal for goal in plan.goals}
    assert by_code["1.2"].target_level == 4
    assert by_code["4.1"].target_level == 3
    assert {goal.due_on for goal in plan.goals} == {add_months(team.round.closes_on, 6)}
    assert {goal.status for goal in plan.goals} == {GoalStatus.PLANNED}


def test_due_date_is_clamped_to_the_end_of_a_shorter_month(session: Session) -> None:
    made = make_team(session, closes_on=date(2026, 8, 31))
    assert default_due_on(made.round) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


def test_create_plan_is_idempotent(session: Session, team: Team) -> None:
    first = plan_of(session, team)
    again = plans.create_plan(session, team.person, team.assessment, utcnow())
    assert again.id == first.id
    assert len(session.scalars(select(DevelopmentPlan)).all()) == 1
    assert len(again.goals) == len(PREFILL_ORDER)


@pytest.mark.parametrize("who", ["person", "boss", "top"])
def test_the_person_and_the_whole_manager_chain_may_create_the_plan(
    session: Session, team: Team, who: str
) -> None:
    actor = getattr(team, who)
    plan = plans.create_plan(session, actor, team.assessment, utcnow())
    assert plan.created_by_id == actor.id
    assert plan.user_id == team.person.id


@pytest.mark.parametrize("outsider", ["colleague", "other_boss", "coordinator", "admin"])
def test_outsiders_cannot_create_a_plan(session: Session, team: Team, outsider: str) -> None:
    with pytest.raises(NotFound):
        plans.create_plan(session, team.outsiders()[outsider], team.assessment, utcnow())


def test_a_draft_has_no_plan(session: Session) -> None:
    made = make_team(session, status=AssessmentStatus.DRAFT)
    with pytest.raises(Conflict):
        plans.create_plan(session, made.person, made.assessment, utcnow())


# --- goals -------------------------------------------------------------------------------------


def test_add_goal_for_an_applicable_competence_without_a_goal(session: Session, team: Team) -> None:
    plan = plan_of(session, team)
    competence = framework(session).competences["2.1"]
    goal = plans.add_goal(session, team.person, plan, competence.id, utcnow())
    # 2.1 is agreed at 3, the expected level: the goal aims one above it.
    assert goal.target_level == 4
    assert goal.position == len(PREFILL_ORDER)
    assert codes(plan)[-1] == "2.1"


@pytest.mark.parametrize(("code", "reason"), [("3.1", "not applicable"), ("1.2", "already")])
def test_add_goal_refuses_inapplicable_or_duplicate_competences(
    session: Session, team: Team, code: str, reason: str
) -> None:
    plan = plan_of(session, team)
    with pytest.raises(ValidationError) as refused:
        plans.add_goal(
            session, team.person, plan, framework(session).competences[code].id, utcnow()
        )
    assert refused.value.field == "competence"


def test_update_goal_saves_the_fields(session: Session, team: Team) -> None:
    goal = plan_of(session, team).goals[0]
    due = date(2027, 6, 1)
    data = plans.GoalData(target_level=5, due_on=due, status="in_progress", note="  Gå kursen.  ")
    plans.update_goal(session, team.person, goal, data)
    assert (goal.target_level, goal.due_on, goal.status, goal.note) == (
        5,
        due,
        "in_progress",
        "Gå kursen.",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target_level": 0}, "target_level"),
        ({"target_level": 6}, "target_level"),
        ({"status": "finished"}, "status"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_update_goal_validates(
    session: Session, team: Team, changes: dict[str, Any], field: str
) -> None:
    goal = plan_of(session, team).goals[0]
    values: dict[str, Any] = {"target_level": 4, "due_on": None, "status": "planned", "note": ""}
    values.update(changes)
    with pytest.raises(ValidationError) as refused:
        plans.update_goal(session, team.boss, goal, plans.GoalData(**values))
    assert refused.value.field == field


def test_remove_goal_renumbers_and_keeps_its_wishes(session: Session, team: Team) -> None:
    plan = plan_of(session, team)
    goal = plan.goals[0]
    wish = create_request(
        session,
        team.person,
        team.assessment,
        goal.competence_id,
        "En kurs om källkritik på lätt svenska.",
        goal=goal,
        now=utcnow(),
    )
    plans.remove_goal(session, team.boss, goal)
    session.expire_all()
    assert codes(plan) == PREFILL_ORDER[1:]
    assert [g.position for g in plan.goals] == list(range(len(PREFILL_ORDER) - 1))
    kept = session.get(LearningRequest, wish.id)
    assert kept is not None and kept.goal_id is None


def test_move_goal_up_and_down_and_not_past_the_ends(session: Session, team: Team) -> None:
    plan = plan_of(session, team)
    first, second = plan.goals[0], plan.goals[1]
    plans.move_goal(session, team.person, second, "up")
    assert codes(plan)[:2] == [PREFILL_ORDER[1], PREFILL_ORDER[0]]
    plans.move_goal(session, team.person, second, "up")  # already first: nothing moves
    plans.move_goal(session, team.person, first, "down")
    assert codes(plan)[:3] == [PREFILL_ORDER[1], PREFILL_ORDER[2], PREFILL_ORDER[0]]
    with pytest.raises(ValidationError):
        plans.move_goal(session, team.person, first, "sideways")


def test_goal_edits_are_refused_to_outsiders(session: Session, team: Team) -> None:
    goal = plan_of(session, team).goals[0]
    outsider = team.other_boss
    data = plans.GoalData(target_level=4, due_on=None, status="planned")
    for action in (
        lambda: plans.update_goal(session, outsider, goal, data),
        lambda: plans.remove_goal(session, outsider, goal),
        lambda: plans.move_goal(session, outsider, goal, "down"),
        lambda: plans.add_goal(session, outsider, goal.plan, goal.competence_id, utcnow()),
    ):
        with pytest.raises(NotFound):
            action()


# --- matching activities and links ------------------------------------------------------------


def test_matching_activities_are_published_ones_developing_the_competence(
    session: Session, team: Team, count_queries: Any
) -> None:
    fw = framework(session)
    strong = cf.activity(session, title="Källkritik i praktiken", competences={"1.2": 1.0})
    weak = cf.activity(session, title="Sök smart", competences={"1.1": 1.0, "1.2": 0.5})
    cf.activity(session, title="Utkast om källor", competences={"1.2": 1.0}, status="draft")
    cf.activity(session, title="Gammal kurs", competences={"1.2": 1.0}, status="archived")
    cf.activity(session, title="Skydda enheten", competences={"4.1": 1.0})
    ids = [fw.competences[c].id for c in ("1.1", "1.2", "5.1")]
    session.flush()
    with count_queries() as counter:
        found = list_matching_activities(session, ids)
    assert counter.count == 1, counter.statements
    assert found[fw.competences["1.2"].id] == [strong, weak]
    assert found[fw.competences["1.1"].id] == [weak]
    assert fw.competences["5.1"].id not in found


def test_link_activity_only_published_and_not_twice(session: Session, team: Team) -> None:
    goal = plan_of(session, team).goals[0]
    draft = cf.activity(session, competences={"1.2": 1.0}, status="draft")
    with pytest.raises(ValidationError):
        plans.link_activity(session, team.person, goal, draft)
    chosen = cf.activity(session, title="Källkritik i praktiken", competences={"1.2": 1.0})
    plans.link_activity(session, team.person, goal, chosen)
    with pytest.raises(ValidationError) as refused:
        plans.link_activity(session, team.boss, goal, chosen)
    assert refused.value.field == "activity"
    assert [link.activity_id for link in goal.activities] == [chosen.id]
    assert goal.activities[0].completed_at is None
    assert goal.status == GoalStatus.PLANNED


def test_linking_an_activity_already_completed_marks_it_done_at_once(
    session: Session, team: Team
) -> None:
    goal = plan_of(session, team).goals[0]
    done = cf.activity(session, title="Källkritik på fem minuter", competences={"1.2": 1.0})
    later = cf.activity(session, title="Källkritik fördjupning", competences={"1.2": 1.0})
    when = utcnow().replace(microsecond=0) - timedelta(days=30)
    record_completion(
        session,
        team.person,
        occurrence_key=f"activity:{done.id}",
        activity=done,
        minutes=5,
        source="catalogue",
        completed_at=when,
    )
    plans.link_activity(session, team.boss, goal, later)
    plans.link_activity(session, team.boss, goal, done)
    marks = {link.activity_id: link.completed_at for link in goal.activities}
    assert marks == {later.id: None, done.id: when}
    assert goal.status == GoalStatus.IN_PROGRESS


def test_unlink_activity(session: Session, team: Team) -> None:
    goal = plan_of(session, team).goals[0]
    first = cf.activity(session, competences={"1.2": 1.0})
    second = cf.activity(session, competences={"1.2": 1.0})
    plans.link_activity(session, team.person, goal, first)
    plans.link_activity(session, team.person, goal, second)
    plans.unlink_activity(session, team.person, goal, first.id)
    assert [(link.activity_id, link.position) for link in goal.activities] == [(second.id, 0)]
    with pytest.raises(NotFound):
        plans.unlink_activity(session, team.person, goal, first.id)


# --- the follow-up ------------------------------------------------------------------------------


def test_follow_up_date_by_the_person_or_the_chain_not_in_the_past(
    session: Session, team: Team
) -> None:
    today = local_date(utcnow())
    plans.set_follow_up_date(session, team.person, team.assessment, today, utcnow())
    plans.set_follow_up_date(
        session, team.top, team.assessment, today + timedelta(days=90), utcnow()
    )
    assert team.assessment.follow_up_on == today + timedelta(days=90)
    with pytest.raises(ValidationError) as refused:
        plans.set_follow_up_date(
            session, team.boss, team.assessment, today - timedelta(days=1), utcnow()
        )
    assert refused.value.field == "follow_up_on"
    with pytest.raises(NotFound):
        plans.set_follow_up_date(session, team.colleague, team.assessment, today, utcnow())


def test_record_follow_up_by_the_manager_tells_the_person(session: Session, team: Team) -> None:
    now = utcnow()
    plans.record_follow_up(session, team.boss, team.assessment, "  Kursen gick bra.  ", now)
    assert team.assessment.status == AssessmentStatus.FOLLOWED_UP
    assert team.assessment.follow_up_notes == "Kursen gick bra."
    assert (team.assessment.followed_up_at, team.assessment.followed_up_by_id) == (
        now,
        team.boss.id,
    )
    told = session.scalars(select(Notification).where(Notification.user_id == team.person.id)).all()
    assert len(told) == 1
    assert told[0].link == f"/skattning/plan/{team.assessment.id}"
    with pytest.raises(Conflict):
        plans.record_follow_up(session, team.boss, team.assessment, "Igen.", utcnow())


def test_record_follow_up_refused_to_the_person_and_outsiders(session: Session, team: Team) -> None:
    with pytest.raises(PermissionDenied):
        plans.record_follow_up(session, team.person, team.assessment, "", utcnow())
    for outsider in team.outsiders().values():
        with pytest.raises(NotFound):
            plans.record_follow_up(session, outsider, team.assessment, "", utcnow())


def test_record_follow_up_needs_the_conversation_held_first(session: Session) -> None:
    made = make_team(session, status=AssessmentStatus.SUBMITTED)
    with pytest.raises(Conflict):
        plans.record_follow_up(session, made.top, made.assessment, "", utcnow())
    assert made.assessment.status == AssessmentStatus.SUBMITTED


def test_record_follow_up_notes_are_limited(session: Session, team: Team) -> None:
    with pytest.raises(ValidationError) as refused:
        plans.record_follow_up(session, team.boss, team.assessment, "x" * 5001, utcnow())
    assert refused.value.field == "notes"


def test_a_new_round_assessment_gets_its_own_plan(session: Session, team: Team) -> None:
    plan_of(session, team)
    later = af.assessment_round(session, "Skattning våren 2027")
    second = af.assessment(session, team.person, later, {"1.1": (1, 3)})
    plan = plans.create_plan(session, team.person, second, utcnow())
    assert codes(plan) == ["1.1"]
    assert session.scalar(select(PlanGoal.id).where(PlanGoal.plan_id == plan.id)) is not None
