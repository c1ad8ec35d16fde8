"""Reads of the recommendation cache for display: what a person sees, checked again as it is shown.

The cache is refreshed when something changes, but between a change and its refresh it could
still hold an activity that was archived a minute ago, that the person completed or marked
"inte intresserad". `list_recommended` filters those out in the same single query that reads
the cache, so the pages never show something wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session, aliased, contains_eager

from lms.accounts.models import User
from lms.catalog.models import SCHEDULED_FORMATS, Activity, ActivityCompetence, Status
from lms.catalog.queries import upcoming_sessions
from lms.framework.models import Competence, CompetenceArea
from lms.progress.models import Completion
from lms.recommend.data import Reason
from lms.recommend.explain import describe_all
from lms.recommend.models import NotInterested, Recommendation

START_PAGE = 5  # how many the start page shows
LIST_PAGE = 20  # the whole cache (engine.TOP)
SHOWN_REASONS = 3  # reasons under an item on the start page


@dataclass(frozen=True)
class RecommendedItem:
    """One recommended activity as the pages show it, with its reasons (strongest first)."""

    activity: Activity
    position: int
    score: float
    competence: Competence | None
    reasons: list[Reason]
    next_session_at: datetime | None = None  # a scheduled activity's next session

    @property
    def next_session_fact(self) -> datetime | None:
        """The next session's start for the facts line, unless a reason already gives it."""
        if any(reason.kind == "next_session" for reason in self.reasons):
            return None
        return self.next_session_at

    def reason_texts(self, limit: int | None = None) -> list[str]:
        """The reasons in words, in the request's language (all of them, or the first few)."""
        texts = describe_all(self.reasons)  # those this version cannot word are left out
        return texts if limit is None else texts[:limit]


@dataclass(frozen=True)
class RecommendationFilter:
    """The list page's filters; None means any."""

    area: str | None = None  # competence area code: the activity develops a competence in it
    format: str | None = None
    level: str | None = None
    max_minutes: int | None = None

    @property
    def is_active(self) -> bool:
        return any(v is not None for v in (self.area, self.format, self.level, self.max_minutes))


def _parse_reasons(raw: object) -> list[Reason]:
    """The cached reasons; a row written by an older version with another shape shows none."""
    if not isinstance(raw, list):
        return []
    reasons = []
    for entry in raw:
        if isinstance(entry, dict) and "kind" in entry:
            reasons.append(Reason.from_json(entry))
    return reasons


def _still_recommendable(user: User) -> list[ColumnElement[bool]]:
    """Conditions an activity in the cache must still meet when it is shown."""
    marked = exists().where(
        NotInterested.user_id == user.id, NotInterested.activity_id == Activity.id
    )
    completed = exists().where(Completion.user_id == user.id, Completion.activity_id == Activity.id)
    return [
        Activity.status == Status.PUBLISHED,
        ~marked,
        or_(Activity.is_repeatable.is_(True), ~completed),
    ]


def _in_area(code: str) -> ColumnElement[bool]:
    """The activity develops a competence of the area (aliases: the outer query has its own)."""
    competence = aliased(Competence)
    area = aliased(CompetenceArea)
    return exists().where(
        ActivityCompetence.activity_id == Activity.id,
        ActivityCompetence.competence_id == competence.id,
        competence.area_id == area.id,
        area.code == code,
    )


def list_recommended(
    session: Session,
    user: User,
    *,
    now: datetime,
    limit: int = START_PAGE,
    area: str | None = None,
    format: str | None = None,
    level: str | None = None,
    max_minutes: int | None = None,
) -> list[RecommendedItem]:
    """`user`'s cached recommendations, best first, that are still right to show (one query).

    Rows whose activity is no longer published, that the person marked "inte intresserad" or
    completed (unless the activity is repeatable), and scheduled activities without a session
    after `now` are left out; the filters narrow further.
    """
    upcoming = upcoming_sessions(now)
    conditions: list[ColumnElement[bool]] = [
        Recommendation.user_id == user.id,
        *_still_recommendable(user),
        # a scheduled activity whose every session has passed or was cancelled is not takeable
        or_(Activity.format.not_in(SCHEDULED_FORMATS), upcoming.c.next_starts_at.is_not(None)),
    ]
    if area:
        conditions.append(_in_area(area))
    if format:
        conditions.append(Activity.format == format)
    if level:
        conditions.append(Activity.level == level)
    if max_minutes is not None:
        conditions.append(Activity.minutes <= max_minutes)
    stmt = (
        select(Recommendation, Activity, Competence, upcoming.c.next_starts_at)
        .join(Activity, Activity.id == Recommendation.activity_id)
        .outerjoin(Competence, Competence.id == Recommendation.competence_id)
        .outerjoin(upcoming, upcoming.c.activity_id == Activity.id)
        .where(*conditions)
        .order_by(Recommendation.position, Recommendation.activity_id)
        .limit(limit)
    )
    return [
        RecommendedItem(
            activity=activity,
            position=row.position,
            score=row.score,
            competence=competence,
            reasons=_parse_reasons(row.reasons),
            next_session_at=next_at,
        )
        for row, activity, competence, next_at in session.execute(stmt)
    ]


def list_not_interested(session: Session, user: User) -> list[NotInterested]:
    """The published activities `user` marked "inte intresserad", newest mark first (one query).

    Marks on activities unpublished since stay (they count again if the activity comes back)
    but are not listed: there is nothing to show again.
    """
    stmt = (
        select(NotInterested)
        .join(NotInterested.activity)
        .options(contains_eager(NotInterested.activity))
        .where(NotInterested.user_id == user.id, Activity.status == Status.PUBLISHED)
        .order_by(NotInterested.created_at.desc(), Activity.title, Activity.id)
    )
    return list(session.scalars(stmt))


def list_areas(session: Session) -> list[CompetenceArea]:
    """The competence areas in framework order, for the area filter (one query)."""
    return list(
        session.scalars(
            select(CompetenceArea).order_by(CompetenceArea.position, CompetenceArea.code)
        )
    )
