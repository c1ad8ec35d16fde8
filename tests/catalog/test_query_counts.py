"""The catalogue page runs the same number of queries for 10 and for 5,000 activities."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from lms.catalog.models import Activity, ActivityCompetence, ActivitySession
from lms.catalog.search import index_activities
from lms.core.time import utcnow
from tests import factories
from tests.catalog import factories as cf

URLS = (
    "/katalog/",
    "/katalog/?q=säkerhet&area=4",
    "/katalog/?upcoming=y&page=2",
    "/katalog/?q=teams&department=mine&format=lecture",
)
TITLES = ("Informationssäkerhet i vardagen", "Teams för nybörjare", "Säkerheten på museet")
FORMATS = ("nanolesson", "lecture", "workshop", "course")


def add_activities(session: Session, start: int, stop: int) -> None:
    """Published activities inserted in bulk with core insert(), then indexed in bulk."""
    framework = cf.framework(session)
    now = utcnow()
    rows = [
        {
            "slug": f"massa-{n:05d}",
            "title": f"{TITLES[n % 3]} {n}",
            "summary": "En sammanfattning om digital kompetens.",
            "body": "Brödtext.",
            "body_html": "<p>Brödtext om lösenord och säkerhet.</p>",
            "quiz": [],
            "format": FORMATS[n % 4],
            "level": "grund",
            "delivery": "digital",
            "minutes": 5 + n % 120,
            "status": "published",
            "language": "sv",
            "is_repeatable": False,
            "created_at": now,
            "updated_at": now,
            "published_at": now,
        }
        for n in range(start, stop)
    ]
    session.execute(insert(Activity.__table__), rows)
    ids = list(
        session.scalars(
            select(Activity.id)
            .where(Activity.slug.in_([row["slug"] for row in rows]))
            .order_by(Activity.slug)
        )
    )
    codes = ("4.1", "4.2", "2.1")
    links = [
        {
            "activity_id": i,
            "competence_id": framework.competences[c].id,
            "weight": 1.0,
            "position": p,
        }
        for i in ids
        for p, c in enumerate(codes[: 1 + i % 3])
    ]
    session.execute(insert(ActivityCompetence.__table__), links)
    sessions = [
        {
            "activity_id": i,
            "starts_at": now + timedelta(days=1 + i % 30),
            "ends_at": now + timedelta(days=1 + i % 30, hours=1),
            "place": "Sal 2",
            "capacity": 20,
            "is_cancelled": False,
        }
        for n, i in enumerate(ids)
        if n % 5 == 0
    ]
    session.execute(insert(ActivitySession.__table__), sessions)
    index_activities(session, ids)
    if session.get_bind().dialect.name == "postgresql":
        # Fresh statistics, as autovacuum keeps them in production; without them the planner
        # takes 5,000 bulk-inserted rows for a handful and picks nested loops.
        session.execute(text("ANALYZE"))


def measure(client: FlaskClient, count_queries: Any) -> tuple[list[int], list[float]]:
    counts, seconds = [], []
    for url in URLS:
        started = time.perf_counter()
        with count_queries() as counter:
            response = client.get(url)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, url
        counts.append(counter.count)
    return counts, seconds


def test_catalogue_query_count_does_not_grow_with_the_catalogue(
    client: FlaskClient, session: Session, auth: Any, count_queries: Any, backend: str
) -> None:
    person = factories.user(session)
    add_activities(session, 0, 10)
    session.commit()
    auth.login(person.email)
    small, _ = measure(client, count_queries)

    add_activities(session, 10, 5000)
    session.commit()
    client.get("/katalog/")  # warm the statement caches once
    large, seconds = measure(client, count_queries)
    assert large == small
    assert max(small) <= 12
    print(f"\n[{backend}] queries per URL {large}; seconds {[round(s, 3) for s in seconds]}")
