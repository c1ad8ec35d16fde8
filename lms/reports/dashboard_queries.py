"""Reads for the coordinator dashboard: which programme to show, feedback and Transfer of
Training over a programme's counted completions in the reader's scope, aggregated in SQL.

A programme's completions are those the ESF report counts (DESIGN §4): credited minutes > 0,
dated (Stockholm) in the programme's period, done in one of its organisations or departments
and passing the reader's coverage. The ESF figures themselves come from `esf_report`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Date

from lms.catalog.models import Activity, ActivitySession
from lms.progress.models import Completion, Feedback
from lms.reports.esf_data import ActivityRow, Coverage
from lms.reports.esf_metrics import build_report
from lms.reports.esf_queries import counted
from lms.reports.esf_report import esf_filter_for, load_aggregates, programme_targets
from lms.reports.models import Programme
from lms.transfer.figures import FOLLOWED_SOURCES
from lms.transfer.models import PRE_SCOPE, ResponseStatus, TaskPhase, TaskResponse, TransferTask
from lms.transfer.rules import TransferFigures

# --- which programme ---------------------------------------------------------------------------


def pick_programme(programmes: Sequence[Programme], today: date) -> Programme | None:
    """The programme to show first: the one running today (the latest started), else the one
    that ended last, else the next to start; None when there is none."""
    running = [p for p in programmes if p.starts_on <= today <= p.ends_on]
    if running:
        return max(running, key=lambda p: (p.starts_on, p.id))
    ended = [p for p in programmes if p.ends_on < today]
    if ended:
        return max(ended, key=lambda p: (p.ends_on, p.id))
    return min(programmes, key=lambda p: (p.starts_on, p.id), default=None)


# --- the programme's completions -----------------------------------------------------------------


def counted_in(programme: Programme, coverage: Coverage | None) -> ColumnElement[bool]:
    """The programme's counted completions that the reader may see: the ESF report's own
    condition (`esf_queries.counted`), so every figure here covers the same completions."""
    return counted(esf_filter_for(programme=programme, coverage=coverage))


def list_activity_slugs(session: Session, activity_ids: Collection[int | None]) -> dict[int, str]:
    """Activity id -> slug, for linking the top activities to the catalogue (one query)."""
    ids = sorted({i for i in activity_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(select(Activity.id, Activity.slug).where(Activity.id.in_(ids)))
    return {activity_id: slug for activity_id, slug in rows}


# --- feedback ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackRow:
    """The feedback on one activity (activity_id None: learning outside the catalogue)."""

    activity_id: int | None
    title: str
    slug: str | None
    format: str  # "" outside the catalogue
    responses: int
    rating_sum: int
    will_apply: int

    @property
    def mean_rating(self) -> float:
        return self.rating_sum / self.responses

    @property
    def will_apply_share(self) -> float:
        return self.will_apply / self.responses


def list_feedback(
    session: Session, programme: Programme, coverage: Coverage | None
) -> list[FeedbackRow]:
    """Responses, rating sum and "will apply" answers per activity over the programme's
    counted completions, most responses first (one query; totals are sums of the rows)."""
    stmt = (
        select(
            Completion.activity_id,
            Activity.title,
            Activity.slug,
            Activity.format,
            func.count(Feedback.id),
            func.sum(Feedback.rating),
            func.sum(case((Feedback.will_apply, 1), else_=0)),
        )
        .select_from(Feedback)
        .join(Completion, Completion.id == Feedback.completion_id)
        .outerjoin(Activity, Activity.id == Completion.activity_id)
        .where(counted_in(programme, coverage))
        .group_by(Completion.activity_id, Activity.title, Activity.slug, Activity.format)
    )
    rows = [
        FeedbackRow(activity_id, title or "", slug, fmt or "", int(n), int(total), int(apply))
        for activity_id, title, slug, fmt, n, total, apply in session.execute(stmt)
    ]
    return sorted(rows, key=lambda r: (-r.responses, r.title, r.activity_id or 0))


# --- Transfer of Training ------------------------------------------------------------------------


class StockholmDate(FunctionElement[date]):
    """The Europe/Stockholm calendar date of a UTC timestamp column, in SQL."""

    type = Date()
    inherit_cache = True


@compiles(StockholmDate, "postgresql")
def _stockholm_date_pg(element: StockholmDate, compiler: Any, **kw: Any) -> str:
    moment = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(timezone('Europe/Stockholm', {moment}) AS DATE)"


@compiles(StockholmDate, "sqlite")
def _stockholm_date_sqlite(element: StockholmDate, compiler: Any, **kw: Any) -> str:
    """SQLite has no time zones: summer time (UTC+2) runs from 01:00 UTC on the last Sunday
    of March to 01:00 UTC on the last Sunday of October (EU rules since 1996), else UTC+1."""
    m = compiler.process(next(iter(element.clauses)), **kw)
    begins = f"datetime({m}, 'start of year', '+2 months', '+24 days', 'weekday 0', '+1 hours')"
    ends = f"datetime({m}, 'start of year', '+9 months', '+24 days', 'weekday 0', '+1 hours')"
    offset = f"CASE WHEN {m} >= {begins} AND {m} < {ends} THEN '+2 hours' ELSE '+1 hours' END"
    return f"date({m}, {offset})"


def _is_counted(phase: str) -> ColumnElement[bool]:
    """A task of `phase` that counts (lms.transfer.rules.counted): required, or any of the
    phase's tasks when the activity has no required one."""
    other = aliased(TransferTask)
    required_exists = exists().where(
        other.activity_id == TransferTask.activity_id,
        other.phase == phase,
        other.is_required.is_(True),
    )
    return and_(
        TransferTask.phase == phase, or_(TransferTask.is_required.is_(True), ~required_exists)
    )


