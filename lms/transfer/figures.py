"""Transfer of Training figures for reports: per activity and period, and per completion.

The database work only loads; the maths is `lms.transfer.rules`. Completions belong to
`lms.progress`, which sits above this package, so their table is read by name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date, datetime

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from lms.catalog.models import ActivitySession
from lms.core.db import UTCDateTime
from lms.core.time import local_date
from lms.transfer import rules
from lms.transfer.models import PRE_SCOPE, ResponseStatus, TaskPhase, TaskResponse, TransferTask

# Completions whose Transfer of Training is followed (imports are history, kept without tasks).
FOLLOWED_SOURCES = ("catalogue", "attendance")

_completions = table(
    "completions",
    column("id"),
    column("user_id"),
    column("activity_id"),
    column("session_id"),
    column("completed_at", UTCDateTime()),
    column("source"),
)


def _follow_up_state(
    is_counted: bool, status: str, due: date, done_at: datetime | None
) -> rules.FollowUpState:
    return rules.FollowUpState(
        is_counted=is_counted,
        is_done=status == ResponseStatus.DONE,
        due_on=due,
        done_on=local_date(done_at) if done_at is not None else None,
    )


def _counted_ids(rows: Iterable[tuple[int, int, bool]]) -> dict[int, set[int]]:
    """activity id -> ids of its counted tasks, from (activity id, task id, required) rows."""
    tasks: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for activity_id, task_id, is_required in rows:
        tasks[activity_id].append((task_id, bool(is_required)))
    return {
        activity_id: set(rules.counted([t for t, _ in items], [r for _, r in items]))
        for activity_id, items in tasks.items()
    }


def list_transfer_figures(
    session: Session,
    *,
    today: date,
    start: datetime | None = None,
    end: datetime | None = None,
    activity_ids: Collection[int] | None = None,
) -> dict[int, rules.TransferFigures]:
    """Figures per activity over the completions in [start, end) (four queries).

    Activities without a followed completion in the period are absent; sum the values
    (`TransferFigures` adds up) for a total.
    """
    c = _completions.c
    stmt = (
        select(c.id, c.user_id, c.activity_id, c.completed_at, ActivitySession.starts_at)
        .select_from(_completions)
        .outerjoin(ActivitySession, ActivitySession.id == c.session_id)
        .where(c.activity_id.is_not(None), c.source.in_(FOLLOWED_SOURCES))
    )
    if start is not None:
        stmt = stmt.where(c.completed_at >= start)
    if end is not None:
        stmt = stmt.where(c.completed_at < end)
    if activity_ids is not None:
        stmt = stmt.where(c.activity_id.in_(list(activity_ids)))
    completions = session.execute(stmt).all()
    if not completions:
        return {}
    in_period = stmt.with_only_columns(c.activity_id).distinct().scalar_subquery()
    task_rows = session.execute(
        select(
            TransferTask.activity_id, TransferTask.id, TransferTask.is_required, TransferTask.phase
        )
        .where(TransferTask.activity_id.in_(in_period))
        .order_by(TransferTask.position, TransferTask.id)
    ).all()
    counted_pre = _counted_ids((a, t, r) for a, t, r, phase in task_rows if phase == TaskPhase.PRE)
    counted_follow = _counted_ids(
        (a, t, r) for a, t, r, phase in task_rows if phase == TaskPhase.FOLLOW_UP
    )
    pre_done = _pre_done_at(session, {t for ids in counted_pre.values() for t in ids}, completions)
    follow_ups = _follow_ups_by_completion(session, [row.id for row in completions], counted_follow)
    participations: dict[int, list[rules.Participation]] = defaultdict(list)
    states: dict[int, list[rules.FollowUpState]] = defaultdict(list)
    for row in completions:
        attended_at = row.starts_at or row.completed_at
        tasks = sorted(counted_pre.get(row.activity_id, ()))
        done = tuple(pre_done.get((row.user_id, task_id)) for task_id in tasks)
        participations[row.activity_id].append(rules.Participation(attended_at, done))
        states[row.activity_id].extend(follow_ups.get(row.id, ()))
    return {
        activity_id: rules.compute_figures(items, states[activity_id], today)
        for activity_id, items in participations.items()
    }


def _pre_done_at(
    session: Session, task_ids: set[int], completions: Collection[object]
) -> dict[tuple[int, int], datetime]:
    if not task_ids:
        return {}
    users = {row.user_id for row in completions}  # type: ignore[attr-defined]
    rows = session.execute(
        select(TaskResponse.user_id, TaskResponse.task_id, TaskResponse.done_at).where(
            TaskResponse.task_id.in_(task_ids),
            TaskResponse.scope == PRE_SCOPE,
            TaskResponse.status == ResponseStatus.DONE,
            TaskResponse.user_id.in_(users),
        )
    )
    return {(user_id, task_id): done_at for user_id, task_id, done_at in rows if done_at}


def _follow_ups_by_completion(
    session: Session, completion_ids: list[int], counted: dict[int, set[int]]
) -> dict[int, list[rules.FollowUpState]]:
    counted_ids = {task_id for ids in counted.values() for task_id in ids}
    rows = session.execute(
        select(
            TaskResponse.completion_id,
            TaskResponse.task_id,
            TaskResponse.status,
            TaskResponse.due_on,
            TaskResponse.done_at,
        ).where(TaskResponse.completion_id.in_(completion_ids), TaskResponse.due_on.is_not(None))
    )
    result: dict[int, list[rules.FollowUpState]] = defaultdict(list)
    for completion_id, task_id, status, due, done_at in rows:
        if completion_id is None or due is None:  # narrowed by the WHERE clause
            continue
        state = _follow_up_state(task_id in counted_ids, status, due, done_at)
        result[completion_id].append(state)
    return result


def list_transfer_statuses(
    session: Session, completion_ids: Collection[int], *, today: date
) -> dict[int, str | None]:
    """Each completion's transfer status: pending, done or overdue (None: no follow-ups)."""
    if not completion_ids:
        return {}
    rows = session.execute(
        select(
            TaskResponse.completion_id,
            TaskResponse.status,
            TaskResponse.due_on,
            TaskResponse.done_at,
            TransferTask.is_required,
        )
        .join(TransferTask, TransferTask.id == TaskResponse.task_id)
        .where(
            TaskResponse.completion_id.in_(list(completion_ids)), TaskResponse.due_on.is_not(None)
        )
    )
    by_completion: dict[int, list[tuple[bool, str, date, datetime | None]]] = defaultdict(list)
    for completion_id, status, due, done_at, is_required in rows:
        if completion_id is None or due is None:  # narrowed by the WHERE clause
            continue
        by_completion[completion_id].append((bool(is_required), status, due, done_at))
    statuses: dict[int, str | None] = dict.fromkeys(completion_ids)
    for completion_id, items in by_completion.items():
        any_required = any(required for required, *_ in items)
        states = [
            _follow_up_state(required or not any_required, status, due, done_at)
            for required, status, due, done_at in items
        ]
        statuses[completion_id] = rules.transfer_status(states, today)
    return statuses
