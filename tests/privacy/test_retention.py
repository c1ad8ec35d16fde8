"""Retention per record class: the boundary day, the dry run writes nothing, applying deletes
exactly what the plan named (dependent rows too, no orphans), funders' reports stay put."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.assessment.models import (
    Assessment,
    DevelopmentPlan,
    GoalActivity,
    LearningRequest,
    PlanGoal,
    Rating,
)
from lms.core.audit import AuditEvent
from lms.core.db import Base
from lms.core.jobs import JobContext
from lms.core.jobs_models import JobRun
from lms.core.outbox import MailStatus, OutboxEmail
from lms.core.time import STOCKHOLM, local_date, start_of_local_day, utcnow
from lms.notify.models import Notification
from lms.privacy.retention import (
    RetentionRules,
    apply_retention,
    apply_retention_job,
    last_deleted_day,
    plan_retention,
)
from lms.progress.models import Completion, Feedback
from lms.reports.esf_report import build_esf_report
from lms.reports.esf_summary import rebuild_programme
from lms.reports.models import Programme
from tests import factories
from tests.assessment.factories import assessment, assessment_round
from tests.catalog.factories import activity, framework
from tests.reports.esf_builders import complete, programme
from tests.reports.esf_summary_support import assert_rebuild_changes_nothing, connect_upkeep

DAYS = 30
RULES = RetentionRules(DAYS, DAYS, DAYS, DAYS)
NOW = utcnow()
TODAY = local_date(NOW)
KEPT_DAY = TODAY - timedelta(days=DAYS)  # exactly the retention ago: still kept
GONE_DAY = KEPT_DAY - timedelta(days=1)  # one day more: deleted
RATINGS = {"1.1": (2, 4), "1.2": (3, 3)}


@pytest.fixture(autouse=True)
def _upkeep() -> None:
    connect_upkeep()


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=STOCKHOLM).astimezone(UTC)


def last_second_of(day: date) -> datetime:
    return start_of_local_day(day + timedelta(days=1)) - timedelta(seconds=1)


@dataclass
class World:
    """The records on both sides of each boundary, by what should happen to them."""

    gone: dict[str, set[int]] = field(default_factory=dict)
    kept: dict[str, set[int]] = field(default_factory=dict)

    def add(self, table: str, row_id: int, *, goes: bool) -> None:
        (self.gone if goes else self.kept).setdefault(table, set()).add(row_id)


def _plan(session: Session, made: Assessment, changed: date, due: date, world: World) -> None:
    competences = framework(session).competences
    plan = DevelopmentPlan(
        assessment_id=made.id,
        user_id=made.user_id,
        updated_at=noon(changed),
        created_at=noon(changed),
    )
    plan.goals.append(PlanGoal(competence_id=competences["1.1"].id, target_level=3, due_on=due))
    session.add(plan)
    session.flush()
    course = activity(session, title=f"Kurs {plan.id}")
    session.add(GoalActivity(goal_id=plan.goals[0].id, activity_id=course.id))
    session.flush()
    ended = max(changed, due)
    world.add("development_plans", plan.id, goes=ended <= GONE_DAY)
    world.add("plan_goals", plan.goals[0].id, goes=ended <= GONE_DAY)


def build_assessments(session: Session, world: World) -> None:
    org = factories.organisation(session)
    person = factories.user(session)
    closed_in = assessment_round(
        session, "Inom", opens_on=KEPT_DAY - timedelta(days=20), closes_on=KEPT_DAY,
        organisations=[org],
    )  # fmt: skip
    closed_out = assessment_round(
        session, "Utom", opens_on=GONE_DAY - timedelta(days=20), closes_on=GONE_DAY,
        organisations=[org],
    )  # fmt: skip
    kept = assessment(session, person, closed_in, RATINGS)
    gone = assessment(session, person, closed_out, RATINGS)
    world.add("assessments", kept.id, goes=False)
    world.add("assessments", gone.id, goes=True)
    # An expired assessment whose plan is still running stays with its plan.
    other = factories.user(session)
    held = assessment(session, other, closed_out, RATINGS)
    _plan(session, held, GONE_DAY, KEPT_DAY, world)  # ended on the kept day: plan kept
    world.add("assessments", held.id, goes=False)
    # Plans on the kept assessment: one ended a day too long ago, one changed on the kept day.
    third = factories.user(session)
    _plan(session, gone, GONE_DAY, GONE_DAY - timedelta(days=9), world)
    _plan(session, assessment(session, third, closed_in, RATINGS), KEPT_DAY, GONE_DAY, world)
    for when, goes in ((last_second_of(GONE_DAY), True), (start_of_local_day(KEPT_DAY), False)):
        wish = LearningRequest(
            user_id=person.id, competence_id=framework(session).competences["1.1"].id,
            text="Önskan", created_at=when,
        )  # fmt: skip
        session.add(wish)
        session.flush()
        world.add("learning_requests", wish.id, goes=goes)


def build_completions(session: Session, world: World) -> tuple[Programme, Programme]:
    org = factories.organisation(session)
    person = factories.user(session)
    running = programme(
        session, TODAY - timedelta(days=320), TODAY + timedelta(days=60), organisations=[org]
    )
    ended = programme(
        session,
        TODAY - timedelta(days=700),
        TODAY - timedelta(days=400),
        organisations=[org],
        slug="avslutat",
    )  # ended long past the retention: its completions may go
    rebuild_programme(session, running)
    rebuild_programme(session, ended)
    # A completion outside every programme, on each side of the boundary.
    reported = complete(session, person, noon(TODAY - timedelta(days=300)), 45)
    world.add("completions", reported.id, goes=False)  # in the running programme: protected
    old = complete(session, person, noon(TODAY - timedelta(days=800)), 30)
    world.add("completions", old.id, goes=True)
    session.add(Feedback(completion_id=old.id, rating=4, comment="Bra"))
    edge_kept = complete(session, person, noon(KEPT_DAY), 20)
    world.add("completions", edge_kept.id, goes=False)
    in_ended = complete(session, person, noon(TODAY - timedelta(days=500)), 25)
    world.add("completions", in_ended.id, goes=True)
    session.flush()
    return running, ended


def build_logs(session: Session, world: World) -> None:
    person = factories.user(session)
    for when, goes in ((last_second_of(GONE_DAY), True), (start_of_local_day(KEPT_DAY), False)):
        rows: list[Any] = [
            AuditEvent(occurred_at=when, action="x", object_type="user", object_id="1"),
            JobRun(job_name="x", run_key=str(when), status="succeeded", started_at=when),
            OutboxEmail(
                to_address="a@example.se", subject="s", body_text="b", kind="x",
                status=MailStatus.SENT, created_at=when, sent_at=when,
            ),
            Notification(user_id=person.id, kind="message", title="t", created_at=when),
        ]  # fmt: skip
        session.add_all(rows)
        session.flush()
        for row in rows:
            world.add(row.__tablename__, row.id, goes=goes)
    unsent = OutboxEmail(
        to_address="b@example.se",
        kind="x",
        subject="s",
        body_text="b",
        status=MailStatus.PENDING,
        created_at=last_second_of(GONE_DAY),
    )  # fmt: skip  (not yet sent: never deleted by retention)
    session.add(unsent)
    session.flush()
    world.add("outbox_emails", unsent.id, goes=False)


def everything(session: Session) -> tuple[World, Programme, Programme]:
    world = World()
    build_assessments(session, world)
    running, ended = build_completions(session, world)
    build_logs(session, world)
    return world, running, ended


def row_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


# --- tests ------------------------------------------------------------------------------------


def test_the_day_exactly_the_retention_ago_is_kept_and_the_day_before_goes() -> None:
    assert last_deleted_day(date(2026, 3, 31), 30) == date(2026, 2, 28)
    assert last_deleted_day(date(2026, 3, 31), 0) is None  # 0: kept forever
    assert last_deleted_day(date(2026, 3, 31), -5) is None


def test_the_plan_names_exactly_the_records_past_their_retention(session: Session) -> None:
    world, _, _ = everything(session)
    plan = plan_retention(session, RULES, NOW)
    planned = {d.table: set(d.ids) for c in plan.classes for d in c.tables}
    for table, ids in world.gone.items():
        assert ids <= planned[table], table
    for table, ids in world.kept.items():
        assert not ids & planned.get(table, set()), table
    completions = next(d for d in plan.of("completions").tables if d.table == "completions")
    assert completions.newest is not None and completions.newest <= GONE_DAY
    assert plan.of("logs").last_deleted_day == GONE_DAY


def test_the_dry_run_writes_nothing(app: Flask, session: Session) -> None:
    everything(session)
    before = row_counts(session)
    plan = plan_retention(session, RULES, NOW)
    assert plan.of("assessments").count > 0 and plan.of("logs").count > 0
    assert row_counts(session) == before
    settings = app.config["LMS"].with_overrides(
        retention_assessments_days=DAYS, retention_plans_days=DAYS,
        retention_completions_days=DAYS, retention_logs_days=DAYS,
    )  # fmt: skip
    app.config["LMS"], original = settings, app.config["LMS"]
    try:
        result = app.test_cli_runner().invoke(args=["lms", "retention", "plan"])
        refused = app.test_cli_runner().invoke(args=["lms", "retention", "apply"], input="n\n")
    finally:
        app.config["LMS"] = original
    assert result.exit_code == 0, result.output
    for record_class in ("assessments", "plans", "completions", "logs"):
        assert record_class in result.output
    assert "ratings" in result.output and "audit_events" in result.output
    assert refused.exit_code == 1  # answered no: aborted
    session.expire_all()
    assert row_counts(session) == before


def test_apply_deletes_exactly_what_the_plan_said_and_leaves_no_orphans(session: Session) -> None:
    world, _, _ = everything(session)
    before = row_counts(session)
    plan = plan_retention(session, RULES, NOW)
    deleted = apply_retention(session, plan)
    after = row_counts(session)
    for class_plan in plan.classes:
        for doomed in class_plan.tables:
            assert deleted[f"{doomed.table}_deleted"] == doomed.count, doomed.table
    expected = {table: before[table] for table in before}
    for class_plan in plan.classes:
        for doomed in class_plan.tables:
            expected[doomed.table] -= doomed.count
    # Derived summaries are rebuilt, so they may change; every other table is exact.
    derived = {"programme_participants", "programme_month_hours", "programme_activity_hours"}
    assert {t: n for t, n in after.items() if t not in derived} == {
        t: n for t, n in expected.items() if t not in derived
    }
    for table, ids in world.kept.items():
        model = _model(table)
        assert session.scalar(select(func.count()).where(model.id.in_(ids))) == len(ids), table
    _assert_no_orphans(session)
    assert plan_retention(session, RULES, NOW).counts() == {
        key: 0 for key in plan.counts()
    }  # applying again finds nothing left


def _model(table: str) -> Any:
    return next(m.class_ for m in Base.registry.mappers if m.local_table.name == table)


def _assert_no_orphans(session: Session) -> None:
    orphans = {
        "ratings": select(Rating.id).where(~Rating.assessment_id.in_(select(Assessment.id))),
        "plan_goals": select(PlanGoal.id).where(~PlanGoal.plan_id.in_(select(DevelopmentPlan.id))),
        "goal_activities": select(GoalActivity.goal_id).where(
            ~GoalActivity.goal_id.in_(select(PlanGoal.id))
        ),
        "plans": select(DevelopmentPlan.id).where(
            ~DevelopmentPlan.assessment_id.in_(select(Assessment.id))
        ),
        "feedback": select(Feedback.id).where(~Feedback.completion_id.in_(select(Completion.id))),
    }
    for name, query in orphans.items():
        assert session.execute(query).first() is None, name


def test_a_running_programmes_esf_report_is_unchanged(session: Session) -> None:
    _, running, ended = everything(session)
    report_before = build_esf_report(session, programme=running)
    apply_retention(session, plan_retention(session, RULES, NOW))
    session.expire_all()
    assert build_esf_report(session, programme=running) == report_before
    assert report_before["participants"]["total"] > 0
    # The ended programme lost its completions; its built summary was rebuilt to match.
    assert_rebuild_changes_nothing(session, session.get(Programme, ended.id))


def test_keeping_forever_deletes_nothing(session: Session) -> None:
    everything(session)
    plan = plan_retention(session, RetentionRules(0, 0, 0, 0), NOW)
    assert all(c.count == 0 and c.last_deleted_day is None for c in plan.classes)


def test_the_nightly_job_applies_the_configured_rules(app: Flask, session: Session) -> None:
    world, _, _ = everything(session)
    settings = app.config["LMS"].with_overrides(
        retention_assessments_days=0, retention_plans_days=0,
        retention_completions_days=0, retention_logs_days=DAYS,
    )  # fmt: skip
    ctx = JobContext(session, NOW, app, logging.getLogger("test"), settings_override=settings)
    counts = apply_retention_job(ctx)
    assert counts["audit_events_deleted"] == len(world.gone["audit_events"])
    assert counts.get("assessments_deleted", 0) == 0
    assert session.get(Assessment, min(world.gone["assessments"])) is not None


def test_a_programme_ended_exactly_the_retention_ago_still_protects_its_completions(
    session: Session,
) -> None:
    person = factories.user(session)
    made = complete(session, person, noon(TODAY - timedelta(days=90)), 60)
    lyft = programme(session, TODAY - timedelta(days=100), KEPT_DAY)

    def planned() -> set[int]:
        completions = plan_retention(session, RULES, NOW).of("completions").tables
        return set(next(d for d in completions if d.table == "completions").ids)

    assert made.id not in planned()
    lyft.ends_on = GONE_DAY
    session.flush()
    assert made.id in planned()