def _followed(programme: Programme, coverage: Coverage | None) -> list[ColumnElement[bool]]:
    """The completions whose Transfer of Training is followed (as lms.transfer.figures)."""
    return [
        counted_in(programme, coverage),
        Completion.activity_id.is_not(None),
        Completion.source.in_(FOLLOWED_SOURCES),
    ]


def get_transfer_figures(
    session: Session, programme: Programme, coverage: Coverage | None, *, today: date
) -> TransferFigures:
    """`lms.transfer.figures.list_transfer_figures` summed over activities, for the
    programme's followed completions in the reader's scope, in two aggregate queries.

    Pre-tasks: a participation counts when its activity has counted pre-tasks and every one
    was accepted before the session started (self-paced: before completing). Follow-ups: the
    counted ones opened by these completions, decided once done or past due, on time when
    accepted (Stockholm date) by the due date, overdue when not done after the due date."""
    return TransferFigures(
        **_pre_task_counts(session, programme, coverage),
        **_follow_up_counts(session, programme, coverage, today),
    )


def _pre_task_counts(
    session: Session, programme: Programme, coverage: Coverage | None
) -> dict[str, int]:
    """Followed completions; of those on activities with counted pre-tasks, how many had all
    of them accepted in time (grouped per completion only where there are pre-tasks)."""
    followed = _followed(programme, coverage)
    attended_at = func.coalesce(ActivitySession.starts_at, Completion.completed_at)
    per_completion = (
        select(
            Completion.id,
            func.count(TransferTask.id).label("needed"),
            func.count(TaskResponse.id).label("done"),
        )
        .select_from(Completion)
        .join(
            TransferTask,
            and_(TransferTask.activity_id == Completion.activity_id, _is_counted(TaskPhase.PRE)),
        )
        .outerjoin(ActivitySession, ActivitySession.id == Completion.session_id)
        .outerjoin(
            TaskResponse,
            and_(
                TaskResponse.task_id == TransferTask.id,
                TaskResponse.user_id == Completion.user_id,
                TaskResponse.scope == PRE_SCOPE,
                TaskResponse.status == ResponseStatus.DONE,
                TaskResponse.done_at.is_not(None),
                TaskResponse.done_at <= attended_at,
            ),
        )
        .where(*followed)
        .group_by(Completion.id)
        .subquery()
    )
    participants = select(func.count()).select_from(Completion).where(*followed)
    all_done = per_completion.c.done == per_completion.c.needed
    row = session.execute(
        select(
            participants.scalar_subquery(),
            func.count(),
            func.sum(case((all_done, 1), else_=0)),
        ).select_from(per_completion)
    ).one()
    return {
        "participants": int(row[0] or 0),
        "with_pre_tasks": int(row[1] or 0),
        "pre_in_time": int(row[2] or 0),
    }


