"""Every discover page runs the same number of queries for a small and a large catalogue."""

from __future__ import annotations

import time
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from lms.accounts.models import User
from tests import factories
from tests.catalog import factories as cf
from tests.discover import helpers

THEME_URL = "/teman/2026-10/informationssakerhet"


def _analyze(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Fresh statistics after a bulk insert, as autovacuum keeps them in production.
        session.execute(text("ANALYZE"))


def _count(client: FlaskClient, count_queries: Any, url: str) -> tuple[int, float]:
    client.get(url)  # warm the statement caches once
    started = time.perf_counter()
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count, time.perf_counter() - started


def _people_with_completions(session: Session, dept: Any, activity_ids: list[int]) -> User:
    viewer = factories.user(session, dept=dept)
    for activity_id in activity_ids[:8]:
        helpers.completion(session, factories.user(session, dept=dept), activity_id)
    return viewer


def test_theme_month_page_queries_do_not_grow_with_its_activities(
    client: FlaskClient, session: Session, auth: Any, count_queries: Any
) -> None:
    dept = factories.department(session, "Stadsbiblioteket")
    theme = helpers.theme(session, banner=helpers.upload(session), banner_alt="Höstlöv")
    theme.departments = [dept]
    few = helpers.bulk_activities(session, 5, prefix="fa")
    helpers.curate(session, theme, few)
    viewer = _people_with_completions(session, dept, few)
    helpers.completion(session, viewer, few[0])
    session.commit()
    auth.login(viewer.email)
    small, _ = _count(client, count_queries, THEME_URL)

    many = helpers.bulk_activities(session, 35, prefix="fb")
    helpers.bulk_activities(session, 960, prefix="fc")  # the rest of a large catalogue
    session.refresh(theme)
    helpers.curate(session, theme, many)
    for activity_id in many[:10]:
        helpers.completion(session, factories.user(session, dept=dept), activity_id)
    _analyze(session)
    session.commit()
    large, seconds = _count(client, count_queries, THEME_URL)
    assert large == small
    assert small <= 14
    assert seconds < 5


def test_themes_index_queries_do_not_grow_with_the_archive(
    client: FlaskClient, session: Session, employee: User, count_queries: Any
) -> None:
    dept = factories.department(session, "Kulturskolan")
    upload = helpers.upload(session)
    first = helpers.theme(
        session, year=2025, month=1, slug="forsta", departments=[dept], banner=upload
    )
    helpers.curate(session, first, helpers.bulk_activities(session, 10, prefix="ia"))
    session.commit()
    small, _ = _count(client, count_queries, "/teman")

    for n in range(30):
        helpers.theme(
            session, year=2020 + n // 12, month=n % 12 + 1, slug=f"tema-{n}", banner=upload
        )
    helpers.curate(session, first, helpers.bulk_activities(session, 990, prefix="ib"))
    _analyze(session)
    session.commit()
    large, seconds = _count(client, count_queries, "/teman")
    assert large == small
    assert small <= 10
    assert seconds < 5


def _entrance_counts(
    client: FlaskClient, session: Session, count_queries: Any, url: str, **bulk: Any
) -> None:
    helpers.bulk_activities(session, 10, prefix="ea", **bulk)
    session.commit()
    small, _ = _count(client, count_queries, url)
    helpers.bulk_activities(session, 990, prefix="eb", **bulk)
    _analyze(session)
    session.commit()
    large, seconds = _count(client, count_queries, url)
    assert large == small, url
    assert small <= 10, url
    assert seconds < 5, url


def test_subject_page_queries_do_not_grow_with_its_activities(
    client: FlaskClient, session: Session, employee: User, count_queries: Any
) -> None:
    _entrance_counts(
        client, session, count_queries, "/amnen/digital-arbetsplats", subject="digital-arbetsplats"
    )


def test_area_page_queries_do_not_grow_with_its_activities(
    client: FlaskClient, session: Session, employee: User, count_queries: Any
) -> None:
    _entrance_counts(client, session, count_queries, "/omraden/4", competence="4.2")


def test_department_page_queries_do_not_grow_with_its_activities(
    client: FlaskClient, session: Session, employee: User, count_queries: Any
) -> None:
    dept = factories.department(session, "Museer och konst")
    helpers.theme(session, departments=[dept])
    _entrance_counts(client, session, count_queries, f"/avdelningar/{dept.id}", department=dept)


def test_entrance_indexes_query_counts_do_not_grow(
    client: FlaskClient, session: Session, employee: User, count_queries: Any
) -> None:
    cf.framework(session)
    dept = factories.department(session, "Kulturskolan")
    helpers.bulk_activities(
        session, 10, prefix="xa", subject="digital-arbetsplats", department=dept
    )
    session.commit()
    urls = ("/amnen", "/omraden", "/avdelningar")
    small = [_count(client, count_queries, url)[0] for url in urls]
    for n in range(20):
        factories.department(session, f"Avdelning {n}")
    helpers.bulk_activities(
        session, 990, prefix="xb", subject="digital-innovation", department=dept
    )
    _analyze(session)
    session.commit()
    assert [_count(client, count_queries, url)[0] for url in urls] == small
