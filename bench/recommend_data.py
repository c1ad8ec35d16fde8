"""A synthetic organisation with known gaps for the recommendation benchmark, and its plain data.

`generate` builds, from a seed, everything the recommender reads: a framework of 6 areas and
21 sub-competences, 12 job roles with expected levels, 40 departments, activities (formats,
levels, minutes, weighted competences, audiences, sessions, some full or past, a theme month)
and people with a job role, a latest assessment (self and agreed levels, motivation), plan
goals, completions, bookings and "not interested" marks; 15 % are never assessed. The same
seed gives the same organisation; only the dates move with `now`.

`candidates`, `labels` and `profiles` turn it into `lms.recommend.data` objects directly, so
the engine can be measured without a database; `bench_recommend` writes the same
organisation into one to measure the cache.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate

from lms.recommend.data import (
    FORDJUPNING,
    GRUND,
    SPETS,
    Candidate,
    CompetenceLabel,
    PlanGoal,
    Profile,
    ThemeInfo,
)

AREAS = (
    ("1", "Informations- och datakunnighet", (
        "Söka och filtrera information", "Källkritik och värdering av information",
        "Hantera data och digitala dokument", "Analysera och visualisera data")),
    ("2", "Kommunikation och samarbete", (
        "Kommunicera med digital teknik", "Samarbeta med digital teknik",
        "Engagera verksamhetens målgrupper med digital teknik",
        "Digital tillgänglighet och inkludering")),
    ("3", "Skapa digitalt innehåll", (
        "Skapa och redigera digitalt innehåll", "Upphovsrätt och licenser",
        "Bild, ljud och film", "Skriva för webben")),
    ("4", "Digital säkerhet", (
        "Skydda enheter och information", "Skydda personuppgifter och integritet",
        "Hälsa och välbefinnande i digitala miljöer", "Hållbar användning av digital teknik")),
    ("5", "Problemlösning", (
        "Lösa tekniska problem", "Använda digital teknik kreativt och utveckla verksamheten",
        "Använda AI i arbetet")),
    ("6", "Digitalisering", (
        "Leda digital förändring", "Systemförvaltning och informationssäkerhet i system")),
)  # fmt: skip
# (name, share of the staff); area 6 applies only to the last two (DESIGN §3)
ROLES = (
    ("Bibliotekarie", 22), ("Biblioteksassistent", 14), ("Pedagog", 12), ("Antikvarie", 7),
    ("Arkeolog", 3), ("Fotograf", 3), ("Kommunikatör", 6), ("Producent", 7),
    ("Verksamhetsutvecklare", 5), ("Handläggare", 11), ("Systemägare", 2), ("Chef", 8),
)  # fmt: skip
AREA_SIX_ROLES = frozenset({"Systemägare", "Chef"})
UNITS = ("Biblioteket", "Kulturskolan", "Kulturhuset", "Fritidsgården")
PLACES = (
    "Skärholmen", "Rinkeby", "Farsta", "Hökarängen", "Bagarmossen", "Kista", "Vällingby",
    "Liljeholmen", "Hornstull", "Aspudden",
)  # fmt: skip
# format → (share, minutes low, minutes high)
FORMATS = {
    "nanolesson": (28, 5, 15), "elearning": (15, 20, 90), "course": (10, 60, 480),
    "lecture": (13, 45, 120), "workshop": (13, 90, 240), "coaching": (4, 30, 60),
    "network": (5, 60, 180), "external": (12, 60, 480),
}  # fmt: skip
SCHEDULED = frozenset({"lecture", "workshop", "coaching", "network"})
LEVEL_SHARES = ((GRUND, 45), (FORDJUPNING, 35), (SPETS, 20))
THEME_TITLE = "Informationssäkerhet"
THEME_SIZE = 20
POPULAR_DAYS, POPULAR_PER_ROLE = 365, 50  # as lms.recommend.profiles loads them


@dataclass
class Session:
    id: int
    starts_at: datetime
    capacity: int
    is_cancelled: bool = False
    is_full: bool = False  # `generate` books every seat
    booked: list[int] = field(default_factory=list)  # user ids holding seats 1..len


@dataclass
class Activity:
    id: int
    title: str
    format: str
    level: str
    minutes: int
    competences: dict[int, float]  # competence id → weight, the main one first
    departments: frozenset[int] = frozenset()
    job_roles: frozenset[int] = frozenset()
    status: str = "published"
    is_repeatable: bool = False
    sessions: list[Session] = field(default_factory=list)

    @property
    def is_scheduled(self) -> bool:
        return self.format in SCHEDULED


@dataclass
class Goal:
    id: int
    competence_id: int
    target_level: int
    activity_ids: tuple[int, ...] = ()


@dataclass
class Person:
    id: int
    department_id: int
    job_role_id: int
    self_levels: dict[int, int] = field(default_factory=dict)  # empty: never assessed
    agreed_levels: dict[int, int] = field(default_factory=dict)
    motivation: dict[int, int] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    completed: dict[int, datetime] = field(default_factory=dict)  # activity id → when
    booked: set[int] = field(default_factory=set)  # activity ids
    not_interested: set[int] = field(default_factory=set)

    @property
    def assessed(self) -> dict[int, int]:
        """DESIGN §4: the agreed level where the manager set one, else the self level."""
        return {c: self.agreed_levels.get(c, level) for c, level in self.self_levels.items()}


@dataclass
class Organisation:
    now: datetime
    areas: list[tuple[str, str]]  # (code, name)
    competences: dict[int, tuple[str, str, str]]  # id → (area code, code, name)
    roles: dict[int, str]
    expected: dict[int, dict[int, int]]  # job role id → competence id → level
    departments: dict[int, str]
    activities: dict[int, Activity]
    people: dict[int, Person]
    theme_activity_ids: tuple[int, ...]
    theme_title: str = THEME_TITLE

    def gaps(self, person: Person) -> dict[int, int]:
        """The person's needs (DESIGN §4): competence id → expected − assessed, when > 0."""
        expected = self.expected[person.job_role_id]
        return {
            c: expected[c] - level
            for c, level in person.assessed.items()
            if c in expected and expected[c] > level
        }


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _framework(org: Organisation) -> None:
    next_id = 1
    for code, name, names in AREAS:
        org.areas.append((code, name))
        for n, competence in enumerate(names, start=1):
            org.competences[next_id] = (code, f"{code}.{n}", competence)
            next_id += 1


