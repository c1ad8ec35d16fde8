"""The data of bench_security.py on top of bench/esf_data.py, written with Core bulk inserts:

heavy person  one person ("Anna-Karin Bergström") with a large footprint: --heavy-completions
              (2,000) completions in the programme's period, feedback on a tenth, 300
              enrolments and 300 bookings, 500 notifications, 20 assessments of 14
              ratings (one per round), 10 development plans with goals and activities,
              learning requests, external learning, audit events and sent mails; others'
              notifications, mails and audit details that mention her name or address
old records   one row set per retention class, all past its retention on 2026-11: --old-
              completions (50,000) dated 2010–2015 (outside any programme) with feedback,
              --old-logs (5,000) each of audit events and notifications from 2022 plus a
              fifth as many sent mails and job runs, three assessment rounds closed in
              2020–2022 with --old-assessments (600) people each, 10 ratings apiece, a
              third of them with an ended development plan, and old learning requests
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import esf_data
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment.models import (
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    GoalActivity,
    LearningRequest,
    PlanGoal,
    Rating,
)
from lms.catalog.models import Activity, SessionSeat
from lms.catalog.models import ActivitySession as CourseSession
from lms.core.audit import AuditEvent
from lms.core.jobs_models import JobRun
from lms.core.outbox import OutboxEmail
from lms.core.passwords import hash_password
from lms.framework.models import Competence
from lms.notify.models import Notification
from lms.progress.models import Booking, Completion, Enrolment, ExternalLearning, Feedback

HEAVY_NAME = "Anna-Karin Bergström"
HEAVY_EMAIL = "anna-karin.bergstrom@kommun.example.se"
PASSWORD = "bench-password-123"
HEAVY_ROUNDS, RATINGS_PER_ASSESSMENT, HEAVY_PLANS = 20, 14, 10
OLD_ROUNDS, OLD_RATINGS = 3, 10


@dataclass
class Sizes:
    heavy_completions: int = 2_000
    heavy_bookings: int = 300
    heavy_notifications: int = 500
    old_completions: int = 50_000
    old_logs: int = 5_000
    old_assessments: int = 600


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def build_heavy(session: Session, made: esf_data.Generated, sizes: Sizes) -> int:
    """The heavy person (people[0]) and everything about them; returns their user id."""
    rng = random.Random(11)
    person = made.people[0]
    manager = made.people[1].user_id
    session.execute(
        update(User)
        .where(User.id == person.user_id)
        .values(name=HEAVY_NAME, email=HEAVY_EMAIL, password_hash=hash_password(PASSWORD),
                manager_id=manager)
    )  # fmt: skip
    _heavy_completions(session, rng, made, person, sizes.heavy_completions)
    _heavy_enrolments_and_bookings(session, made, person.user_id, sizes.heavy_bookings)
    _heavy_messages(session, person.user_id, manager, sizes.heavy_notifications)
    _heavy_assessments(session, person, manager)
    session.commit()
    return person.user_id


def _heavy_completions(
    session: Session, rng: random.Random, made: esf_data.Generated, person: esf_data.Person,
    count: int,
) -> None:  # fmt: skip
    days = (date(2026, 3, 31) - date(2023, 9, 1)).days
    rows = []
    for n in range(count):
        activity, _fmt, minutes = made.activities[n % len(made.activities)]
        day = date(2023, 9, 1) + timedelta(days=rng.randrange(days))
        rows.append({
            "user_id": person.user_id, "activity_id": activity, "occurrence_key": f"heavy:{n}",
            "title": f"Aktivitet {activity}", "completed_at": esf_data.noon(day),
            "completed_on": day, "credited_minutes": minutes, "source": "catalogue",
            "department_id": person.department_id, "organisation_id": person.organisation_id,
            "is_pre_task_missing": False, "created_at": esf_data.utcnow(),
        })  # fmt: skip
    insert_completions(session, rows)
    ids = session.scalars(
        select(Completion.id).where(Completion.occurrence_key.like("heavy:%"))
    ).all()
    _feedback(session, ids[::10], "Bra kurs, jag använder det redan.")
    session.execute(insert(ExternalLearning.__table__), [
        {"user_id": person.user_id, "title": f"Konferens {n}", "learned_on": date(2025, 3, 1),
         "minutes": 120, "description": f"{HEAVY_NAME} deltog.", "status": "approved",
         "completion_id": ids[n], "created_at": esf_data.utcnow()}
        for n in range(20)
    ])  # fmt: skip


def insert_completions(session: Session, rows: Iterable[dict[str, Any]]) -> int:
    """Core rows into completions (COPY on PostgreSQL), as esf_data writes them."""
    if session.get_bind().dialect.name == "postgresql":
        return esf_data._copy(session, iter(rows))
    total = 0
    for batch in esf_data._chunks(rows):
        session.execute(insert(Completion.__table__), batch)
        total += len(batch)
    return total


def _feedback(session: Session, completion_ids: Iterable[int], comment: str) -> None:
    rows = [{"completion_id": cid, "rating": 4, "comment": comment, "will_apply": True,
             "created_at": esf_data.utcnow()} for cid in completion_ids]  # fmt: skip
    for batch in esf_data._chunks(rows):
        session.execute(insert(Feedback.__table__), batch)


def _heavy_enrolments_and_bookings(
    session: Session, made: esf_data.Generated, user_id: int, count: int
) -> None:
    now = esf_data.utcnow()
    activities = [a for a, _f, _m in made.activities][:count]
    session.execute(insert(Enrolment.__table__), [
        {"user_id": user_id, "activity_id": a, "status": "completed", "enrolled_at": now,
         "started_at": now, "completed_at": now}
        for a in activities
    ])  # fmt: skip
    starts = [at(date(2024, 1, 8) + timedelta(days=2 * n), 9) for n in range(count)]
    session.execute(insert(CourseSession.__table__), [
        {"activity_id": activities[n % len(activities)], "starts_at": s,
         "ends_at": s + timedelta(hours=2), "place": "Stadshuset", "capacity": 1}
        for n, s in enumerate(starts)
    ])  # fmt: skip
    session_ids = session.scalars(
        select(CourseSession.id).where(CourseSession.starts_at.in_(starts))
    ).all()
    session.execute(
        insert(SessionSeat.__table__), [{"session_id": s, "seat": 1} for s in session_ids]
    )
    session.execute(insert(Booking.__table__), [
        {"session_id": s, "user_id": user_id, "status": "booked", "seat": 1,
         "attendance": "attended", "is_walk_in": False, "created_at": now}
        for s in session_ids
    ])  # fmt: skip


def _heavy_messages(session: Session, user_id: int, manager: int, count: int) -> None:
    now = esf_data.utcnow()
    session.execute(insert(Notification.__table__), [
        {"user_id": user_id, "kind": "reminder", "title": f"Påminnelse {n}",
         "body": "Ditt pass börjar snart.", "is_essential": False, "is_digest_pending": False,
         "created_at": now}
        for n in range(count)
    ] + [
        {"user_id": manager, "kind": "external_reported", "title": f"{HEAVY_NAME} rapporterade",
         "body": f"{HEAVY_NAME} ({HEAVY_EMAIL}) rapporterade en konferens.",
         "is_essential": False, "is_digest_pending": False, "created_at": now}
        for _ in range(50)
    ])  # fmt: skip
    session.execute(insert(OutboxEmail.__table__), [
        {"to_address": HEAVY_EMAIL, "subject": "Påminnelse", "body_text": f"Hej {HEAVY_NAME}!",
         "language": "sv", "kind": "reminder", "status": "sent", "attempts": 1,
         "next_attempt_at": now, "user_id": user_id, "created_at": now, "sent_at": now}
        for _ in range(100)
    ])  # fmt: skip
    session.execute(insert(AuditEvent.__table__), [
        {"occurred_at": now, "actor_id": user_id, "action": "booking.created",
         "object_type": "booking", "object_id": str(n),
         "details": json.dumps({"by": HEAVY_EMAIL, "name": HEAVY_NAME}, ensure_ascii=False)}
        for n in range(200)
    ])  # fmt: skip


def _competences(session: Session, count: int) -> list[int]:
    return list(session.scalars(select(Competence.id).order_by(Competence.id).limit(count)))


def _heavy_assessments(session: Session, person: esf_data.Person, manager: int) -> None:
    now = esf_data.utcnow()
    competences = _competences(session, RATINGS_PER_ASSESSMENT)
    rounds = _rounds(session, "Kartläggning", date(2024, 1, 1), HEAVY_ROUNDS, 30)
    session.execute(insert(Assessment.__table__), [
        {"round_id": r, "user_id": person.user_id, "status": "reviewed",
         "department_id": person.department_id, "created_at": now, "updated_at": now,
         "submitted_at": now, "reviewed_at": now, "reviewed_by_id": manager,
         "conversation_notes": f"Samtal med {HEAVY_NAME} om Teams.", "follow_up_notes": ""}
        for r in rounds
    ])  # fmt: skip
    assessments = session.scalars(
        select(Assessment.id).where(Assessment.user_id == person.user_id).order_by(Assessment.id)
    ).all()
    _ratings(session, assessments, competences, manager, "Vill lära mig mer.")
    _plans(session, assessments[:HEAVY_PLANS], person.user_id, competences, now, date(2027, 6, 1))
    session.execute(insert(LearningRequest.__table__), [
        {"user_id": person.user_id, "competence_id": competences[n % len(competences)],
         "department_id": person.department_id, "text": "En kurs i Excel, tack.",
         "status": "open", "created_at": now}
        for n in range(20)
    ])  # fmt: skip


def _rounds(session: Session, name: str, first: date, count: int, every: int) -> list[int]:
    rows = [
        {"name": f"{name} {n + 1}", "opens_on": first + timedelta(days=every * n),
         "closes_on": first + timedelta(days=every * n + 28), "created_at": esf_data.utcnow()}
        for n in range(count)
    ]  # fmt: skip
    session.execute(insert(AssessmentRound.__table__), rows)
    return list(session.scalars(
        select(AssessmentRound.id).where(AssessmentRound.name.like(f"{name} %"))
    ))  # fmt: skip


def _ratings(
    session: Session, assessments: Iterable[int], competences: list[int], agreed_by: int | None,
    comment: str,
) -> None:  # fmt: skip
    now = esf_data.utcnow()
    rows = (
        {"assessment_id": a, "competence_id": c, "self_level": 1 + (a + c) % 5,
         "motivation": 1 + (a * c) % 5, "comment": comment, "agreed_level": 1 + (a + c) % 5,
         "agreed_by_id": agreed_by, "agreed_at": now, "updated_at": now}
        for a in assessments for c in competences
    )  # fmt: skip
    for batch in esf_data._chunks(rows):
        session.execute(insert(Rating.__table__), batch)


def _plans(
    session: Session, assessments: list[int], user_of: Any, competences: list[int],
    changed: datetime, due: date,
) -> None:  # fmt: skip
    """A plan per assessment with three goals of two activities each; `user_of` is a user id
    or a mapping assessment id → user id."""
    owner = user_of if isinstance(user_of, dict) else dict.fromkeys(assessments, user_of)
    rows = [{"assessment_id": a, "user_id": owner[a], "created_at": changed,
             "updated_at": changed} for a in assessments]  # fmt: skip
    for batch in esf_data._chunks(rows):
        session.execute(insert(DevelopmentPlan.__table__), batch)
    plans = _ids_in(session, DevelopmentPlan.id, DevelopmentPlan.assessment_id, assessments)
    goals = [{"plan_id": p, "competence_id": c, "target_level": 4, "due_on": due,
              "status": "planned", "note": "Öva varje vecka.", "position": n, "created_at": changed}
             for p in plans for n, c in enumerate(competences[:3])]  # fmt: skip
    for batch in esf_data._chunks(goals):
        session.execute(insert(PlanGoal.__table__), batch)
    goal_ids = _ids_in(session, PlanGoal.id, PlanGoal.plan_id, plans)
    chosen = session.scalars(select(Activity.id).order_by(Activity.id).limit(2)).all()
    links = [{"goal_id": g, "activity_id": a, "position": n}
             for g in goal_ids for n, a in enumerate(chosen)]  # fmt: skip
    for batch in esf_data._chunks(links):
        session.execute(insert(GoalActivity.__table__), batch)


def _ids_in(session: Session, key: Any, column: Any, values: list[int]) -> list[int]:
    found: list[int] = []
    for start in range(0, len(values), 500):
        found += session.scalars(select(key).where(column.in_(values[start : start + 500])))
    return sorted(found)


def build_old(session: Session, made: esf_data.Generated, sizes: Sizes) -> None:
    """Records past their retention in every class (see the module docstring); commits."""
    rng = random.Random(12)
    insert_completions(session, _old_completion_rows(rng, made, sizes.old_completions))
    old_ids = session.scalars(
        select(Completion.id).where(Completion.occurrence_key.like("old:%"))
    ).all()
    _feedback(session, old_ids[::20], "Gammal kommentar.")
    _old_logs(session, made, sizes.old_logs)
    _old_assessments(session, made, sizes.old_assessments)
    session.commit()


def _old_completion_rows(
    rng: random.Random, made: esf_data.Generated, count: int
) -> Iterator[dict[str, Any]]:
    first, days = date(2010, 1, 1), (date(2015, 12, 31) - date(2010, 1, 1)).days
    for n in range(count):
        who = made.people[1 + rng.randrange(len(made.people) - 1)]
        activity, _fmt, minutes = rng.choice(made.activities)
        day = first + timedelta(days=rng.randrange(days))
        yield {
            "user_id": who.user_id, "activity_id": activity, "occurrence_key": f"old:{n}",
            "title": f"Aktivitet {activity}", "completed_at": esf_data.noon(day),
            "completed_on": day, "credited_minutes": minutes, "source": "catalogue",
            "department_id": who.department_id, "organisation_id": who.organisation_id,
            "is_pre_task_missing": False, "created_at": esf_data.noon(day),
        }  # fmt: skip


def _old_logs(session: Session, made: esf_data.Generated, count: int) -> None:
    then = at(date(2022, 5, 2))
    users = [p.user_id for p in made.people[1:]]
    tables: list[tuple[Any, list[dict[str, Any]]]] = [
        (AuditEvent, [{"occurred_at": then, "actor_id": users[n % len(users)],
                       "action": "completion.recorded", "object_type": "completion",
                       "object_id": str(n), "details": "{}"} for n in range(count)]),
        (Notification, [{"user_id": users[n % len(users)], "kind": "reminder",
                         "title": "Påminnelse", "body": "", "is_essential": False,
                         "is_digest_pending": False, "created_at": then, "read_at": then}
                        for n in range(count)]),
        (OutboxEmail, [{"to_address": f"gammal{n}@kommun.example.se", "subject": "Påminnelse",
                        "body_text": "Hej!", "language": "sv", "kind": "reminder",
                        "status": "sent", "attempts": 1, "next_attempt_at": then,
                        "created_at": then, "sent_at": then} for n in range(count // 5)]),
        (JobRun, [{"job_name": "send_outbox", "run_key": f"old-{n}", "status": "succeeded",
                   "worker": "bench", "started_at": then, "finished_at": then, "result": {}}
                  for n in range(count // 5)]),
    ]  # fmt: skip
    for model, rows in tables:
        for batch in esf_data._chunks(rows):
            session.execute(insert(model.__table__), batch)


def _old_assessments(session: Session, made: esf_data.Generated, per_round: int) -> None:
    long_ago = at(date(2021, 6, 1))
    competences = _competences(session, OLD_RATINGS)
    rounds = _rounds(session, "Gammal kartläggning", date(2020, 3, 1), OLD_ROUNDS, 365)
    people = made.people[1 : 1 + per_round]
    rows = [{"round_id": r, "user_id": p.user_id, "status": "reviewed",
             "department_id": p.department_id, "created_at": long_ago, "updated_at": long_ago,
             "conversation_notes": "", "follow_up_notes": ""}
            for r in rounds for p in people]  # fmt: skip
    for batch in esf_data._chunks(rows):
        session.execute(insert(Assessment.__table__), batch)
    found = session.execute(
        select(Assessment.id, Assessment.user_id).where(Assessment.round_id.in_(rounds))
    )
    owners = {assessment: user for assessment, user in found}
    ids = sorted(owners)
    _ratings(session, ids, competences, None, "")
    _plans(session, ids[::3], owners, competences, long_ago, date(2021, 12, 31))
    session.execute(insert(LearningRequest.__table__), [
        {"user_id": p.user_id, "competence_id": competences[0], "text": "Gammal önskan.",
         "status": "answered", "created_at": long_ago}
        for p in people[:200]
    ])  # fmt: skip
