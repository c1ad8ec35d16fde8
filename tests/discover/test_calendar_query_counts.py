"""The calendar page runs the same number of queries for 10 and for 1,000 activities."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests import factories
from tests.discover import calendar_factories as cal

URLS = (
    "/kalender/?datum=2030-12-01",
    "/kalender/?vy=vecka&datum=2030-12-09",
    "/kalender/?vy=lista&datum=2030-12-01",
    "/kalender/?datum=2030-12-01&avdelning=mine&format=workshop&amne=digital-arbetsplats",
)
# The first half of December 2030, Stockholm: session n starts on day 1 + n % 15.
STARTS = [cal.local(2030, 12, day, hour) for hour in (9, 13, 16) for day in range(1, 16)]


def _in_week(n: int) -> int:
    """How many of the first n sessions fall in the week of 9–15 December."""
    return sum(1 for i in range(n) if date(2030, 12, 9) <= STARTS[i % len(STARTS)].date())


def _measure(client: FlaskClient, count_queries: Any) -> tuple[list[int], list[int]]:
    counts, sizes = [], []
    for url in URLS:
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200, url
        counts.append(counter.count)
        sizes.append(len(re.findall(r'<li class="cal-entry[ "]', response.get_data(as_text=True))))
    return counts, sizes


def test_calendar_query_count_does_not_grow_with_the_sessions(
    session: Session, client: FlaskClient, auth: Any, count_queries: Any, backend: str
) -> None:
    library = factories.department(session, "Stadsbiblioteket")
    person = factories.user(session, dept=library)
    theme = cal.theme_month(session, year=2030, month=12)
    ids = cal.bulk_sessions(session, 0, 10, STARTS)
    cal.curate(session, theme, ids[:5])
    session.commit()
    auth.login(person.email)
    client.get(URLS[0])  # a first visit (warms what a first request loads)
    small, small_sizes = _measure(client, count_queries)

    cal.bulk_sessions(session, 10, 1000, STARTS)
    if backend == "postgres":
        session.execute(text("ANALYZE"))  # fresh statistics, as autovacuum keeps them
    session.commit()
    large, large_sizes = _measure(client, count_queries)
    assert small_sizes[:3] == [10, _in_week(10), 10]
    assert large_sizes[:3] == [1000, _in_week(1000), 1000]
    assert large == small
    assert max(small) <= 10, small
