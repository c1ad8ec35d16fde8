"""The database itself refuses impossible data, whatever code writes it (issue 11, item 12).

Every case inserts straight into the table with a Core `insert` (no service, no form, no ORM
validation) on SQLite and on PostgreSQL. A case is a valid row and the one change that makes it
impossible: the valid row must go in (so the refusal is the change's doing, not a missing
column), the impossible one must be refused by the named CHECK, UNIQUE or FOREIGN KEY
constraint (the error names it: a refusal for another reason fails the case). Duplicates
insert the same valid row twice. Service-level versions of some of these live in
tests/assessment/test_constraints.py and tests/progress/test_bookings.py
(`test_database_rejects_an_eleventh_booked_seat`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment.models import (
    Assessment,
    AssessmentStatus,
    DevelopmentPlan,
    LearningRequest,
    PlanGoal,
    Rating,
)
from lms.catalog.models import Activity, ActivityCompetence, ActivitySession, SessionSeat
from lms.catalog.schedule import sync_seats
from lms.core.db import Base
from lms.core.jobs_models import JobRun
from lms.core.outbox import OutboxEmail
from lms.core.time import utcnow
from lms.framework.models import RoleExpectation
from lms.notify.models import Notification
from lms.progress import bookings
from lms.progress.models import (
    Booking,
    Completion,
    Enrolment,
    ExternalLearning,
    Feedback,
    QuizAttempt,
)
from lms.reports.models import Programme, ProgrammeParticipant
from tests import factories
from tests.assessment.factories import assessment, assessment_round
from tests.catalog import factories as catalog
from tests.conftest import rolled_back_session

Values = dict[str, Any]


@dataclass
class World:
    """Valid rows the cases start from (built through the factories and services)."""

    person: User
    manager: User
    assessment: Assessment
    goal: PlanGoal
    competence_id: int  # one the person has not rated yet (4.2)
    activity: Activity
    occurrence: ActivitySession  # capacity 2, the person holds seat 1
    completion: Completion  # the person's, without feedback
    programme: Programme
    external: ExternalLearning


@pytest.fixture(scope="module")
def shared(app: Flask) -> Iterator[tuple[Session, World]]:
    """One world per backend for every case (each case runs in a savepoint rolled back)."""
    with rolled_back_session(app) as session:
        yield session, build_world(session)


@pytest.fixture
def session(shared: tuple[Session, World]) -> Iterator[Session]:
    """The shared world's session, inside a savepoint undone after the case."""
    session = shared[0]
    savepoint = session.begin_nested()
    try:
        yield session
    finally:
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture
def world(shared: tuple[Session, World]) -> World:
    return shared[1]


def build_world(session: Session) -> World:
    manager = factories.user(session, password=None)
    role = factories.job_role(session, "Invariantroll")
    person = factories.user(session, password=None, manager=manager, role=role)
    fw = catalog.framework(session)
    made = assessment(
        session, person, assessment_round(session), {"4.1": (3, 4)}, status=AssessmentStatus.DRAFT
    )
    plan = DevelopmentPlan(assessment_id=made.id, user_id=person.id)
    goal = PlanGoal(plan=plan, competence_id=fw.competences["4.1"].id, target_level=4)
    activity = catalog.activity(session, minutes=30, format="workshop", delivery="physical")
    occurrence = catalog.session_of(session, activity, capacity=2)
    sync_seats(session, occurrence)
    bookings.book_session(session, person, occurrence, now=utcnow())
    completion = Completion(
        user_id=person.id,
        activity_id=activity.id,
        occurrence_key=f"activity:{activity.id}",
        title=activity.title,
        completed_at=utcnow(),
        credited_minutes=30,
        source="catalogue",
    )
    programme = Programme(
        slug="invariant-programme",
        name="Invariantprogrammet",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        target_participants=100,
        target_hours=1000,
        target_hours_per_participant=10.0,
    )
    external = ExternalLearning(
        user_id=person.id, title="Konferens", learned_on=date(2026, 3, 1), minutes=90
    )
    session.add_all([plan, goal, completion, programme, external])
    session.flush()
    return World(
        person=person,
        manager=manager,
        assessment=made,
        goal=goal,
        competence_id=fw.competences["4.2"].id,
        activity=activity,
        occurrence=occurrence,
        completion=completion,
        programme=programme,
        external=external,
    )


def copy_of(session: Session, model: Any, pk: int, **changes: Any) -> Values:
    """An existing row's column values without its id, with `changes` (a valid new row)."""
    table: Table = model.__table__
    row = session.execute(select(table).where(table.c.id == pk)).mappings().one()
    return {**{key: value for key, value in row.items() if key != "id"}, **changes}


