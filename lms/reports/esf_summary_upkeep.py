"""Keeping built programme summaries in step: each counted completion written or removed is
applied as a delta to every programme whose summary is built and which counts it.

The receivers run inside the sender's transaction (no commits); each cell changes through
esf_summary_cells (upserts to add, row locks to take away). Whether the person still has another
counted completion of the activity, and their earliest one, comes from one query over their own
completions (users' index), shared by every programme the completion counts for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Date, bindparam, func, or_, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.progress.models import Completion
from lms.reports import esf_summary_cells as cells
from lms.reports.esf_summary_sql import ZERO
from lms.reports.models import (
    Programme,
    ProgrammeActivityHours,
    ProgrammeDepartment,
    ProgrammeMonthHours,
    ProgrammeOrganisation,
    ProgrammeParticipant,
)


@dataclass(frozen=True)
class _Delta:
    """One counted completion as the summary cells see it."""

    user_id: int
    organisation_key: int
    department_key: int
    activity_key: int
    source: str
    completed_on: date
    minutes: int

    @property
    def month(self) -> str:
        return self.completed_on.strftime("%Y-%m")


@dataclass(frozen=True)
class _Period:
    programme_id: int
    starts_on: date
    ends_on: date

    def holds(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def on_completion_recorded(
    sender: object, *, session: Session, completion: Completion, user: User, **_: Any
) -> None:
    """Add a new counted completion to the built summaries of the programmes counting it."""
    delta, periods = _affected(session, completion)
    if delta is None or not periods:
        return
    _lock_person(session, delta.user_id)
    others = _others(session, completion, delta)
    for period in periods:
        first_of_activity = not any(
            period.holds(day) for key, day in others if key == delta.activity_key
        )
        _add(session, period.programme_id, delta, first_of_activity)


def on_completion_removed(
    sender: object, *, session: Session, completion: Completion, **_: Any
) -> None:
    """Take a counted completion about to be deleted out of the built summaries."""
    delta, periods = _affected(session, completion)
    if delta is None or not periods:
        return
    _lock_person(session, delta.user_id)
    others = _others(session, completion, delta)
    for period in periods:
        left = [(key, day) for key, day in others if period.holds(day)]
        last_of_activity = not any(key == delta.activity_key for key, _day in left)
        first_on = min((day for _key, day in left), default=None)
        _take(session, period.programme_id, delta, last_of_activity, first_on)


def _lock_person(session: Session, user_id: int) -> None:
    """One person's completions are applied one transaction at a time, so whether this is
    their first (or last) completion of an activity is read after the other's commit — two
    completions of one person at the same moment would otherwise both count as the first.
    FOR NO KEY UPDATE: it does not wait for the key-share lock each completion's own insert
    holds on the person (that would deadlock two of their transactions)."""
    session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def _affected(session: Session, completion: Completion) -> tuple[_Delta | None, list[_Period]]:
    """The completion as a delta, and the built programmes whose period and coverage hold it
    (nothing for a completion that credits no time)."""
    if completion.credited_minutes <= 0:
        return None, []
    delta = _Delta(
        user_id=completion.user_id,
        organisation_key=completion.organisation_id or 0,
        department_key=completion.department_id or 0,
        activity_key=completion.activity_id or 0,
        source=completion.source,
        completed_on=completion.completed_on,
        minutes=completion.credited_minutes,
    )
    params = {
        "organisation": completion.organisation_id,  # None: "= NULL" matches no programme
        "department": completion.department_id,
        "day": delta.completed_on,
    }
    return delta, [_Period(*row) for row in session.execute(_programmes_counting(), params)]


def _others(session: Session, completion: Completion, delta: _Delta) -> list[tuple[int, date]]:
    """(activity key, date) of the person's other counted completions in the same
    organisation and department (what the programmes' cells of this completion also hold,
    once the callers keep those in each programme's period)."""
    params = {
        "user": delta.user_id,
        "completion": completion.id,
        "organisation": delta.organisation_key,
        "department": delta.department_key,
    }
    return [(key, day) for key, day in session.execute(_siblings(), params)]


@cache
def _programmes_counting() -> Any:
    """The built programmes whose period holds `day` and which cover `organisation` or
    `department` (built once; each call binds the values). Their rows are share-locked
    (PostgreSQL FOR KEY SHARE) until the transaction ends, so a rebuild of one (which locks
    it FOR UPDATE first) waits for this completion's transaction, or this delta waits for the
    rebuild: the delta is never both counted by the rebuild and added on top, nor lost."""
    stmt = select(Programme.id, Programme.starts_on, Programme.ends_on).where(
        Programme.summary_built_at.is_not(None),
        Programme.starts_on <= bindparam("day", type_=Date),
        Programme.ends_on >= bindparam("day", type_=Date),
        or_(
            Programme.id.in_(
                select(ProgrammeOrganisation.programme_id).where(
                    ProgrammeOrganisation.organisation_id == bindparam("organisation")
                )
            ),
            Programme.id.in_(
                select(ProgrammeDepartment.programme_id).where(
                    ProgrammeDepartment.department_id == bindparam("department")
                )
            ),
        ),
    )
    return stmt.with_for_update(read=True, key_share=True, of=Programme)


@cache
def _siblings() -> Any:
    # Only the person: a period bound here tempts PostgreSQL's generic plan for the prepared
    # statement into AND-ing a range scan of the date index with the users' index (20× slower).
    return select(func.coalesce(Completion.activity_id, ZERO), Completion.completed_on).where(
        Completion.user_id == bindparam("user"),
        Completion.id != bindparam("completion"),
        Completion.credited_minutes > 0,
        func.coalesce(Completion.organisation_id, ZERO) == bindparam("organisation"),
        func.coalesce(Completion.department_id, ZERO) == bindparam("department"),
    )


# --- adding and taking away ------------------------------------------------------------------


def _add(session: Session, programme_id: int, delta: _Delta, first_of_activity: bool) -> None:
    unit = _unit(programme_id, delta)
    counts = {"minutes": delta.minutes, "completions": 1}
    cells.add(session, ProgrammeMonthHours, {**unit, **_month_key(delta), **counts})
    activity = {**unit, "activity_key": delta.activity_key}
    if first_of_activity:
        cells.add(session, ProgrammeActivityHours, {**activity, **counts, "participants": 1})
    else:  # their earlier completion made the row (an insert of 0 people would fail the CHECK)
        cells.change(session, ProgrammeActivityHours, activity, counts)
    person = {**unit, "user_id": delta.user_id}
    cells.add(session, ProgrammeParticipant, {**person, **counts, "first_on": delta.completed_on})


def _take(
    session: Session,
    programme_id: int,
    delta: _Delta,
    last_of_activity: bool,
    first_on: date | None,
) -> None:
    unit = _unit(programme_id, delta)
    counts = {"minutes": delta.minutes, "completions": 1}
    cells.take(session, ProgrammeMonthHours, {**unit, **_month_key(delta)}, counts)
    cells.take(
        session,
        ProgrammeActivityHours,
        {**unit, "activity_key": delta.activity_key},
        {**counts, "participants": int(last_of_activity)},
    )
    person = {**unit, "user_id": delta.user_id}
    cells.take(session, ProgrammeParticipant, person, counts, first_on=first_on)


def _unit(programme_id: int, delta: _Delta) -> dict[str, Any]:
    return {
        "programme_id": programme_id,
        "organisation_key": delta.organisation_key,
        "department_key": delta.department_key,
    }


def _month_key(delta: _Delta) -> dict[str, Any]:
    return {"month": delta.month, "source": delta.source}
