"""Reads for the course owner's pages: an activity's tasks and its Transfer of Training report.

Every read here runs a fixed number of queries, whatever the number of tasks or answers.
Completions belong to `lms.progress`, which sits above this package, so their table is
read by name (as in `lms.transfer.figures`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, column, func, or_, select, table
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from lms.accounts.models import User
from lms.catalog.models import Activity
from lms.core.db import UTCDateTime
from lms.transfer.figures import list_transfer_figures
from lms.transfer.models import PRE_SCOPE, ResponseStatus, TaskPhase, TaskResponse, TransferTask
from lms.transfer.rules import TransferFigures

SHARED_LIMIT = 100  # the newest shared answers shown; a shorter period shows older ones

_completions = table("completions", column("id"), column("completed_at", UTCDateTime()))


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; None is open-ended."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class TaskCounts:
    """Answers to one task: accepted, still open (or awaiting the manager), and overdue."""

    done: int = 0
    open: int = 0
    overdue: int = 0


@dataclass
class OwnerReport:
    """Everything the report page shows of one activity over one period.

    `shared` is None when the viewer is not one of the activity's owners: coordinators
    see the counts, never the answers.
    """

    figures: TransferFigures
    tasks: list[TransferTask]
    counts: dict[int, TaskCounts]
    shared: list[TaskResponse] | None = None
    has_more_shared: bool = False
    shared_task_ids: set[int] = field(default_factory=set)

    def tasks_of(self, phase: str) -> list[TransferTask]:
        return [task for task in self.tasks if task.phase == phase]


def is_owner(user: User, activity: Activity) -> bool:
    return any(owner.id == user.id for owner in activity.owners)


def get_activity(session: Session, slug: str) -> Activity | None:
    """The activity with its owners (who may edit it, and who may read shared answers)."""
    stmt = select(Activity).where(Activity.slug == slug).options(selectinload(Activity.owners))
    return session.scalar(stmt)


def get_task(session: Session, activity: Activity, task_id: int) -> TransferTask | None:
    stmt = select(TransferTask).where(
        TransferTask.id == task_id, TransferTask.activity_id == activity.id
    )
    return session.scalar(stmt)


def list_tasks(session: Session, activity: Activity) -> list[TransferTask]:
    """The pre-tasks, then the follow-ups, each in their order."""
    phase_order = case((TransferTask.phase == TaskPhase.PRE, 0), else_=1)
    stmt = (
        select(TransferTask)
        .where(TransferTask.activity_id == activity.id)
        .order_by(phase_order, TransferTask.position, TransferTask.id)
    )
    return list(session.scalars(stmt))


def count_answers(session: Session, activity: Activity) -> dict[int, int]:
    """Task id -> how many responses it has (a task with any cannot be deleted)."""
    stmt = (
        select(TaskResponse.task_id, func.count())
        .join(TransferTask, TransferTask.id == TaskResponse.task_id)
        .where(TransferTask.activity_id == activity.id)
        .group_by(TaskResponse.task_id)
    )
    return {task_id: int(n) for task_id, n in session.execute(stmt)}


def _in_period(moment: Any, period: Period) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if period.start is not None:
        conditions.append(moment >= period.start)
    if period.end is not None:
        conditions.append(moment < period.end)
    return conditions


def list_task_counts(
    session: Session, activity: Activity, *, today: date, period: Period
) -> dict[int, TaskCounts]:
    """Per task: done / open / overdue answers, in one query.

    Follow-ups count by the date of the completion that opened them (as the figures do),
    pre-tasks by the day they were first answered.
    """
    done = TaskResponse.status == ResponseStatus.DONE
    late = and_(~done, TaskResponse.due_on < today)
    pre = and_(TaskResponse.scope == PRE_SCOPE, *_in_period(TaskResponse.created_at, period))
    follow_up = and_(
        TaskResponse.completion_id.is_not(None),
        *_in_period(_completions.c.completed_at, period),
    )
    stmt = (
        select(
            TaskResponse.task_id,
            func.sum(case((done, 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
            func.count(),
        )
        .join(TransferTask, TransferTask.id == TaskResponse.task_id)
        .outerjoin(_completions, _completions.c.id == TaskResponse.completion_id)
        .where(TransferTask.activity_id == activity.id, or_(pre, follow_up))
        .group_by(TaskResponse.task_id)
    )
    counts = {}
    for task_id, n_done, n_late, total in session.execute(stmt):
        n_done, n_late = int(n_done or 0), int(n_late or 0)
        counts[task_id] = TaskCounts(done=n_done, open=int(total) - n_done - n_late, overdue=n_late)
    return counts


def list_shared_responses(
    session: Session, viewer: User, activity: Activity, *, period: Period, limit: int = SHARED_LIMIT
) -> list[TaskResponse] | None:
    """The newest answers to the activity's shared tasks, for its owners only (else None).

    Answers still empty (a follow-up nobody has started) are left out; at most `limit` + 1
    rows are read, so the caller can tell that there are more.
    """
    if not is_owner(viewer, activity):
        return None
    stmt = (
        select(TaskResponse)
        .join(TaskResponse.task)
        .where(
            TransferTask.activity_id == activity.id,
            TransferTask.is_shared_with_owner.is_(True),
            TaskResponse.submitted_at.is_not(None),
            *_in_period(TaskResponse.submitted_at, period),
        )
        .options(contains_eager(TaskResponse.task), joinedload(TaskResponse.user))
        .order_by(TaskResponse.submitted_at.desc(), TaskResponse.id.desc())
        .limit(limit + 1)
    )
    return list(session.scalars(stmt).unique())


def get_owner_report(
    session: Session, viewer: User, activity: Activity, *, today: date, period: Period
) -> OwnerReport:
    """The figures, the per-task counts and (for owners) the shared answers of `activity`."""
    figures = list_transfer_figures(
        session, today=today, start=period.start, end=period.end, activity_ids=[activity.id]
    )
    tasks = list_tasks(session, activity)
    shared = list_shared_responses(session, viewer, activity, period=period)
    has_more = shared is not None and len(shared) > SHARED_LIMIT
    return OwnerReport(
        figures=figures.get(activity.id, TransferFigures()),
        tasks=tasks,
        counts=list_task_counts(session, activity, today=today, period=period),
        shared=shared[:SHARED_LIMIT] if shared is not None else None,
        has_more_shared=has_more,
        shared_task_ids={task.id for task in tasks if task.is_shared_with_owner},
    )