@dataclass(frozen=True)
class Case:
    """One impossible insert: `valid(world)` goes in; with `bad` applied (None: inserted a
    second time) it must be refused by `constraint` of `kind` (check, unique or fk)."""

    name: str
    model: Any
    valid: Callable[[Session, World], Values]
    bad: Values | None
    constraint: str
    kind: str = "check"


def _rating(session: Session, w: World) -> Values:
    return {"assessment_id": w.assessment.id, "competence_id": w.competence_id, "self_level": 3}


def _goal(session: Session, w: World) -> Values:
    return {"plan_id": w.goal.plan_id, "competence_id": w.competence_id, "target_level": 3}


def _feedback(session: Session, w: World) -> Values:
    return {"completion_id": w.completion.id, "rating": 4}


def _expectation(session: Session, w: World) -> Values:
    role = w.person.job_role_id
    return {"job_role_id": role, "competence_id": w.competence_id, "level": 3}


def _completion(session: Session, w: World) -> Values:
    return copy_of(session, Completion, w.completion.id, occurrence_key="import:x:2026-03-01")


def _activity(session: Session, w: World) -> Values:
    return copy_of(session, Activity, w.activity.id, slug="invariant-kopia")


def _session(session: Session, w: World) -> Values:
    return copy_of(session, ActivitySession, w.occurrence.id)


def _external(session: Session, w: World) -> Values:
    return copy_of(session, ExternalLearning, w.external.id)


def _programme(session: Session, w: World) -> Values:
    return copy_of(session, Programme, w.programme.id, slug="invariant-2")


def _participant(session: Session, w: World) -> Values:
    return {
        "programme_id": w.programme.id,
        "user_id": w.person.id,
        "organisation_key": w.person.organisation_id,
        "department_key": w.person.department_id,
        "minutes": 30,
        "completions": 1,
        "first_on": date(2026, 3, 1),
    }


def _quiz(session: Session, w: World) -> Values:
    return {"user_id": w.person.id, "activity_id": w.activity.id, "score": 0.5, "is_passed": False}


def _booking(session: Session, w: World) -> Values:
    """The manager's booking of the free seat 2 (seat 1 is the person's)."""
    return {"session_id": w.occurrence.id, "user_id": w.manager.id, "status": "booked", "seat": 2}


def _waitlisted(session: Session, w: World) -> Values:
    return {**_booking(session, w), "status": "waitlisted", "seat": None}


def _seat(session: Session, w: World) -> Values:
    return {"session_id": w.occurrence.id, "seat": 3}


def _assessment(session: Session, w: World) -> Values:
    return copy_of(session, Assessment, w.assessment.id, user_id=w.manager.id)


def _request(session: Session, w: World) -> Values:
    return {"user_id": w.person.id, "competence_id": w.competence_id, "text": "En kurs om AI"}


def _user(session: Session, w: World) -> Values:
    return copy_of(session, User, w.person.id, email="kopia@kultur.example.se")


def _enrolment(session: Session, w: World) -> Values:
    return {"user_id": w.person.id, "activity_id": w.activity.id, "status": "enrolled"}


def _weight(session: Session, w: World) -> Values:
    return {"activity_id": w.activity.id, "competence_id": w.competence_id, "weight": 0.5}


def _job_run(session: Session, w: World) -> Values:
    return {"job_name": "send_session_reminders", "run_key": "2026-03-01T07:00:00+00:00"}


def _mail(session: Session, w: World) -> Values:
    return {
        "to_address": w.person.email,
        "subject": "Påminnelse",
        "body_text": "Hej",
        "kind": "session_reminder",
        "dedupe_key": "reminder:invariant",
    }


def _notification(session: Session, w: World) -> Values:
    return {
        "user_id": w.person.id,
        "kind": "session_reminder",
        "title": "Imorgon",
        "dedupe_key": "reminder:invariant",
    }


MISSING = 987_654_321  # an id no table uses

