"""The start page runs the same number of queries for 10 and for 1,000 activities, and for a
person with a few or with many bookings, saved activities, tasks, started courses and
recommendations (with their reasons)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, User
from lms.catalog.models import Activity, ActivitySession
from lms.core.access import Permission
from lms.core.time import local_date, utcnow
from tests import factories
from tests.catalog import factories as cf
from tests.home import factories as hf
from tests.recommend import display as rd
from tests.transfer import factories as tf


def give_learning(session: Session, person: User, department: Department, n: int) -> None:
    """`n` each of bookings, saved activities, follow-ups and started courses for `person`."""
    sessions = session.scalars(
        select(ActivitySession)
        .join(Activity, Activity.id == ActivitySession.activity_id)
        .where(Activity.format == "workshop")
        .order_by(ActivitySession.id.desc())
        .limit(n)
    ).all()
    for occurrence in sessions:
        hf.book(session, person, occurrence)
    for activity in session.scalars(
        select(Activity)
        .where(Activity.format == "nanolesson")
        .order_by(Activity.id.desc())
        .limit(n)
    ):
        hf.save(session, person, activity)
    for i in range(n):
        nano = cf.activity(session, title=f"Med uppföljning {i}", departments=[department])
        tf.task(session, nano, phase="follow_up", title=f"Uppföljning {i}")
        tf.complete(session, person, nano, at=utcnow() - timedelta(days=i * 5))
        course = cf.activity(session, title=f"Kurs {i}", format="course")
        first = cf.lesson(session, course, title="Första", slug="forsta")
        cf.lesson(session, course, title="Andra", slug="andra")
        hf.enrol(session, person, course, current_lesson=first if i % 2 else None)


def recommend(session: Session, person: User, n: int) -> None:
    """A fresh cache of `n` recommendations (scheduled ones with sessions among them)."""
    activities = session.scalars(
        select(Activity)
        .where(Activity.title.like("Digital vardag%"))
        .order_by(Activity.id.desc())
        .limit(n)
    ).all()
    reasons = [rd.gap(), rd.theme(), rd.short()]
    rd.cache(session, person, activities, reasons=[reasons] * len(activities))


def measure(client: FlaskClient, count_queries: Any) -> tuple[int, float, str]:
    client.get("/")  # warm up caches (templates, translations)
    started = time.perf_counter()
    with count_queries() as counter:
        response = client.get("/")
    assert response.status_code == 200
    return counter.count, time.perf_counter() - started, response.get_data(as_text=True)


def test_the_start_page_runs_the_same_queries_however_much_there_is(
    client: FlaskClient, session: Session, auth: Any, count_queries: Any
) -> None:
    library = factories.department(session, "Stadsbiblioteket")
    person = factories.user(
        session, name="Fatima Ahmed", dept=library, permissions=Permission.MANAGER
    )
    factories.user(session, manager=person)
    today = local_date(utcnow())
    hf.theme(session, year=today.year, month=today.month, departments=[library])
    hf.theme(session, year=hf.month_after(today)[0], month=hf.month_after(today)[1])
    hf.many_activities(session, 5, department=library)
    hf.many_activities(session, 5)
    give_learning(session, person, library, 1)
    recommend(session, person, 5)
    session.commit()
    assert auth.login(person.email).status_code == 302
    small, _, html = measure(client, count_queries)
    assert "Fatima" in html and "Uppföljning 0" in html
    assert html.count("/inte-intresserad") == 5

    hf.many_activities(session, 400, department=library)
    hf.many_activities(session, 590)
    give_learning(session, person, library, 12)
    recommend(session, person, 20)
    session.commit()
    large, seconds, html = measure(client, count_queries)
    assert "Uppföljning 11" in html  # the most urgent of the many follow-ups
    assert html.count("/inte-intresserad") == 5  # the best five of twenty
    assert small == large, f"{small} queries with little data, {large} with much"
    assert small <= 16
    assert seconds < 2.0
