"""A person with at least one row in every table that refers to a user (directly or as a child
of their own rows), written directly as rows so a new table needs one line here.

    world = shared_world(session)
    leave_footprint(session, person, world, tag="P1")   # every text holds the tag
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from lms.accounts.models import AuthToken, User
from lms.assessment.models import (
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    GoalActivity,
    LearningRequest,
    PlanGoal,
    Rating,
)
from lms.catalog.models import (
    Activity,
    ActivityRevision,
    ActivitySession,
    Lesson,
    SavedActivity,
    ThemeMonth,
    Upload,
    activity_owners,
)
from lms.core.audit import record_event
from lms.core.outbox import enqueue_email
from lms.core.time import utcnow
from lms.framework.models import Competence
from lms.home.models import AccessibilityReport
from lms.notify.models import Notification, NotificationPreference
from lms.progress.models import (
    Booking,
    CalendarFeed,
    Completion,
    Enrolment,
    ExternalLearning,
    Feedback,
    LessonProgress,
    QuizAttempt,
)
from lms.recommend.models import NotInterested, Recommendation, RecommendationState
from lms.reports.models import Programme, ProgrammeParticipant
from lms.transfer.models import TaskResponse, TransferTask
from tests.catalog import factories as catalog

_seq = count(1)


@dataclass
class World:
    """Objects everybody's rows point at."""

    activity: Activity
    lesson: Lesson
    occurrence: ActivitySession
    task: TransferTask
    competence: Competence
    programme: Programme


def shared_world(session: Session) -> World:
    fw = catalog.framework(session)
    activity = catalog.activity(session, title="Delad kurs", format="elearning")
    lesson = catalog.lesson(session, activity, title="Lektion", slug=f"lektion-{next(_seq)}")
    occurrence = catalog.session_of(session, activity)
    task = catalog.pre_task(session, activity, "Förberedelse")
    programme = Programme(
        slug=f"fotavtryck-{next(_seq)}",
        name="Fotavtryck",
        starts_on=date(2024, 1, 1),
        ends_on=date(2024, 12, 31),
    )
    session.add(programme)
    session.flush()
    return World(activity, lesson, occurrence, task, fw.competences["4.1"], programme)


@dataclass
class Footprint:
    """The rows made for one person (by table)."""

    rows: dict[str, Any]


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


# One row per person at most (the person is the primary key or a unique key on its own).
SINGLE = frozenset({"users", "calendar_feeds", "notification_preferences", "recommendation_states"})


def _merge(session: Session, row: Any) -> Any:
    # The person may have this one row already (a completion marks recommendations stale).
    merged = session.merge(row)
    session.flush()
    return merged


def leave_footprint(
    session: Session, person: User, world: World, tag: str, *, again: bool = False
) -> Footprint:
    """At least one row in every table of `BUILDERS` for `person`; texts carry `tag`.
    `again`: more rows for someone who has a footprint (a fresh `world` each time)."""
    made: dict[str, Any] = {"users": person}
    for table, build in BUILDERS.items():
        if not (again and table in SINGLE):
            made[table] = build(session, person, world, tag, made)
    return Footprint(made)


Builder = Callable[[Session, User, World, str, dict[str, Any]], Any]


def _users(s: Session, p: User, w: World, tag: str, made: dict[str, Any]) -> Any:
    return p


def _completion(s: Session, p: User, w: World, tag: str, made: dict[str, Any]) -> Any:
    return _add(
        s,
        Completion(
            user_id=p.id,
            activity_id=w.activity.id,
            occurrence_key=f"footprint:{next(_seq)}",
            title=f"{tag} kurs",
            completed_at=utcnow(),
            credited_minutes=30,
            source="catalogue",
            department_id=p.department_id,
            organisation_id=p.organisation_id,
        ),
    )


def _round(s: Session, p: User, w: World, tag: str, made: dict[str, Any]) -> Any:
    today = date.today()
    return _add(
        s,
        AssessmentRound(
            name=f"{tag} runda {next(_seq)}",
            opens_on=today,
            closes_on=today + timedelta(days=30),
            created_by_id=p.id,
        ),
    )


def _assessment(s: Session, p: User, w: World, tag: str, made: dict[str, Any]) -> Any:
    return _add(
        s,
        Assessment(
            round_id=made["assessment_rounds"].id,
            user_id=p.id,
            conversation_notes=f"{tag} samtalsanteckning",
            follow_up_notes=f"{tag} uppföljning",
        ),
    )


def _plan(s: Session, p: User, w: World, tag: str, made: dict[str, Any]) -> Any:
    return _add(s, DevelopmentPlan(assessment_id=made["assessments"].id, user_id=p.id))


def _goal(s: Session, p: User, w: World, tag: str, made: dict[str, Any]) -> Any:
    return _add(
        s,
        PlanGoal(
            plan_id=made["development_plans"].id,
            competence_id=w.competence.id,
            target_level=3,
            note=f"{tag} mål",
        ),
    )


def _insert(table: Any, **values: Any) -> Builder:
    def build(s: Session, p: User, w: World, tag: str, made: dict[str, Any]) -> Any:
        resolved = {k: v(p, w, tag, made) if callable(v) else v for k, v in values.items()}
        s.execute(insert(table).values(**resolved))
        return resolved

    return build


