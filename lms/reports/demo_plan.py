"""The demo's learning history as plain data: who completed what when, which past sessions
were held and who came, what people thought of it. Pure and deterministic: the same people
and activities always give the same plan (a fixed seed, no clock), so loading it again or on
another day finds the same occurrences; `lms.reports.demo` writes what lies before today.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

SEED = 20230901
PLAN_FROM, PLAN_UNTIL = date(2023, 9, 1), date(2026, 10, 31)
JOINED_BY = date(2025, 3, 1)  # everyone has started by then
ACTIVE_FOR = timedelta(days=640)  # and learns for about a year and a half from then
SESSIONS_UNTIL = date(2026, 6, 15)  # the programme's sessions; after it, self-paced learning
# The summer and the holidays are quieter (share of days kept, by month).
MONTH_WEIGHT = {7: 0.15, 6: 0.6, 8: 0.6, 12: 0.7}
# How popular each self-paced format is (the study trip and the conference are rare).
FORMAT_WEIGHT = {"nanolesson": 1.0, "elearning": 0.8, "course": 0.6, "external": 0.12}
SCHEDULED = frozenset({"workshop", "lecture", "network", "coaching"})
RATINGS = (3, 4, 4, 4, 5, 5, 5)
COMMENTS = (
    "Bra tempo och mycket att ta med sig.",
    "Praktiska exempel som gick att använda direkt.",
    "Hade gärna haft mer tid för egna övningar.",
    "Kursledaren var lyhörd och pedagogisk.",
    "Kort och bra – passade mellan två pass i informationsdisken.",
    "Nyttigt att diskutera med kollegor från andra avdelningar.",
)


@dataclass(frozen=True)
class PlannedSession:
    """A past session of a scheduled activity, on a day (the time comes from its template)."""

    slug: str
    day: date


@dataclass(frozen=True)
class PlannedFeedback:
    rating: int
    will_apply: bool
    comment: str
    after: timedelta  # given this long after the completion


@dataclass(frozen=True)
class PlannedCompletion:
    """One completion: of a self-paced activity at `at` (Stockholm time), or of `session`."""

    email: str
    slug: str
    at: datetime  # naive Stockholm wall-clock time (for a session: its day at noon)
    session: PlannedSession | None = None
    feedback: PlannedFeedback | None = None
    answers_follow_ups: bool = False


@dataclass(frozen=True)
class HistoryPlan:
    sessions: tuple[PlannedSession, ...]
    completions: tuple[PlannedCompletion, ...]  # by time


def plan_history(emails: Sequence[str], activities: Sequence[tuple[str, str]]) -> HistoryPlan:
    """The history of `emails` (people) over `activities` ((slug, format) pairs)."""
    rng = random.Random(SEED)  # noqa: S311 (a repeatable demo, not secrets)
    people = sorted(emails)
    ordered = sorted(activities)
    scheduled = [slug for slug, fmt in ordered if fmt in SCHEDULED]
    self_paced = [(slug, FORMAT_WEIGHT[fmt]) for slug, fmt in ordered if fmt in FORMAT_WEIGHT]
    # People join over the programme's first eighteen months, as the field study's did.
    joined = {email: _joined(rng) for email in people}
    sessions = [PlannedSession(slug, day) for slug in scheduled for day in _session_days(rng)]
    completions = [c for s in sessions for c in _attendance(rng, s, joined)]
    for email in people:
        completions += _self_paced(rng, email, joined[email], self_paced)
    return HistoryPlan(tuple(sessions), tuple(sorted(completions, key=_order)))


def _order(completion: PlannedCompletion) -> tuple[datetime, str, str]:
    return completion.at, completion.email, completion.slug


def _session_days(rng: random.Random) -> list[date]:
    """Two or three weekdays (Tuesday–Thursday) spread over the programme, none in July."""
    span = (SESSIONS_UNTIL - PLAN_FROM).days
    days = set()
    for _ in range(rng.randint(2, 3)):
        day = PLAN_FROM + timedelta(days=30 + rng.randrange(span - 60))
        if day.month == 7:
            day += timedelta(days=31)
        days.add(day + timedelta(days=(1 - day.weekday()) % 7 + rng.randint(0, 2)))
    return sorted(days)


def _joined(rng: random.Random) -> date:
    return PLAN_FROM + timedelta(days=rng.randrange((JOINED_BY - PLAN_FROM).days))


def _attendance(
    rng: random.Random, planned: PlannedSession, joined: dict[str, date]
) -> list[PlannedCompletion]:
    """Three to eight of the people who had joined by the session's day."""
    people = [email for email, day in joined.items() if day <= planned.day]
    attendees = sorted(rng.sample(people, min(len(people), rng.randint(3, 8))))
    at = datetime.combine(planned.day, time(12))
    return [_completion(rng, email, planned.slug, at, planned) for email in attendees]


def _self_paced(
    rng: random.Random, email: str, joined: date, activities: list[tuple[str, float]]
) -> list[PlannedCompletion]:
    """Three to ten activities in the year and a half after the day the person started."""
    # Weighted sampling without replacement: the largest random ** (1 / weight) win.
    keyed = sorted(activities, key=lambda item: rng.random() ** (1 / item[1]), reverse=True)
    chosen = [slug for slug, _weight in keyed[: rng.randint(3, 10)]]
    until = min(joined + ACTIVE_FOR, PLAN_UNTIL)
    return [_completion(rng, email, slug, _moment(rng, joined, until), None) for slug in chosen]


def _moment(rng: random.Random, start: date, until: date) -> datetime:
    """A working-day moment from `start` to `until`, quieter in the summer and the holidays."""
    span = (until - start).days
    while True:
        day = start + timedelta(days=rng.randrange(span))
        if day.weekday() < 5 and rng.random() < MONTH_WEIGHT.get(day.month, 1.0):
            return datetime.combine(day, time(rng.randint(8, 16), rng.randrange(0, 60, 5)))


def _completion(
    rng: random.Random, email: str, slug: str, at: datetime, planned: PlannedSession | None
) -> PlannedCompletion:
    feedback = None
    if rng.random() < 0.45:
        comment = rng.choice(COMMENTS) if rng.random() < 0.2 else ""
        after = timedelta(hours=rng.randint(1, 60))
        feedback = PlannedFeedback(rng.choice(RATINGS), rng.random() < 0.6, comment, after)
    return PlannedCompletion(email, slug, at, planned, feedback, rng.random() < 0.55)
