"""The nightly and the stale refresh jobs, and `lms recommend refresh [--user EMAIL]`."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.jobs import JobContext
from lms.core.time import utcnow
from lms.recommend import cache
from lms.recommend.jobs import refresh_recommendations, refresh_stale_recommendations
from lms.recommend.models import Recommendation, RecommendationState
from tests.recommend import factories as rf

NOW = utcnow().replace(microsecond=0)


def context(app: Flask, session: Session, now=NOW) -> JobContext:  # type: ignore[no-untyped-def]
    return JobContext(session=session, now=now, app=app, log=logging.getLogger("tests"))


def refreshed_at(session: Session, user: User) -> object:
    session.expire_all()
    state = session.get(RecommendationState, user.id)
    return state.refreshed_at if state is not None else None


def cached(session: Session, user: User) -> int:
    stmt = select(func.count()).where(Recommendation.user_id == user.id)
    return int(session.scalar(stmt) or 0)


# --- jobs --------------------------------------------------------------------------------------


def test_the_nightly_job_refreshes_every_active_person(app: Flask, session: Session) -> None:
    rf.activity_on(session, "4.2")
    elin = rf.assessed_person(session, {"4.2": (2, 5)})
    omar = rf.person(session)
    left = rf.person(session)
    left.is_active = False
    session.flush()

    assert refresh_recommendations(context(app, session)) == {"users": 2}
    assert refreshed_at(session, elin) == refreshed_at(session, omar) == NOW
    assert cached(session, elin) == cached(session, omar) == 1  # omar: the cold start
    assert refreshed_at(session, left) is None


def test_the_stale_job_refreshes_the_stale_and_the_never_computed(
    app: Flask, session: Session
) -> None:
    rf.activity_on(session, "4.2")
    up_to_date, marked, new = (rf.person(session) for _ in range(3))
    left = rf.person(session)
    left.is_active = False
    earlier = NOW - timedelta(hours=3)
    cache.refresh_users(session, [up_to_date.id, marked.id], now=earlier)
    cache.mark_stale(session, [marked.id], now=earlier + timedelta(hours=1))

    assert refresh_stale_recommendations(context(app, session)) == {"users": 2}
    assert refreshed_at(session, up_to_date) == earlier
    assert refreshed_at(session, marked) == refreshed_at(session, new) == NOW
    assert refreshed_at(session, left) is None
    assert refresh_stale_recommendations(context(app, session)) == {"users": 0}


# --- the command -------------------------------------------------------------------------------

DONE = re.compile(r"^Refreshed recommendations for (\S+) (person|people) in \d+\.\d+ s\.$")


def test_refresh_everyone_from_the_command_line(app: Flask, session: Session) -> None:
    rf.activity_on(session, "4.2")
    people = [rf.assessed_person(session, {"4.2": (2, 5)}) for _ in range(3)]
    session.commit()
    result = app.test_cli_runner().invoke(args=["lms", "recommend", "refresh"])
    assert result.exit_code == 0, result.output
    match = DONE.match(result.output.strip())
    assert match is not None, result.output
    assert match.group(1) == str(len(people)) and match.group(2) == "people"
    assert all(cached(session, person) == 1 for person in people)


def test_refresh_one_person_by_email(app: Flask, session: Session) -> None:
    rf.activity_on(session, "4.2")
    elin = rf.assessed_person(session, {"4.2": (2, 5)}, email="elin.lindqvist@kultur.example.se")
    omar = rf.assessed_person(session, {"4.2": (2, 5)})
    session.commit()
    args = ["lms", "recommend", "refresh", "--user", "Elin.Lindqvist@kultur.example.se"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert DONE.match(result.output.strip()) is not None, result.output
    assert "for 1 person in" in result.output
    assert cached(session, elin) == 1 and cached(session, omar) == 0


def test_an_unknown_or_deactivated_email_is_an_error_and_writes_nothing(
    app: Flask, session: Session
) -> None:
    rf.activity_on(session, "4.2")
    left = rf.person(session, email="slutat@kultur.example.se")
    left.is_active = False
    session.commit()
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["lms", "recommend", "refresh", "--user", "ingen@example.se"])
    assert unknown.exit_code == 1
    assert "ingen@example.se is no person" in unknown.output
    gone = runner.invoke(args=["lms", "recommend", "refresh", "--user", left.email])
    assert gone.exit_code == 1
    assert "deactivated" in gone.output
    assert not session.scalar(select(func.count()).select_from(RecommendationState))
