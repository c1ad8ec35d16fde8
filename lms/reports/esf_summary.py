"""A programme's summary tables: rebuilt whole in SQL, kept in step with each completion, read
by the ESF report instead of the raw completions (see lms/reports/models.py).

`rebuild_programme` runs when a programme's period or coverage changes and nightly
(lms/reports/jobs.py); `on_completion_recorded` / `on_completion_removed` (lms/progress/signals,
connected by `connect()`) apply each completion as a delta to every programme whose summary is
built; `summary_aggregates` reads them, giving what `esf_queries.raw_aggregates` gives for the
programme's filter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, delete, distinct, func, insert, literal, select
from sqlalchemy.orm import Session

from lms.core.time import utcnow
from lms.progress.models import Completion
from lms.reports import programmes
from lms.reports.esf_data import EsfFilter
from lms.reports.esf_queries import counted
from lms.reports.esf_summary_read import summary_aggregates
from lms.reports.esf_summary_sql import ZERO, month_of
from lms.reports.esf_summary_upkeep import on_completion_recorded, on_completion_removed
from lms.reports.models import (
    Programme,
    ProgrammeActivityHours,
    ProgrammeMonthHours,
    ProgrammeParticipant,
)

__all__ = [
    "connect",
    "on_completion_recorded",
    "on_completion_removed",
    "rebuild_all",
    "rebuild_programme",
    "summary_aggregates",
]

SUMMARIES = (ProgrammeParticipant, ProgrammeMonthHours, ProgrammeActivityHours)


def rebuild_programme(session: Session, programme: Programme) -> None:
    """Replace the programme's summary rows with fresh aggregates of its counted completions
    (three INSERT … SELECT) and stamp `summary_built_at`. Flushes; the caller commits.

    Rows go in in key order, so the reads that walk a programme's rows by person (its primary
    key) touch the table in order rather than at random (3× faster at 100,000 people).
    The programme's row is locked first: completions being recorded meanwhile wait, or are
    waited for (see esf_summary_upkeep), so none is lost or counted twice."""
    session.execute(select(Programme.id).where(Programme.id == programme.id).with_for_update())
    for model in SUMMARIES:
        session.execute(
            delete(model)
            .where(model.programme_id == programme.id)
            .execution_options(synchronize_session=False)
        )
    counted = _counted_in(programme)
    organisation = func.coalesce(Completion.organisation_id, ZERO)
    department = func.coalesce(Completion.department_id, ZERO)
    programme_id = literal(programme.id)
    minutes, completions = func.sum(Completion.credited_minutes), func.count()
    _insert_from(
        session,
        ProgrammeParticipant,
        ("user_id", "organisation_key", "department_key", "minutes", "completions", "first_on"),
        select(programme_id, Completion.user_id, organisation, department, minutes, completions,
               func.min(Completion.completed_on))
        .where(counted)
        .group_by(Completion.user_id, organisation, department)
        .order_by(Completion.user_id, organisation, department),
    )  # fmt: skip
    month = month_of(Completion.completed_on)
    _insert_from(
        session,
        ProgrammeMonthHours,
        ("month", "organisation_key", "department_key", "source", "minutes", "completions"),
        select(programme_id, month, organisation, department, Completion.source, minutes,
               completions)
        .where(counted)
        .group_by(month, organisation, department, Completion.source)
        .order_by(month, organisation, department, Completion.source),
    )  # fmt: skip
    activity = func.coalesce(Completion.activity_id, ZERO)
    _insert_from(
        session,
        ProgrammeActivityHours,
        ("organisation_key", "department_key", "activity_key", "minutes", "completions",
         "participants"),
        select(programme_id, organisation, department, activity, minutes, completions,
               func.count(distinct(Completion.user_id)))
        .where(counted)
        .group_by(organisation, department, activity)
        .order_by(organisation, department, activity),
    )  # fmt: skip
    programme.summary_built_at = utcnow()
    session.flush()


def rebuild_all(session: Session, after_each: Callable[[], object] | None = None) -> int:
    """Rebuild every programme's summary (the nightly job); returns how many. Flushes;
    `after_each` (the job passes its commit) runs after each programme, so completions that
    count for one wait at most for its own rebuild (its row stays locked until then)."""
    all_programmes = session.scalars(select(Programme).order_by(Programme.id)).all()
    for programme in all_programmes:
        rebuild_programme(session, programme)
        if after_each is not None:
            after_each()
    return len(all_programmes)


def connect() -> None:
    """Keep built summaries in step with every completion written or removed (connecting
    twice is a no-op: blinker keeps one connection per function)."""
    from lms.progress.signals import completion_recorded, completion_removed

    completion_recorded.connect(on_completion_recorded)
    completion_removed.connect(on_completion_removed)


def _counted_in(programme: Programme) -> ColumnElement[bool]:
    """Exactly what the raw report counts for the programme's whole period and coverage."""
    return counted(
        EsfFilter(
            programme.starts_on, programme.ends_on, (programmes.programme_coverage(programme),)
        )
    )


def _insert_from(session: Session, model: Any, columns: tuple[str, ...], query: Any) -> None:
    session.execute(insert(model).from_select(("programme_id", *columns), query))
