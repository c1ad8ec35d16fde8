"""Concurrent writers on a real database: completions recorded at once in several departments
(and in the same one), while the programme is rebuilt, leave the summary exactly where a fresh
rebuild puts it — no update lost, none counted twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.db import make_engine, run_with_retry
from lms.reports.esf_summary import rebuild_programme
from lms.reports.models import Programme
from tests.conftest import make_database
from tests.reports.esf_builders import complete, person, programme, unit
from tests.reports.esf_summary_support import (
    assert_rebuild_changes_nothing,
    connect_upkeep,
    contents,
)

DEPARTMENTS = ("Stadsbiblioteket", "Stadsmuseet", "Konsthallen")


@pytest.fixture(autouse=True)
def _upkeep() -> Iterator[None]:
    connect_upkeep()
    yield


_ENGINES: list[Engine] = []


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    """Close the tests' own pools even when an assertion fails (an open connection would
    keep the next test from recreating its database)."""
    yield
    while _ENGINES:
        _ENGINES.pop().dispose()


def _setup(url: str) -> tuple[Engine, int, list[int]]:
    engine = make_engine(url, **({} if url.startswith("sqlite") else {"pool_size": 30}))
    _ENGINES.append(engine)
    with Session(engine, expire_on_commit=False) as setup:
        org, depts = unit(setup, "Kulturförvaltningen", *DEPARTMENTS)
        people = [person(setup, org, depts[DEPARTMENTS[n % 3]]) for n in range(6)]
        made = programme(setup, date(2024, 1, 1), date(2024, 12, 31), organisations=[org])
        rebuild_programme(setup, made)
        setup.commit()
        return engine, made.id, [p.id for p in people]


def _in_threads(app: Flask, jobs: list[Callable[[], None]]) -> None:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        with app.app_context():
            barrier.wait()
            try:
                job()
            except BaseException as error:  # reported in the test's thread
                errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []


def _unit_of_work(engine: Engine, work: Callable[[Session], Any]) -> Callable[[], None]:
    def job() -> None:
        with Session(engine, expire_on_commit=False) as own:

            def attempt() -> None:
                work(own)
                own.commit()

            run_with_retry(attempt, attempts=20, session=own)

    return job


def test_concurrent_completions_and_rebuilds_lose_nothing(
    app: Flask, backend: str, tmp_path: Path
) -> None:
    url = make_database(backend, tmp_path, pg_name="summary_race")
    engine, programme_id, user_ids = _setup(url)

    def completing(user_id: int, n: int) -> Callable[[Session], Any]:
        def work(own: Session) -> None:
            day = date(2024, 3, 1) + timedelta(days=n % 5)  # people share month cells
            complete(own, own.get_one(User, user_id), day, 10 + n)

        return work

    def rebuilding(own: Session) -> None:
        rebuild_programme(own, own.get_one(Programme, programme_id))

    jobs = [_unit_of_work(engine, completing(user_ids[n % 6], n)) for n in range(18)]
    jobs[5:5] = [_unit_of_work(engine, rebuilding)]
    jobs[12:12] = [_unit_of_work(engine, rebuilding)]
    _in_threads(app, jobs)
    with Session(engine) as check:
        made = check.get_one(Programme, programme_id)
        kept = contents(check, made)
        rebuild_programme(check, made)
        assert contents(check, made) == kept
        assert sum(row[-2] for row in kept["programme_participants"]) == 18  # completions
        check.rollback()


def test_two_completions_of_one_person_at_once_make_one_participant_of_the_activity(
    app: Flask, backend: str, tmp_path: Path
) -> None:
    """The second transaction must read the first one's completion before deciding whether
    it is the person's first of the activity: it waits for the person's lock taken by the
    upkeep (PostgreSQL; the recommendation receiver's row lock on the person's state happens
    to serialise them too) or the write lock (SQLite) while the first one is still open."""
    url = make_database(backend, tmp_path, pg_name="summary_same_person")
    engine, programme_id, user_ids = _setup(url)
    first = Session(engine, expire_on_commit=False)
    complete(first, first.get_one(User, user_ids[0]), date(2024, 3, 4), 30)  # not committed
    later = threading.Thread(
        target=_unit_of_work(
            engine,
            lambda own: complete(own, own.get_one(User, user_ids[0]), date(2024, 3, 5), 20),
        )
    )
    with app.app_context():
        later.start()
        time.sleep(0.5)  # the second one is waiting by now (or has not started: also fine)
        first.commit()
        first.close()
        later.join(timeout=60)
    with Session(engine) as check:
        made = check.get_one(Programme, programme_id)
        outside = [r for r in contents(check, made)["programme_activity_hours"] if r[2] == 0]
        assert [row[-3:] for row in outside] == [(50, 2, 1)]  # minutes, completions, people
        assert_rebuild_changes_nothing(check, made)
        check.rollback()
