"""Loading the engine's plain data from the database: the candidate pool and people's profiles.

Everything here reads in a constant number of queries, whatever the size of the catalogue or
of the batch of people (IN lists and aggregates in SQL; Core selects of tuples, never ORM
entities), so a full refresh of thousands of people over thousands of activities stays fast.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from lms.catalog.models import (
    SCHEDULED_FORMATS,
    Activity,
    ActivityCompetence,
    ActivitySession,
    Status,
    activity_departments,
    activity_job_roles,
)
from lms.framework.models import Competence
from lms.progress.models import Booking
from lms.recommend.data import Candidate, CompetenceLabel, Profile
from lms.recommend.engine import CandidatePool, build_pool
from lms.recommend.profiles import SharedContext, load_shared, profiles_of

__all__ = ["SharedContext", "load_labels", "load_pool", "load_profiles", "load_shared"]


def _chosen(
    competence_ids: Collection[int] | None, activity_ids: Collection[int] | None
) -> Select[int]:
    """The ids of the published activities in the pool, as a subquery to filter every read."""
    stmt = select(Activity.id).where(Activity.status == Status.PUBLISHED)
    if competence_ids is None and activity_ids is None:
        return stmt
    wanted: list[ColumnElement[bool]] = []
    if activity_ids:
        wanted.append(Activity.id.in_(list(activity_ids)))
    if competence_ids:
        developing = select(ActivityCompetence.activity_id).where(
            ActivityCompetence.competence_id.in_(list(competence_ids))
        )
        wanted.append(Activity.id.in_(developing))
    return stmt.where(or_(*wanted)) if wanted else stmt.where(Activity.id.is_(None))


def _next_open_sessions(
    session: Session, chosen: Select[int], now: datetime
) -> dict[int, datetime]:
    """Activity id → the start of its next future, bookable, not cancelled session with a
    free seat (capacity above its booked count: waitlisted people hold no seat)."""
    booked = (
        select(func.count(Booking.id))
        .where(Booking.session_id == ActivitySession.id, Booking.status == "booked")
        .scalar_subquery()
    )
    rows = session.execute(
        select(ActivitySession.activity_id, func.min(ActivitySession.starts_at))
        .where(
            ActivitySession.activity_id.in_(chosen),
            ActivitySession.is_cancelled.is_(False),
            ActivitySession.starts_at > now,
            or_(
                ActivitySession.booking_deadline.is_(None), ActivitySession.booking_deadline >= now
            ),
            ActivitySession.capacity > booked,
        )
        .group_by(ActivitySession.activity_id)
    )
    return {activity_id: starts_at for activity_id, starts_at in rows}


def _pairs(session: Session, stmt: Select[int, int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for key, value in session.execute(stmt):
        found.setdefault(key, set()).add(value)
    return found


def load_labels(session: Session) -> dict[int, CompetenceLabel]:
    """Competence id → its code and name, for every competence (a small table)."""
    rows = session.execute(select(Competence.id, Competence.code, Competence.name))
    return {id_: CompetenceLabel(code, name) for id_, code, name in rows}


def load_pool(
    session: Session,
    now: datetime,
    *,
    competence_ids: Collection[int] | None = None,
    activity_ids: Collection[int] | None = None,
) -> CandidatePool:
    """The published activities as candidates, in six queries.

    All of them by default; with `competence_ids` and/or `activity_ids` only those
    developing one of the competences or among the activities (the union of both).
    """
    chosen = _chosen(competence_ids, activity_ids)
    weights: dict[int, dict[int, float]] = {}
    for activity_id, competence_id, weight in session.execute(
        select(
            ActivityCompetence.activity_id,
            ActivityCompetence.competence_id,
            ActivityCompetence.weight,
        ).where(ActivityCompetence.activity_id.in_(chosen))
    ):
        weights.setdefault(activity_id, {})[competence_id] = float(weight)
    targets = activity_departments.c
    departments = _pairs(
        session, select(targets.activity_id, targets.department_id).where(
            targets.activity_id.in_(chosen)
        )
    )  # fmt: skip
    roles_c = activity_job_roles.c
    roles = _pairs(
        session, select(roles_c.activity_id, roles_c.job_role_id).where(
            roles_c.activity_id.in_(chosen)
        )
    )  # fmt: skip
    sessions = _next_open_sessions(session, chosen, now)
    rows = session.execute(
        select(
            Activity.id, Activity.format, Activity.level, Activity.minutes, Activity.is_repeatable
        ).where(Activity.id.in_(chosen))
    )
    published = Status.PUBLISHED.value  # an enum's .value is slow in a loop of thousands
    candidates = [
        Candidate(
            activity_id=id_,
            competences=weights.get(id_, {}),
            level=level,
            format=format_,
            minutes=minutes,
            departments=frozenset(departments.get(id_, ())),
            job_roles=frozenset(roles.get(id_, ())),
            status=published,
            is_repeatable=bool(repeatable),
            is_scheduled=format_ in SCHEDULED_FORMATS,
            next_open_session=sessions.get(id_),
        )
        for id_, format_, level, minutes, repeatable in rows
    ]
    return build_pool(candidates, load_labels(session))


def load_profiles(
    session: Session,
    user_ids: Collection[int],
    now: datetime,
    *,
    shared: SharedContext | None = None,
) -> dict[int, Profile]:
    """User id → Profile for the given users, in a constant number of queries.

    `shared` (expected levels and popularity per job role, the current theme months) is
    loaded for the users' job roles unless the caller passes one it loaded once for many
    batches. Unknown ids are left out.
    """
    return profiles_of(session, user_ids, now, shared=shared)