CASES: list[Case] = [
    # Ratings and levels outside 1–5.
    *[
        Case(f"rating {column}={value}", Rating, _rating, {column: value}, f"ck_ratings_{column}")
        for column in ("self_level", "agreed_level", "motivation")
        for value in (0, 6, -1)
    ],
    Case("goal target 0", PlanGoal, _goal, {"target_level": 0}, "ck_plan_goals_target_level"),
    Case("goal target 6", PlanGoal, _goal, {"target_level": 6}, "ck_plan_goals_target_level"),
    Case("feedback rating 0", Feedback, _feedback, {"rating": 0}, "ck_feedback_rating"),
    Case("feedback rating 6", Feedback, _feedback, {"rating": 6}, "ck_feedback_rating"),
    Case(
        "role expectation 6",
        RoleExpectation,
        _expectation,
        {"level": 6},
        "ck_role_expectations_level",
    ),
    Case("quiz score 1.5", QuizAttempt, _quiz, {"score": 1.5}, "ck_quiz_attempts_score"),
    Case("quiz score -0.1", QuizAttempt, _quiz, {"score": -0.1}, "ck_quiz_attempts_score"),
    # Negative or zero time.
    Case(
        "credited minutes -1",
        Completion,
        _completion,
        {"credited_minutes": -1},
        "ck_completions_credited_minutes",
    ),
    Case("activity minutes 0", Activity, _activity, {"minutes": 0}, "ck_activities_minutes"),
    Case("activity minutes -30", Activity, _activity, {"minutes": -30}, "ck_activities_minutes"),
    Case(
        "session ends before it starts",
        ActivitySession,
        _session,
        {"ends_at": "before start"},
        "ck_sessions_ends_after_start",
    ),
    Case("session capacity 0", ActivitySession, _session, {"capacity": 0}, "ck_sessions_capacity"),
    Case(
        "external learning 0 min",
        ExternalLearning,
        _external,
        {"minutes": 0},
        "ck_external_learning_minutes",
    ),
    Case(
        "external learning -60 min",
        ExternalLearning,
        _external,
        {"minutes": -60},
        "ck_external_learning_minutes",
    ),
    Case(
        "programme target hours -1",
        Programme,
        _programme,
        {"target_hours": -1},
        "ck_programmes_target_hours",
    ),
    Case(
        "programme target participants 0",
        Programme,
        _programme,
        {"target_participants": 0},
        "ck_programmes_target_participants",
    ),
    Case(
        "programme hours per participant -0.5",
        Programme,
        _programme,
        {"target_hours_per_participant": -0.5},
        "ck_programmes_target_hours_per_participant",
    ),
    Case(
        "programme ends before it starts",
        Programme,
        _programme,
        {"ends_on": date(2025, 12, 31)},
        "ck_programmes_period",
    ),
    Case(
        "participant -30 min",
        ProgrammeParticipant,
        _participant,
        {"minutes": -30},
        "ck_programme_participants_counted",
    ),
    # Duplicates.
    Case(
        "duplicate completion",
        Completion,
        _completion,
        None,
        "uq_completions_user_id_occurrence_key",
        "unique",
    ),
    Case(
        "duplicate booking", Booking, _waitlisted, None, "uq_bookings_session_id_user_id", "unique"
    ),
    Case(
        "second booking of a booked person",
        Booking,
        _waitlisted,
        {"user_id": "person"},
        "uq_bookings_session_id_user_id",
        "unique",
    ),
    Case(
        "duplicate assessment per round and person",
        Assessment,
        _assessment,
        None,
        "uq_assessments_round_id_user_id",
        "unique",
    ),
    Case(
        "duplicate rating per competence",
        Rating,
        _rating,
        None,
        "uq_ratings_assessment_id_competence_id",
        "unique",
    ),
    Case("duplicate feedback", Feedback, _feedback, None, "uq_feedback_completion_id", "unique"),
    Case(
        "duplicate enrolment",
        Enrolment,
        _enrolment,
        None,
        "uq_enrolments_user_id_activity_id",
        "unique",
    ),
    Case("duplicate e-mail", User, _user, None, "uq_users_email", "unique"),
    Case("duplicate job run", JobRun, _job_run, None, "uq_job_runs_job_name_run_key", "unique"),
    Case(
        "duplicate mail dedupe key",
        OutboxEmail,
        _mail,
        None,
        "uq_outbox_emails_dedupe_key",
        "unique",
    ),
    Case(
        "duplicate notification dedupe key",
        Notification,
        _notification,
        None,
        "uq_notifications_dedupe_key",
        "unique",
    ),
    # Over capacity: a booking holds one of the session's seat rows 1..capacity.
    Case(
        "booking beyond capacity (seat 3 of 2)",
        Booking,
        _booking,
        {"seat": 3},
        "fk_bookings_session_id_session_seats",
        "fk",
    ),
    Case(
        "booking a taken seat",
        Booking,
        _booking,
        {"seat": 1},
        "uq_bookings_session_id_seat",
        "unique",
    ),
    Case(
        "booked without a seat",
        Booking,
        _booking,
        {"seat": None},
        "ck_bookings_seat_when_booked",
    ),
    Case(
        "waitlisted holding a seat",
        Booking,
        _waitlisted,
        {"seat": 2},
        "ck_bookings_seat_when_booked",
    ),
    Case("seat 0", SessionSeat, _seat, {"seat": 0}, "ck_session_seats_seat"),
    Case("seat taken twice", SessionSeat, _seat, {"seat": 1}, "pk_session_seats", "unique"),
    # Orphans: rows pointing at nothing.
    Case(
        "rating of no assessment",
        Rating,
        _rating,
        {"assessment_id": MISSING},
        "fk_ratings_assessment_id_assessments",
        "fk",
    ),
    Case(
        "booking of no session",
        Booking,
        _waitlisted,
        {"session_id": MISSING},
        "fk_bookings_session_id_sessions",
        "fk",
    ),
    Case(
        "feedback of no completion",
        Feedback,
        _feedback,
        {"completion_id": MISSING},
        "fk_feedback_completion_id_completions",
        "fk",
    ),
    Case(
        "completion of no user",
        Completion,
        _completion,
        {"user_id": MISSING},
        "fk_completions_user_id_users",
        "fk",
    ),
    # Unknown states and impossible people.
    Case(
        "assessment status 'approved'",
        Assessment,
        _assessment,
        {"status": "approved"},
        "ck_assessments_status",
    ),
    Case("goal status 'hacked'", PlanGoal, _goal, {"status": "hacked"}, "ck_plan_goals_status"),
    Case(
        "learning request status 'closed'",
        LearningRequest,
        _request,
        {"status": "closed"},
        "ck_learning_requests_status",
    ),
    Case("booking status 'vip'", Booking, _waitlisted, {"status": "vip"}, "ck_bookings_status"),
    Case(
        "enrolment status 'passed'",
        Enrolment,
        _enrolment,
        {"status": "passed", "activity_id": "other"},
        "ck_enrolments_status",
    ),
    Case("permissions 99", User, _user, {"permissions": 99}, "ck_users_permissions"),
    Case("session version 0", User, _user, {"session_version": 0}, "ck_users_session_version"),
    Case("own manager", User, _user, {"own_manager": True}, "ck_users_not_own_manager"),
    Case("weight 0", ActivityCompetence, _weight, {"weight": 0}, "ck_activity_competences_weight"),
    Case(
        "weight 1.5", ActivityCompetence, _weight, {"weight": 1.5}, "ck_activity_competences_weight"
    ),
    Case("mail attempts -1", OutboxEmail, _mail, {"attempts": -1}, "ck_outbox_emails_attempts"),
]


