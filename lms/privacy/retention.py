"""Retention per record class: what is kept how long, a dry-run plan of what would go, and
applying exactly that plan (storage limitation, GDPR art. 5(1)(e)).

Four classes, each with its own number of days in the settings (0 = keep forever):

- assessments: an assessment with its ratings, counted from the day its round closed; an
  assessment whose development plan is still kept stays with it (the plan belongs to it);
- plans: a development plan with its goals and chosen activities, counted from the day the
  plan ended (the latest goal due date or its last change, whichever is later), and learning
  requests counted from when they were made;
- completions: a completion with its feedback and the external-learning report it came from,
  counted from its date, but never one dated within a programme whose period ended less than
  the retention ago (the funder's report must stay as submitted); programmes whose built
  summaries counted a deleted completion are rebuilt in the same transaction;
- logs: audit events, job runs, sent or failed mails and in-app notifications.

`plan_retention` only reads; `apply_retention` deletes the rows the plan names and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, func, select
from sqlalchemy.orm import Session

from lms.assessment.models import (
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    GoalActivity,
    LearningRequest,
    PlanGoal,
    Rating,
)
from lms.core.audit import AuditEvent
from lms.core.jobs import JobContext
from lms.core.jobs_models import JobRun
from lms.core.outbox import MailStatus, OutboxEmail
from lms.core.time import local_date, start_of_local_day
from lms.notify.models import Notification
from lms.progress.models import Completion, ExternalLearning, Feedback
from lms.reports.esf_summary import rebuild_programme
from lms.reports.models import Programme
from lms.transfer.models import TaskResponse

CLASSES = ("assessments", "plans", "completions", "logs")
# Plans go before assessments: deleting an assessment would take its plan along (FK cascade),
# and every row must be deleted by the class that counted it.
_DELETE_ORDER = ("plans", "assessments", "completions", "logs")
_CHUNK = 500  # ids per IN (…) list, well below every backend's bound-parameter limit


@dataclass(frozen=True)
class RetentionRules:
    """Days each record class is kept after its reference date; 0 keeps it forever."""

    assessments_days: int
    plans_days: int
    completions_days: int
    logs_days: int

    @classmethod
    def from_settings(cls, settings: Any) -> RetentionRules:
        return cls(
            assessments_days=settings.retention_assessments_days,
            plans_days=settings.retention_plans_days,
            completions_days=settings.retention_completions_days,
            logs_days=settings.retention_logs_days,
        )

    def days(self, record_class: str) -> int:
        return int(getattr(self, f"{record_class}_days"))


@dataclass(frozen=True)
class Doomed:
    """Rows of one table that the plan deletes, with the span of their reference dates."""

    table: str
    ids: tuple[int, ...]
    oldest: date | None = None
    newest: date | None = None

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class ClassPlan:
    """One record class: its rule, the last reference date that is deleted, and the rows."""

    record_class: str
    days: int
    last_deleted_day: date | None  # None: kept forever
    tables: tuple[Doomed, ...]

    @property
    def count(self) -> int:
        return sum(doomed.count for doomed in self.tables)


@dataclass(frozen=True)
class RetentionPlan:
    today: date
    classes: tuple[ClassPlan, ...]

    def of(self, record_class: str) -> ClassPlan:
        return next(plan for plan in self.classes if plan.record_class == record_class)

    def counts(self) -> dict[str, int]:
        return {
            f"{doomed.table}_deleted": doomed.count
            for plan in self.classes
            for doomed in plan.tables
        }


def last_deleted_day(today: date, days: int) -> date | None:
    """The latest reference date that is past a retention of `days` on `today`: a record
    whose day lies `days` days back is still kept; one day earlier it goes."""
    return None if days <= 0 else today - timedelta(days=days + 1)


def plan_retention(session: Session, rules: RetentionRules, now: datetime) -> RetentionPlan:
    """What retention would delete now, per class (reads only: the dry run)."""
    today = local_date(now)
    planners = {
        "assessments": _plan_assessments,
        "plans": _plan_plans,
        "completions": _plan_completions,
        "logs": _plan_logs,
    }
    classes = []
    for record_class in CLASSES:
        days = rules.days(record_class)
        last = last_deleted_day(today, days)
        tables = () if last is None else planners[record_class](session, last, rules, today)
        classes.append(ClassPlan(record_class, days, last, tuple(tables)))
    return RetentionPlan(today, tuple(classes))


def apply_retention(session: Session, plan: RetentionPlan) -> dict[str, int]:
    """Delete exactly the rows the plan names, children first, and rebuild the built summaries
    of the programmes whose completions went. Flushes; the caller commits."""
    deleted: dict[str, int] = {}
    rebuild = _programmes_to_rebuild(session, plan.of("completions"))
    for record_class in _DELETE_ORDER:
        for doomed in plan.of(record_class).tables:
            deleted[f"{doomed.table}_deleted"] = _delete_rows(session, doomed)
    session.flush()
    for programme in rebuild:
        rebuild_programme(session, programme)
    deleted["programmes_rebuilt"] = len(rebuild)
    return deleted


def apply_retention_job(ctx: JobContext) -> dict[str, int]:
    """The nightly job: plan with the configured rules and apply the plan."""
    rules = RetentionRules.from_settings(ctx.settings)
    return apply_retention(ctx.session, plan_retention(ctx.session, rules, ctx.now))


# --- assessments and plans -----------------------------------------------------------------


def _plan_ends(session: Session) -> dict[int, tuple[int, date]]:
    """plan id → (assessment id, the day the plan ended)."""
    latest_due = (
        select(PlanGoal.plan_id, func.max(PlanGoal.due_on).label("due"))
        .group_by(PlanGoal.plan_id)
        .subquery()
    )
    rows = session.execute(
        select(DevelopmentPlan.id, DevelopmentPlan.assessment_id, DevelopmentPlan.updated_at,
               latest_due.c.due)
        .outerjoin(latest_due, latest_due.c.plan_id == DevelopmentPlan.id)
    )  # fmt: skip
    ends = {}
    for plan_id, assessment_id, updated_at, due in rows:
        changed = local_date(updated_at)
        ends[plan_id] = (assessment_id, max(changed, due) if due is not None else changed)
    return ends


def _expired_plans(
    ends: dict[int, tuple[int, date]], rules: RetentionRules, today: date
) -> dict[int, date]:
    last = last_deleted_day(today, rules.plans_days)
    if last is None:
        return {}
    return {plan_id: end for plan_id, (_, end) in ends.items() if end <= last}


def _plan_assessments(
    session: Session, last: date, rules: RetentionRules, today: date
) -> list[Doomed]:
    ends = _plan_ends(session)
    expired_plans = _expired_plans(ends, rules, today)
    kept_with_plan = {
        assessment_id
        for plan_id, (assessment_id, _) in ends.items()
        if plan_id not in expired_plans
    }
    rows = session.execute(
        select(Assessment.id, AssessmentRound.closes_on)
        .join(AssessmentRound, AssessmentRound.id == Assessment.round_id)
        .where(AssessmentRound.closes_on <= last)
    ).all()
    chosen = [(aid, day) for aid, day in rows if aid not in kept_with_plan]
    ids = tuple(sorted(aid for aid, _ in chosen))
    days = [day for _, day in chosen]
    ratings = _ids_where(session, Rating.id, Rating.assessment_id, ids)
    return [
        Doomed("ratings", ratings, *_span(days)),
        Doomed("assessments", ids, *_span(days)),
    ]


def _plan_plans(session: Session, last: date, rules: RetentionRules, today: date) -> list[Doomed]:
    expired = _expired_plans(_plan_ends(session), rules, today)
    plan_ids = tuple(sorted(expired))
    goal_rows = _rows_where(session, select(PlanGoal.id), PlanGoal.plan_id, plan_ids)
    goal_ids = tuple(sorted(row[0] for row in goal_rows))
    request_rows = session.execute(
        select(LearningRequest.id, LearningRequest.created_at).where(
            LearningRequest.created_at < _start_after(last)
        )
    ).all()
    spans = _span(list(expired.values()))
    return [
        Doomed("goal_activities", _goal_activity_keys(session, goal_ids), *spans),
        Doomed("plan_goals", goal_ids, *spans),
        Doomed("development_plans", plan_ids, *spans),
        Doomed(
            "learning_requests",
            tuple(sorted(row[0] for row in request_rows)),
            *_span([local_date(row[1]) for row in request_rows]),
        ),
    ]


def _goal_activity_keys(session: Session, goal_ids: Sequence[int]) -> tuple[int, ...]:
    # Goal activities have a composite key; they go by goal, so the goal ids stand for them
    # once per row (the count is the number of rows).
    rows = _rows_where(session, select(GoalActivity.goal_id), GoalActivity.goal_id, goal_ids)
    return tuple(sorted(row[0] for row in rows))


# --- completions ---------------------------------------------------------------------------


def _plan_completions(
    session: Session, last: date, rules: RetentionRules, today: date
) -> list[Doomed]:
    still_reported = exists().where(
        Programme.ends_on > last,
        Programme.starts_on <= Completion.completed_on,
        Programme.ends_on >= Completion.completed_on,
    )
    rows = session.execute(
        select(Completion.id, Completion.completed_on).where(
            Completion.completed_on <= last, ~still_reported
        )
    ).all()
    ids = tuple(sorted(row[0] for row in rows))
    spans = _span([row[1] for row in rows])
    feedback = _ids_where(session, Feedback.id, Feedback.completion_id, ids)
    reported = _ids_where(session, ExternalLearning.id, ExternalLearning.completion_id, ids)
    unreported = session.execute(
        select(ExternalLearning.id, ExternalLearning.learned_on).where(
            ExternalLearning.completion_id.is_(None), ExternalLearning.learned_on <= last
        )
    ).all()
    external = tuple(sorted(set(reported) | {row[0] for row in unreported}))
    follow_ups = _ids_where(session, TaskResponse.id, TaskResponse.completion_id, ids)
    return [
        Doomed("feedback", feedback, *spans),
        Doomed("task_responses", follow_ups, *spans),
        Doomed("external_learning", external, *_span([*spans, *(r[1] for r in unreported)])),
        Doomed("completions", ids, *spans),
    ]


def _programmes_to_rebuild(session: Session, plan: ClassPlan) -> list[Programme]:
    doomed = next((d for d in plan.tables if d.table == "completions"), None)
    if doomed is None or doomed.oldest is None or doomed.newest is None:
        return []
    return list(
        session.scalars(
            select(Programme)
            .where(
                Programme.summary_built_at.is_not(None),
                Programme.starts_on <= doomed.newest,
                Programme.ends_on >= doomed.oldest,
            )
            .order_by(Programme.id)
        )
    )


# --- logs ----------------------------------------------------------------------------------


def _plan_logs(session: Session, last: date, rules: RetentionRules, today: date) -> list[Doomed]:
    before = _start_after(last)
    finished = OutboxEmail.status.in_((MailStatus.SENT, MailStatus.FAILED))
    return [
        _doomed_by_time(session, "audit_events", AuditEvent.id, AuditEvent.occurred_at, before),
        _doomed_by_time(session, "job_runs", JobRun.id, JobRun.started_at, before),
        _doomed_by_time(
            session, "outbox_emails", OutboxEmail.id, OutboxEmail.created_at, before, finished
        ),
        _doomed_by_time(session, "notifications", Notification.id, Notification.created_at, before),
    ]


def _doomed_by_time(
    session: Session,
    table: str,
    key: Any,
    moment: Any,
    before: datetime,
    *extra: ColumnElement[bool],
) -> Doomed:
    rows = session.execute(select(key, moment).where(moment < before, *extra)).all()
    return Doomed(
        table, tuple(sorted(row[0] for row in rows)), *_span([local_date(r[1]) for r in rows])
    )


# --- helpers -------------------------------------------------------------------------------


def _start_after(last: date) -> datetime:
    """Midnight (Stockholm) starting the day after `last`: times before it are past."""
    return start_of_local_day(last + timedelta(days=1))


def _span(days: Iterable[date | None]) -> tuple[date | None, date | None]:
    values = [day for day in days if day is not None]
    return (min(values), max(values)) if values else (None, None)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    unique = sorted(set(ids))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


def _rows_where(session: Session, query: Select[Any], column: Any, ids: Sequence[int]) -> list[Any]:
    rows: list[Any] = []
    for chunk in _chunks(ids):
        rows.extend(session.execute(query.where(column.in_(chunk))).all())
    return rows


def _ids_where(session: Session, key: Any, column: Any, ids: Sequence[int]) -> tuple[int, ...]:
    return tuple(sorted(row[0] for row in _rows_where(session, select(key), column, ids)))


_TABLES: dict[str, tuple[Any, Any]] = {
    "ratings": (Rating, Rating.id),
    "assessments": (Assessment, Assessment.id),
    "goal_activities": (GoalActivity, GoalActivity.goal_id),
    "plan_goals": (PlanGoal, PlanGoal.id),
    "development_plans": (DevelopmentPlan, DevelopmentPlan.id),
    "learning_requests": (LearningRequest, LearningRequest.id),
    "feedback": (Feedback, Feedback.id),
    "task_responses": (TaskResponse, TaskResponse.id),
    "external_learning": (ExternalLearning, ExternalLearning.id),
    "completions": (Completion, Completion.id),
    "audit_events": (AuditEvent, AuditEvent.id),
    "job_runs": (JobRun, JobRun.id),
    "outbox_emails": (OutboxEmail, OutboxEmail.id),
    "notifications": (Notification, Notification.id),
}


def _delete_rows(session: Session, doomed: Doomed) -> int:
    model, key = _TABLES[doomed.table]
    total = 0
    for chunk in _chunks(doomed.ids):
        result: Any = session.execute(
            delete(model).where(key.in_(chunk)).execution_options(synchronize_session=False)
        )
        total += result.rowcount
    return total
