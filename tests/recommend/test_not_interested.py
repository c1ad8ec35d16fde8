""" "Inte intresserad": marking removes and remembers, undoing lets the activity come back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.errors import NotFound
from lms.core.time import utcnow
from lms.recommend.cache import refresh_users
from lms.recommend.models import NotInterested, Recommendation, RecommendationState
from lms.recommend.services import get_mark_target, mark_not_interested, undo_not_interested
from tests import factories
from tests.assessment import factories as af
from tests.catalog import factories as cf
from tests.catalog.factories import role_with_expectations
from tests.recommend.display import cache


@pytest.fixture
def fatima(session: Session) -> User:
    return factories.user(session, name="Fatima Ahmed")


def marks(session: Session, user: User) -> list[int]:
    return list(
        session.scalars(select(NotInterested.activity_id).where(NotInterested.user_id == user.id))
    )


def cached_ids(session: Session, user: User) -> list[int]:
    return list(
        session.scalars(
            select(Recommendation.activity_id)
            .where(Recommendation.user_id == user.id)
            .order_by(Recommendation.position)
        )
    )


def test_marking_takes_the_activity_out_of_the_cache_and_remembers_it(
    session: Session, fatima: User
) -> None:
    first = cf.activity(session, title="Skydda personuppgifter i vardagen")
    second = cf.activity(session, title="Känn igen nätfiske")
    cache(session, fatima, [first, second])
    mark = mark_not_interested(session, fatima, first, now=utcnow())
    assert (mark.user_id, mark.activity_id) == (fatima.id, first.id)
    assert cached_ids(session, fatima) == [second.id]
    assert marks(session, fatima) == [first.id]


def test_marking_twice_keeps_one_mark(session: Session, fatima: User) -> None:
    activity = cf.activity(session, title="Känn igen nätfiske")
    first = mark_not_interested(session, fatima, activity, now=utcnow())
    again = mark_not_interested(session, fatima, activity, now=utcnow())
    assert again is first
    count = select(func.count()).select_from(NotInterested)
    assert session.scalar(count.where(NotInterested.user_id == fatima.id)) == 1


def test_only_published_activities_can_be_marked(session: Session, fatima: User) -> None:
    draft = cf.activity(session, title="Utkast om AI", status="draft")
    with pytest.raises(NotFound):
        mark_not_interested(session, fatima, draft, now=utcnow())
    assert marks(session, fatima) == []


def test_marks_are_per_person(session: Session, fatima: User) -> None:
    lan = factories.user(session, name="Lan Nguyen")
    activity = cf.activity(session, title="Känn igen nätfiske")
    cache(session, lan, [activity])
    mark_not_interested(session, fatima, activity, now=utcnow())
    assert cached_ids(session, lan) == [activity.id]
    assert marks(session, lan) == []
    assert undo_not_interested(session, lan, activity, now=utcnow()) is False
    assert marks(session, fatima) == [activity.id]


def test_undo_deletes_the_mark_and_marks_the_cache_stale(session: Session, fatima: User) -> None:
    activity = cf.activity(session, title="Känn igen nätfiske")
    cache(session, fatima, [activity])
    mark_not_interested(session, fatima, activity, now=utcnow())
    assert undo_not_interested(session, fatima, activity, now=utcnow()) is True
    assert marks(session, fatima) == []
    session.expire_all()
    state = session.get(RecommendationState, fatima.id)
    assert state is not None and state.stale_since is not None


def test_undo_without_a_mark_changes_nothing(session: Session, fatima: User) -> None:
    activity = cf.activity(session, title="Känn igen nätfiske")
    cache(session, fatima, [activity])
    assert undo_not_interested(session, fatima, activity, now=utcnow()) is False
    session.expire_all()
    state = session.get(RecommendationState, fatima.id)
    assert state is not None and state.stale_since is None


def test_the_buttons_reach_published_activities_and_ones_already_marked(
    session: Session, fatima: User
) -> None:
    published = cf.activity(session, title="Publicerad", slug="publicerad")
    draft = cf.activity(session, title="Utkast", slug="utkast", status="draft")
    archived = cf.activity(session, title="Arkiverad", slug="arkiverad")
    mark_not_interested(session, fatima, archived, now=utcnow())
    archived.status = "archived"
    session.flush()
    assert get_mark_target(session, fatima, "publicerad") is published
    assert get_mark_target(session, fatima, "arkiverad") is archived  # its mark can be undone
    assert get_mark_target(session, fatima, "utkast") is None
    assert draft.id and get_mark_target(session, fatima, "finns-inte") is None
    lan = factories.user(session, name="Lan Nguyen")
    assert get_mark_target(session, lan, "arkiverad") is None


def test_a_mark_survives_every_refresh_and_undo_brings_the_activity_back(
    session: Session,
) -> None:
    """With the real engine: a gap in 4.2 recommends both 4.2 activities; one is marked."""
    role = role_with_expectations(session, "Bibliotekarie", {"4.2": 3, "1.1": 3})
    person = factories.user(session, name="Fatima Ahmed", role=role)
    round_ = af.assessment_round(session, "Skattning våren 2026")
    af.assessment(session, person, round_, {"4.2": (1, 5), "1.1": (3, 3)})
    kept = cf.activity(session, title="Skydda personuppgifter i vardagen", competences={"4.2": 1})
    marked = cf.activity(session, title="GDPR för bibliotekarier", competences={"4.2": 1})
    now = utcnow()
    refresh_users(session, [person.id], now=now)
    assert {kept.id, marked.id} <= set(cached_ids(session, person))

    mark_not_interested(session, person, marked, now=now)
    assert marked.id not in cached_ids(session, person)
    refresh_users(session, [person.id], now=utcnow())
    assert kept.id in cached_ids(session, person)
    assert marked.id not in cached_ids(session, person)

    undo_not_interested(session, person, marked, now=utcnow())
    refresh_users(session, [person.id], now=utcnow())
    assert marked.id in cached_ids(session, person)