def _roles(org: Organisation, rng: random.Random) -> None:
    general = [c for c, (area, _, _) in org.competences.items() if area != "6"]
    area_six = [c for c, (area, _, _) in org.competences.items() if area == "6"]
    for role_id, (name, _) in enumerate(ROLES, start=1):
        org.roles[role_id] = name
        chosen = rng.sample(general, rng.randint(8, 12))
        if name in AREA_SIX_ROLES:
            chosen += area_six
        org.expected[role_id] = {c: rng.choice((2, 3, 3, 3, 4)) for c in sorted(chosen)}


def _departments(org: Organisation) -> None:
    names = [f"{unit} {place}" for unit in UNITS for place in PLACES]
    org.departments = {n: name for n, name in enumerate(names[:40], start=1)}


def _sessions(
    activity: Activity, now: datetime, rng: random.Random, next_id: Iterator[int]
) -> None:
    """None for a fifth; else 1–3 sessions: some all past, some full, some cancelled."""
    if rng.random() < 0.2:
        return
    kind = rng.random()
    for _ in range(rng.randint(1, 3)):
        days = -rng.randint(3, 120) if kind < 0.15 else rng.randint(2, 120)  # all past: 15 %
        hour = rng.choice((7, 8, 12, 13))  # UTC: 9 or 10, 14 or 15 in Stockholm
        starts = (now + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
        capacity = 1 if activity.format == "coaching" else rng.randint(8, 40)
        session = Session(next(next_id), starts, capacity, is_cancelled=rng.random() < 0.05)
        if 0.15 <= kind < 0.27:  # every seat is taken (filled with people later)
            session.capacity, session.is_full = min(capacity, rng.randint(2, 6)), True
        activity.sessions.append(session)


def _activities(org: Organisation, count: int, rng: random.Random) -> None:
    ids = list(org.competences)
    # Security and data handling are what most of the catalogue is about, area 6 the least.
    area_weight = {"1": 4, "2": 4, "3": 3, "4": 6, "5": 4, "6": 1}
    cum = list(accumulate(area_weight[org.competences[c][0]] for c in ids))
    formats = tuple((name, share) for name, (share, _, _) in FORMATS.items())
    session_ids = iter(range(1, 10**9))
    departments, roles = list(org.departments), list(org.roles)
    for n in range(1, count + 1):
        fmt = _weighted(rng, formats)
        _, low, high = FORMATS[fmt]
        main = ids[bisect_right(cum, rng.random() * cum[-1])]
        competences = {main: 1.0}
        for _ in range(rng.choices((0, 1, 2), weights=(50, 35, 15))[0]):
            area = org.competences[main][0]
            same = [c for c in ids if org.competences[c][0] == area and c not in competences]
            pool = same if same and rng.random() < 0.7 else [c for c in ids if c not in competences]
            competences[rng.choice(pool)] = rng.choice((0.3, 0.5, 0.7))
        level = _weighted(rng, LEVEL_SHARES)
        code, name = org.competences[main][1:]
        activity = Activity(
            id=n, title=f"{name} ({code}), {level} {n}", format=fmt, level=level,
            minutes=rng.randint(low, high) // 5 * 5 or 5, competences=competences,
            is_repeatable=rng.random() < 0.05,
        )  # fmt: skip
        audience = rng.random()
        if audience < 0.08:
            activity.departments = frozenset(rng.sample(departments, rng.randint(1, 3)))
        elif audience < 0.15:
            activity.job_roles = frozenset(rng.sample(roles, rng.randint(1, 2)))
        status = rng.random()
        activity.status = "archived" if status < 0.04 else "draft" if status < 0.06 else "published"
        if activity.is_scheduled:
            _sessions(activity, org.now, rng, session_ids)
        org.activities[n] = activity


def _theme(org: Organisation, rng: random.Random) -> None:
    security = {c for c, (area, _, _) in org.competences.items() if area == "4"}
    fitting = [
        a.id
        for a in org.activities.values()
        if a.status == "published" and not a.departments and not a.job_roles
        and next(iter(a.competences)) in security
        and (not a.is_scheduled or any(s.starts_at > org.now for s in a.sessions))
    ]  # fmt: skip
    org.theme_activity_ids = tuple(sorted(rng.sample(fitting, min(THEME_SIZE, len(fitting)))))


def _assess(person: Person, expected: dict[int, int], rng: random.Random) -> None:
    """Self and agreed levels with known needs of 1–3 levels in about 30 % of competences."""
    drive = rng.choice((2, 3, 3, 4, 4, 5))
    agrees = rng.random() < 0.3
    for competence, level in expected.items():
        if rng.random() < 0.3:
            assessed = max(1, level - rng.choices((1, 2, 3), weights=(60, 30, 10))[0])
        else:
            assessed = min(5, level + rng.choice((0, 0, 1)))
        if agrees:
            person.agreed_levels[competence] = assessed
            person.self_levels[competence] = max(1, min(5, assessed + rng.choice((-1, 0, 0, 1))))
        else:
            person.self_levels[competence] = assessed
        person.motivation[competence] = max(1, min(5, drive + rng.choice((-1, 0, 0, 1))))


def _plan(
    org: Organisation,
    person: Person,
    by_competence: dict[int, list[int]],
    rng: random.Random,
    next_goal: Iterator[int],
) -> None:
    gaps = org.gaps(person)
    assessed = person.assessed
    chosen = sorted(gaps) or [c for c in sorted(assessed) if assessed[c] < 5]
    for competence in rng.sample(chosen, min(len(chosen), rng.randint(1, 2))):
        target = org.expected[person.job_role_id][competence]
        target = max(target, assessed[competence] + 1)
        options = by_competence.get(competence, [])
        picks = tuple(rng.sample(options, min(len(options), rng.choice((0, 1, 1, 2)))))
        person.goals.append(Goal(next(next_goal), competence, min(target, 5), picks))


def _completions(org: Organisation, rng: random.Random) -> None:
    """0–10 completions each, drawn by a skewed popularity that favours the role's competences."""
    done = [a for a in org.activities.values() if a.status != "draft"]
    appeal = {a.id: 1.0 / (rank + 10) for rank, a in enumerate(rng.sample(done, len(done)))}
    cums = {}
    for role_id, expected in org.expected.items():
        weights = (appeal[a.id] * (4 if expected.keys() & a.competences else 1) for a in done)
        cums[role_id] = list(accumulate(weights))
    for person in org.people.values():
        count = rng.choices(range(11), weights=(14, 12, 12, 12, 10, 10, 8, 8, 6, 4, 4))[0]
        picks = rng.choices(done, cum_weights=cums[person.job_role_id], k=count)
        for activity in picks:
            past = [s.starts_at for s in activity.sessions if s.starts_at < org.now]
            when = rng.choice(past) if past else org.now - timedelta(days=rng.randint(1, 400))
            person.completed[activity.id] = when


def _bookings(org: Organisation, rng: random.Random) -> None:
    """Fill the full sessions; put a few people on the others (future ones only)."""
    people = list(org.people.values())
    for activity in org.activities.values():
        if activity.status != "published":
            continue
        for session in activity.sessions:
            if session.starts_at < org.now or session.is_cancelled:
                continue
            full = session.is_full
            seats = session.capacity if full else rng.randint(0, session.capacity // 3)
            for person in rng.sample(people, seats):
                if activity.id not in person.completed and activity.id not in person.booked:
                    session.booked.append(person.id)
                    person.booked.add(activity.id)
            if full:  # those already done or booked leave seats: fill them with others
                while len(session.booked) < session.capacity:
                    person = rng.choice(people)
                    if activity.id not in person.completed and activity.id not in person.booked:
                        session.booked.append(person.id)
                        person.booked.add(activity.id)


def generate(
    people: int = 10_000, activities: int = 5_000, *, now: datetime, seed: int = 9
) -> Organisation:
    """The whole organisation; `now` is an aware UTC datetime that the dates are relative to."""
    rng = random.Random(seed)
    org = Organisation(now, [], {}, {}, {}, {}, {}, {}, ())
    _framework(org)
    _roles(org, rng)
    _departments(org)
    _activities(org, activities, rng)
    _theme(org, rng)
    role_ids = list(org.roles)
    shares = [share for _, share in ROLES]
    departments = list(org.departments)
    goal_ids = iter(range(1, 10**9))
    open_to_all: dict[int, list[int]] = {}  # competence id → published activities for everyone
    for a in org.activities.values():
        if a.status == "published" and not a.departments and not a.job_roles:
            for c in a.competences:
                open_to_all.setdefault(c, []).append(a.id)
    for n in range(1, people + 1):
        role = rng.choices(role_ids, weights=shares)[0]
        person = Person(n, rng.choice(departments), role)
        if rng.random() >= 0.15:  # 15 % never assessed: the cold start
            _assess(person, org.expected[role], rng)
            if rng.random() < 0.3:
                _plan(org, person, open_to_all, rng, goal_ids)
        org.people[n] = person
    _completions(org, rng)
    _bookings(org, rng)
    published = [a.id for a in org.activities.values() if a.status == "published"]
    for person in org.people.values():
        if rng.random() < 0.05:
            person.not_interested = set(rng.sample(published, rng.randint(1, 3)))
    return org


# --- plain data for the engine ---------------------------------------------------------------


def next_open_session(activity: Activity, now: datetime) -> datetime | None:
    """The start of the next future, not cancelled session with a free seat."""
    open_ = [
        s.starts_at
        for s in activity.sessions
        if s.starts_at > now and not s.is_cancelled and len(s.booked) < s.capacity
    ]
    return min(open_, default=None)


def candidates(org: Organisation) -> list[Candidate]:
    return [
        Candidate(
            activity_id=a.id, competences=dict(a.competences), level=a.level, format=a.format,
            minutes=a.minutes, departments=a.departments, job_roles=a.job_roles,
            status=a.status, is_repeatable=a.is_repeatable, is_scheduled=a.is_scheduled,
            next_open_session=next_open_session(a, org.now) if a.is_scheduled else None,
        )
        for a in org.activities.values()
    ]  # fmt: skip


def labels(org: Organisation) -> dict[int, CompetenceLabel]:
    return {c: CompetenceLabel(code, name) for c, (_, code, name) in org.competences.items()}


def completions_in_role(org: Organisation, days: int | None = None) -> dict[int, Counter[int]]:
    """Job role id → published activity id → people in the role who completed it (in the
    last `days` days when given)."""
    since = org.now - timedelta(days=days) if days is not None else None
    counts: dict[int, Counter[int]] = {role: Counter() for role in org.roles}
    for person in org.people.values():
        counts[person.job_role_id].update(
            a
            for a, when in person.completed.items()
            if org.activities[a].status == "published" and (since is None or when >= since)
        )
    return counts


def popular_in_role(org: Organisation) -> dict[int, dict[int, int]]:
    """What `lms.recommend.profiles` loads: per job role, the POPULAR_PER_ROLE published
    activities most completed in the last POPULAR_DAYS days (ties: lowest id first)."""
    return {
        role: dict(sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:POPULAR_PER_ROLE])
        for role, counter in completions_in_role(org, POPULAR_DAYS).items()
    }


def profiles(org: Organisation) -> list[Profile]:
    theme = ThemeInfo(org.theme_title, frozenset(org.theme_activity_ids))
    popular = popular_in_role(org)
    return [
        Profile(
            user_id=p.id, job_role_id=p.job_role_id, job_role_name=org.roles[p.job_role_id],
            department_id=p.department_id, expected=org.expected[p.job_role_id],
            assessed=p.assessed, agreed=frozenset(p.agreed_levels), motivation=p.motivation,
            plan_goals=tuple(
                PlanGoal(g.id, g.competence_id, g.target_level, frozenset(g.activity_ids))
                for g in p.goals
            ),
            completed=frozenset(p.completed), booked=frozenset(p.booked),
            not_interested=frozenset(p.not_interested), theme=theme,
            popular_in_role=popular[p.job_role_id],
        )
        for p in org.people.values()
    ]  # fmt: skip


def is_eligible(candidate: Candidate, profile: Profile) -> bool:
    """The engine's "never recommended" rules, restated for the baselines."""
    if candidate.status != "published" or candidate.activity_id in profile.not_interested:
        return False
    if candidate.activity_id in profile.completed and not candidate.is_repeatable:
        return False
    if candidate.activity_id in profile.booked:
        return False
    if candidate.departments and profile.department_id not in candidate.departments:
        return False
    if candidate.job_roles and profile.job_role_id not in candidate.job_roles:
        return False
    return not (candidate.is_scheduled and candidate.next_open_session is None)