def _follow_up_counts(
    session: Session, programme: Programme, coverage: Coverage | None, today: date
) -> dict[str, int]:
    done = TaskResponse.status == ResponseStatus.DONE
    due = TaskResponse.due_on
    on_time = and_(done, StockholmDate(TaskResponse.done_at) <= due)
    row = session.execute(
        select(
            func.sum(case((or_(done, due < today), 1), else_=0)),
            func.sum(case((on_time, 1), else_=0)),
            func.sum(case((and_(~done, due < today), 1), else_=0)),
        )
        .select_from(TaskResponse)
        .join(TransferTask, TransferTask.id == TaskResponse.task_id)
        .join(Completion, Completion.id == TaskResponse.completion_id)
        .where(due.is_not(None), _is_counted(TaskPhase.FOLLOW_UP), *_followed(programme, coverage))
    ).one()
    return {
        "follow_ups_decided": int(row[0] or 0),
        "follow_ups_on_time": int(row[1] or 0),
        "overdue": int(row[2] or 0),
    }


# --- the whole dashboard -------------------------------------------------------------------------

TOP = 10  # activities in each top list


def rank_activities(
    activities: Sequence[ActivityRow],
) -> tuple[list[ActivityRow], list[ActivityRow]]:
    """The ten catalogue activities with most participants (then hours), and the ten with most
    hours (then participants); ties by title. Learning outside the catalogue (one row with
    activity_id None) is no activity to rank: the page states its total beside the lists."""
    catalogue = [r for r in activities if r.activity_id is not None]
    by_people = sorted(catalogue, key=lambda r: (-r.participants, -r.minutes, r.title))
    by_hours = sorted(catalogue, key=lambda r: (-r.minutes, -r.participants, r.title))
    return by_people[:TOP], by_hours[:TOP]


@dataclass(frozen=True)
class DashboardData:
    """What the dashboard shows of one programme, as the reader may see it."""

    report: dict[str, Any]  # build_esf_report's dict
    top_activities: tuple[list[ActivityRow], list[ActivityRow]]
    outside: ActivityRow | None  # learning outside the catalogue, when there is any
    slugs: dict[int, str]
    feedback: list[FeedbackRow]
    transfer: TransferFigures


def load_dashboard(
    session: Session, programme: Programme, coverage: Coverage | None, *, today: date
) -> DashboardData:
    """The programme's ESF report and everything beside it, in a fixed number of queries.

    The ESF aggregates are loaded once (`esf_report.load_aggregates`) and serve both the
    report (`esf_metrics.build_report`, as `build_esf_report` builds it) and the top lists."""
    esf_filter, aggregates = load_aggregates(session, programme=programme, coverage=coverage)
    report = build_report(
        aggregates,
        date_from=esf_filter.date_from,
        date_to=esf_filter.date_to,
        programme_slug=programme.slug,
        targets=programme_targets(programme),
    )
    ranked = rank_activities(aggregates.activities)
    return DashboardData(
        report=report,
        top_activities=ranked,
        outside=next((r for r in aggregates.activities if r.activity_id is None), None),
        slugs=list_activity_slugs(session, [r.activity_id for r in [*ranked[0], *ranked[1]]]),
        feedback=list_feedback(session, programme, coverage),
        transfer=get_transfer_figures(session, programme, coverage, today=today),
    )
