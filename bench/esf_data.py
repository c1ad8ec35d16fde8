"""A synthetic ESF programme's data for bench_esf.py: organisations, people, activities and
completions written with Core bulk inserts (COPY on PostgreSQL), seeded so runs compare.

    people      --people (100,000): 68 % women, 30 % men, 1 % non-binary, 1 % not stated,
                in 10 organisations of 20 departments; 3 % moved department during the
                programme (a tenth of them to another organisation), 1 % have no department
    activities  --activities (1,500) in every format, each with 1–3 competences of the real
                framework (areas 1–6)
    completions --completions (2,000,000) from 2023-06-01 to 2026-06-30, so about 9 % fall
                outside the programme (2023-09-01 – 2026-03-31), by 85 % of the people,
                a few of whom take far more than the rest:
                catalogue 55 %, attendance 25 % (scheduled formats), import 12 %, external
                learning 8 % (no activity), 1 % credit no minutes; movers' completions before
                their move keep the old department, as the app stores them
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, Organisation, User
from lms.catalog.models import Activity, ActivityCompetence, Format
from lms.core.time import STOCKHOLM, utcnow
from lms.framework.models import Competence
from lms.progress.models import Completion

ORGANISATIONS = 10
DEPARTMENTS_PER_ORGANISATION = 20
FIRST_DAY, LAST_DAY = date(2023, 6, 1), date(2026, 6, 30)
CHUNK = 10_000
ACTIVE = 0.85
GENDERS = (("woman", 68), ("man", 30), ("non_binary", 1), ("unstated", 1))
FORMAT_MINUTES = {
    Format.NANOLESSON: (5, 15),
    Format.ELEARNING: (20, 60),
    Format.COURSE: (60, 240),
    Format.LECTURE: (45, 120),
    Format.WORKSHOP: (120, 240),
    Format.COACHING: (30, 90),
    Format.NETWORK: (60, 180),
    Format.EXTERNAL: (60, 480),
}
FORMAT_SHARE = (8, 4, 2, 3, 2, 1, 1, 1)  # nano-lessons are the most common
SCHEDULED = {Format.LECTURE, Format.WORKSHOP, Format.COACHING, Format.NETWORK}


@dataclass
class Person:
    user_id: int
    organisation_id: int
    department_id: int | None
    moved_on: date | None = None  # before it: the old organisation and department
    old_organisation_id: int = 0
    old_department_id: int | None = None


@dataclass
class Generated:
    organisations: list[int]
    departments: dict[int, list[int]]  # organisation id → department ids
    people: list[Person]
    activities: list[tuple[int, str, int]] = field(default_factory=list)  # id, format, minutes
    completions: int = 0


def build(
    session: Session, people: int, activities: int, completions: int, seed: int = 10
) -> Generated:
    """Everything in one go; commits."""
    rng = random.Random(seed)
    made = _units(session)
    made.people = _people(session, rng, made, people)
    made.activities = _activities(session, rng, activities)
    session.commit()
    made.completions = _completions(session, rng, made, completions)
    session.commit()
    return made


def _units(session: Session) -> Generated:
    orgs = [Organisation(name=f"Kommun {n + 1:02d}") for n in range(ORGANISATIONS)]
    session.add_all(orgs)
    session.flush()
    departments: dict[int, list[int]] = {}
    for org in orgs:
        depts = [
            Department(organisation_id=org.id, name=f"Avdelning {org.id:02d}-{n + 1:02d}")
            for n in range(DEPARTMENTS_PER_ORGANISATION)
        ]
        session.add_all(depts)
        session.flush()
        departments[org.id] = [d.id for d in depts]
    return Generated([o.id for o in orgs], departments, [])


def _people(session: Session, rng: random.Random, made: Generated, count: int) -> list[Person]:
    genders = [g for g, share in GENDERS for _ in range(share)]
    now = utcnow()
    rows = []
    placed: list[tuple[int, int | None, int, int | None, date | None]] = []
    for n in range(count):
        org = made.organisations[n % ORGANISATIONS]
        dept: int | None = rng.choice(made.departments[org])
        old_org, old_dept, moved_on = org, dept, None
        if rng.random() < 0.03:  # moved during the programme
            moved_on = date(2023, 9, 1) + timedelta(days=rng.randrange(940))
            if rng.random() < 0.1:
                org = rng.choice([o for o in made.organisations if o != old_org])
            dept = rng.choice([d for d in made.departments[org] if d != old_dept])
        elif rng.random() < 0.01:
            dept = old_dept = None
        placed.append((org, dept, old_org, old_dept, moved_on))
        rows.append({
            "email": f"deltagare{n:06d}@kommun.example.se", "name": f"Deltagare {n}",
            "organisation_id": org, "department_id": dept, "gender": rng.choice(genders),
            "created_at": now,
        })  # fmt: skip
    for batch in _chunks(rows):
        session.execute(insert(User.__table__), batch)
    ids = session.scalars(
        select(User.id).where(User.email.like("deltagare%")).order_by(User.email)
    ).all()
    return [
        Person(user_id, org, dept, moved_on, old_org, old_dept)
        for user_id, (org, dept, old_org, old_dept, moved_on) in zip(ids, placed, strict=True)
    ]


def _activities(session: Session, rng: random.Random, count: int) -> list[tuple[int, str, int]]:
    competences = session.scalars(select(Competence.id).order_by(Competence.id)).all()
    formats = [
        f for f, share in zip(FORMAT_MINUTES, FORMAT_SHARE, strict=True) for _ in range(share)
    ]
    now = utcnow()
    rows = []
    for n in range(count):
        fmt = rng.choice(formats)
        low, high = FORMAT_MINUTES[fmt]
        rows.append({
            "slug": f"esf-aktivitet-{n:05d}", "title": f"Aktivitet {n:05d} ({fmt})",
            "format": str(fmt), "level": ("grund", "fördjupning", "spets")[n % 3],
            "delivery": "physical" if fmt in SCHEDULED else "digital",
            "minutes": rng.randint(low, high), "status": "published", "created_at": now,
            "updated_at": now, "published_at": now,
        })  # fmt: skip
    session.execute(insert(Activity.__table__), rows)
    made = session.execute(
        select(Activity.id, Activity.format, Activity.minutes).order_by(Activity.id)
    ).all()
    links = []
    for activity_id, _fmt, _minutes in made:
        for position, competence in enumerate(rng.sample(competences, rng.randint(1, 3))):
            weight = 1.0 if position == 0 else 0.5
            links.append({"activity_id": activity_id, "competence_id": competence,
                          "weight": weight, "position": position})  # fmt: skip
    session.execute(insert(ActivityCompetence.__table__), links)
    return [(a, str(f), m) for a, f, m in made]


def _completions(session: Session, rng: random.Random, made: Generated, count: int) -> int:
    rows = completion_rows(rng, made, count)
    if session.get_bind().dialect.name == "postgresql":
        return _copy(session, rows)
    total = 0
    table: Any = Completion.__table__
    for batch in _chunks(rows):
        session.execute(insert(table), batch)
        total += len(batch)
    return total


COLUMNS = (
    "user_id", "activity_id", "occurrence_key", "title", "completed_at", "completed_on",
    "credited_minutes", "source", "department_id", "organisation_id", "is_pre_task_missing",
    "created_at",
)  # fmt: skip


def _copy(session: Session, rows: Iterator[dict[str, Any]]) -> int:
    """COPY … FROM STDIN through psycopg (tens of times faster than INSERTs)."""
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    total = 0
    with cursor.copy(f"COPY completions ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in COLUMNS])
            total += 1
    return total


def completion_rows(rng: random.Random, made: Generated, count: int) -> Iterator[dict[str, Any]]:
    """The completions as Core rows (completed_on set: Core inserts skip the ORM hook)."""
    days = (LAST_DAY - FIRST_DAY).days + 1
    offsets = {d: _utc_offset(FIRST_DAY + timedelta(days=d)) for d in range(days)}
    created = utcnow()
    size = len(made.people)
    for n in range(count):
        # 85 % of the people take part, a few of them far more than the rest.
        who = made.people[int(size * ACTIVE * rng.random() ** 1.6)]
        day_index = rng.randrange(days)
        day = FIRST_DAY + timedelta(days=day_index)
        local = datetime.combine(day, time(7 + rng.randrange(14), rng.randrange(60)))
        org, dept = who.organisation_id, who.department_id
        if who.moved_on is not None and day < who.moved_on:
            org, dept = who.old_organisation_id, who.old_department_id
        activity, source, title, minutes = _what(rng, made)
        yield {
            "user_id": who.user_id, "activity_id": activity, "occurrence_key": f"bench:{n}",
            "title": title, "completed_at": (local - offsets[day_index]).replace(tzinfo=UTC),
            "completed_on": day, "credited_minutes": minutes, "source": source,
            "department_id": dept, "organisation_id": org, "is_pre_task_missing": False,
            "created_at": created,
        }  # fmt: skip


def _what(rng: random.Random, made: Generated) -> tuple[int | None, str, str, int]:
    """(activity, source, title, credited minutes) of one completion."""
    draw = rng.random()
    if draw < 0.08:
        return None, "external", "Extern konferens", rng.choice((60, 120, 240, 480))
    activity, fmt, minutes = rng.choice(made.activities)
    if rng.random() < 0.01:
        minutes = 0
    if draw < 0.20:
        return activity, "import", f"Aktivitet {activity}", minutes
    source = "attendance" if fmt in SCHEDULED else "catalogue"
    return activity, source, f"Aktivitet {activity}", minutes


def noon(day: date) -> datetime:
    """Noon in Stockholm of a day, as aware UTC."""
    return datetime.combine(day, time(12), tzinfo=STOCKHOLM).astimezone(UTC)


def _utc_offset(day: date) -> timedelta:
    offset = datetime.combine(day, time(12), tzinfo=STOCKHOLM).utcoffset()
    assert offset is not None
    return offset


def _chunks(rows: Any, size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