def _resolve(session: Session, w: World, values: Values) -> Values:
    """Placeholders a static case cannot know: another activity, the person, times, ids."""
    resolved = dict(values)
    if resolved.get("activity_id") == "other":
        resolved["activity_id"] = _activity_row(session, w)
    if resolved.get("user_id") == "person":
        resolved["user_id"] = w.person.id
    if resolved.get("ends_at") == "before start":
        resolved["ends_at"] = resolved["starts_at"] - timedelta(minutes=1)
    if resolved.pop("own_manager", False):
        resolved["id"] = resolved["manager_id"] = MISSING
    return resolved


def _activity_row(session: Session, w: World) -> int:
    result = session.execute(insert(Activity).values(**_activity(session, w)))
    return int(result.inserted_primary_key[0])


def _insert(session: Session, model: Any, values: Values) -> None:
    session.execute(insert(model).values(**values))


def refusal_text(case: Case, backend: str) -> str:
    """What the backend's error says when `case.constraint` refuses a row."""
    if backend == "postgres":
        return case.constraint
    if case.kind == "check":
        return f"CHECK constraint failed: {case.constraint}"
    if case.kind == "unique":
        return "UNIQUE constraint failed"
    return "FOREIGN KEY constraint failed"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_database_refuses_the_impossible_insert(
    session: Session, world: World, backend: str, case: Case
) -> None:
    valid = case.valid(session, world)
    if case.bad is None:  # a duplicate: the first copy goes in and stays
        _insert(session, case.model, valid)
        impossible = valid
    else:
        with session.begin_nested() as attempt:  # the valid row goes in, then away again
            _insert(session, case.model, _resolve(session, world, valid))
            attempt.rollback()
        impossible = {**valid, **case.bad}
    with pytest.raises(IntegrityError) as refused, session.begin_nested():
        _insert(session, case.model, _resolve(session, world, impossible))
    assert refusal_text(case, backend) in str(refused.value.orig)


def test_every_case_names_a_constraint_the_schema_has() -> None:
    """A case naming a constraint that does not exist could only pass by accident."""
    names = {
        constraint.name
        for table in Base.metadata.tables.values()
        for constraint in table.constraints
    }
    assert sorted(case.constraint for case in CASES if case.constraint not in names) == []
    assert len(CASES) >= 50