BUILDERS: dict[str, Builder] = {
    "users": _users,
    "completions": _completion,
    "assessment_rounds": _round,
    "assessments": _assessment,
    "ratings": lambda s, p, w, tag, made: _add(
        s,
        Rating(
            assessment_id=made["assessments"].id,
            competence_id=w.competence.id,
            self_level=2,
            comment=f"{tag} kommentar",
        ),
    ),
    "development_plans": _plan,
    "plan_goals": _goal,
    "goal_activities": lambda s, p, w, tag, made: _add(
        s, GoalActivity(goal_id=made["plan_goals"].id, activity_id=w.activity.id)
    ),
    "learning_requests": lambda s, p, w, tag, made: _add(
        s, LearningRequest(user_id=p.id, competence_id=w.competence.id, text=f"{tag} önskemål")
    ),
    "feedback": lambda s, p, w, tag, made: _add(
        s, Feedback(completion_id=made["completions"].id, rating=4, comment=f"{tag} återkoppling")
    ),
    "external_learning": lambda s, p, w, tag, made: _add(
        s,
        ExternalLearning(
            user_id=p.id,
            title=f"{tag} konferens",
            learned_on=date.today(),
            minutes=60,
            description=f"{tag} beskrivning",
        ),
    ),
    "task_responses": lambda s, p, w, tag, made: _add(
        s,
        TaskResponse(
            task_id=w.task.id,
            user_id=p.id,
            scope=f"activity:{w.activity.id}",
            text=f"{tag} reflektion",
            manager_note=f"{tag} chefsnotering",
        ),
    ),
    "enrolments": lambda s, p, w, tag, made: _add(
        s, Enrolment(user_id=p.id, activity_id=w.activity.id)
    ),
    "lesson_progress": lambda s, p, w, tag, made: _add(
        s, LessonProgress(user_id=p.id, lesson_id=w.lesson.id)
    ),
    "quiz_attempts": lambda s, p, w, tag, made: _add(
        s,
        QuizAttempt(
            user_id=p.id, activity_id=w.activity.id, score=0.5, is_passed=False, answers={"q": tag}
        ),
    ),
    "bookings": lambda s, p, w, tag, made: _add(
        s, Booking(session_id=w.occurrence.id, user_id=p.id, status="waitlisted")
    ),
    "calendar_feeds": lambda s, p, w, tag, made: _merge(
        s, CalendarFeed(user_id=p.id, token=secrets.token_urlsafe(32))
    ),
    "saved_activities": lambda s, p, w, tag, made: _add(
        s, SavedActivity(user_id=p.id, activity_id=w.activity.id)
    ),
    "not_interested": lambda s, p, w, tag, made: _add(
        s, NotInterested(user_id=p.id, activity_id=w.activity.id)
    ),
    "recommendations": lambda s, p, w, tag, made: _add(
        s,
        Recommendation(
            user_id=p.id, activity_id=w.activity.id, position=1, score=0.9, reasons=[tag]
        ),
    ),
    "recommendation_states": lambda s, p, w, tag, made: _merge(
        s, RecommendationState(user_id=p.id, stale_since=utcnow())
    ),
    "notifications": lambda s, p, w, tag, made: _add(
        s, Notification(user_id=p.id, kind="footprint", title=f"{tag} avisering", body=tag)
    ),
    "notification_preferences": lambda s, p, w, tag, made: _merge(
        s, NotificationPreference(user_id=p.id)
    ),
    "outbox_emails": lambda s, p, w, tag, made: enqueue_email(
        s, to=p.email, subject=f"{tag} ämne", body_text=f"Hej {p.name}", kind="x", user_id=p.id
    ),
    "auth_tokens": lambda s, p, w, tag, made: _add(
        s,
        AuthToken(
            user_id=p.id,
            purpose="reset",
            token_hash=secrets.token_hex(32),
            expires_at=utcnow() + timedelta(hours=2),
        ),
    ),
    "accessibility_reports": lambda s, p, w, tag, made: _add(
        s,
        AccessibilityReport(
            page_url="/katalog", description=f"{tag} fel", contact_email=p.email, user_id=p.id
        ),
    ),
    "activity_owners": _insert(
        activity_owners, activity_id=lambda p, w, t, m: w.activity.id, user_id=lambda p, *a: p.id
    ),
    "activity_revisions": lambda s, p, w, tag, made: _add(
        s,
        ActivityRevision(
            activity_id=w.activity.id, number=1000 + next(_seq), title=f"{tag} rev", author_id=p.id
        ),
    ),
    "uploads": lambda s, p, w, tag, made: _add(
        s,
        Upload(
            name=f"{secrets.token_hex(8)}.png",
            original_name=f"{tag}.png",
            content_type="image/png",
            size_bytes=10,
            sha256=secrets.token_hex(32),
            uploaded_by_id=p.id,
        ),
    ),
    "theme_months": lambda s, p, w, tag, made: _add(
        s,
        ThemeMonth(
            year=2030, month=1, slug=f"tema-{next(_seq)}", title=f"{tag} tema", created_by_id=p.id
        ),
    ),
    "programme_participants": lambda s, p, w, tag, made: _add(
        s,
        ProgrammeParticipant(
            programme_id=w.programme.id,
            user_id=p.id,
            organisation_key=p.organisation_id,
            department_key=p.department_id or 0,
            minutes=30,
            completions=1,
            first_on=date(2024, 3, 1),
        ),
    ),
    "audit_events": lambda s, p, w, tag, made: record_event(
        s, actor_id=p.id, action="footprint", object_type="user", object_id=p.id, note=tag
    ),
}
