"""Reading the cache for display: order, reasons, filters, and what is dropped when shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.time import utcnow
from lms.recommend.data import Reason
from lms.recommend.models import NotInterested, Recommendation
from lms.recommend.queries import list_not_interested, list_recommended
from tests import factories
from tests.catalog import factories as cf
from tests.recommend.display import cache, gap, short, theme
from tests.transfer import factories as tf


@pytest.fixture
def fatima(session: Session) -> User:
    return factories.user(session, name="Fatima Ahmed")


def titles(items: list[Any]) -> list[str]:
    return [item.activity.title for item in items]


def test_the_cache_is_read_best_first_with_its_reasons_and_competence(
    session: Session, fatima: User
) -> None:
    privacy = cf.activity(
        session, title="Skydda personuppgifter i vardagen", competences={"4.2": 1}
    )
    phishing = cf.activity(session, title="Känn igen nätfiske", competences={"4.1": 1})
    competence = cf.framework(session).competences["4.2"]
    cache(
        session,
        fatima,
        [privacy, phishing],
        reasons=[[gap(), short()], [theme()]],
        competence=competence,
    )
    items = list_recommended(session, fatima, now=utcnow())
    assert titles(items) == ["Skydda personuppgifter i vardagen", "Känn igen nätfiske"]
    assert [item.position for item in items] == [1, 2]
    assert [r.kind for r in items[0].reasons] == ["gap", "short"]
    assert items[0].reasons[0].params["competence_code"] == "4.2"
    assert items[0].competence is not None and items[0].competence.code == "4.2"
    assert items[0].score > items[1].score


def test_someone_elses_cache_is_never_shown(session: Session, fatima: User) -> None:
    lan = factories.user(session, name="Lan Nguyen")
    cache(session, lan, [cf.activity(session, title="Lans rekommendation")])
    assert list_recommended(session, fatima, now=utcnow()) == []


def test_the_start_page_gets_the_first_five(session: Session, fatima: User) -> None:
    activities = [cf.activity(session, title=f"Nanolektion {n}") for n in range(8)]
    cache(session, fatima, activities)
    assert titles(list_recommended(session, fatima, now=utcnow())) == [
        f"Nanolektion {n}" for n in range(5)
    ]
    assert len(list_recommended(session, fatima, now=utcnow(), limit=20)) == 8


def test_what_changed_since_the_refresh_is_dropped_when_shown(
    session: Session, fatima: User
) -> None:
    now = utcnow()
    kept = cf.activity(session, title="Fortfarande aktuell")
    archived = cf.activity(session, title="Arkiverad sedan", status="archived")
    marked = cf.activity(session, title="Inte intressant")
    completed = cf.activity(session, title="Redan gjord")
    repeatable = cf.activity(session, title="Gör gärna igen")
    repeatable.is_repeatable = True
    workshop_past = cf.activity(session, title="Workshop som har varit", format="workshop")
    cf.session_of(session, workshop_past, starts_in=timedelta(days=-2), now=now)
    workshop_cancelled = cf.activity(session, title="Inställd workshop", format="workshop")
    cf.session_of(session, workshop_cancelled, cancelled=True, now=now)
    workshop = cf.activity(session, title="Workshop nästa vecka", format="workshop")
    upcoming = cf.session_of(session, workshop, starts_in=timedelta(days=7), now=now)
    cache(
        session,
        fatima,
        [
            kept,
            archived,
            marked,
            completed,
            repeatable,
            workshop_past,
            workshop_cancelled,
            workshop,
        ],
    )
    session.add(NotInterested(user_id=fatima.id, activity_id=marked.id))
    tf.complete(session, fatima, completed, at=now - timedelta(days=1))
    tf.complete(session, fatima, repeatable, at=now - timedelta(days=1))
    items = list_recommended(session, fatima, now=now, limit=20)
    assert titles(items) == ["Fortfarande aktuell", "Gör gärna igen", "Workshop nästa vecka"]
    assert items[2].next_session_at == upcoming.starts_at
    assert items[0].next_session_at is None


def test_filters_narrow_the_list(session: Session, fatima: User) -> None:
    privacy = cf.activity(
        session, title="Integritet på nätet", competences={"4.2": 1}, minutes=10, level="grund"
    )
    sources = cf.activity(
        session,
        title="Källkritik på djupet",
        competences={"1.2": 1},
        format="elearning",
        level="fördjupning",
        minutes=45,
    )
    course = cf.activity(
        session,
        title="Säker digital arbetsplats",
        competences={"1.1": 0.5, "4.1": 1},
        format="course",
        minutes=120,
    )
    cache(session, fatima, [privacy, sources, course])

    def shown(**filters: Any) -> list[str]:
        return titles(list_recommended(session, fatima, now=utcnow(), limit=20, **filters))

    assert shown(area="4") == ["Integritet på nätet", "Säker digital arbetsplats"]
    assert shown(area="1") == ["Källkritik på djupet", "Säker digital arbetsplats"]
    assert shown(area="6") == []
    assert shown(format="elearning") == ["Källkritik på djupet"]
    assert shown(level="fördjupning") == ["Källkritik på djupet"]
    assert shown(max_minutes=45) == ["Integritet på nätet", "Källkritik på djupet"]
    assert shown(max_minutes=10, area="4") == ["Integritet på nätet"]
    assert shown(format="workshop") == []


def test_a_row_with_reasons_of_an_unknown_shape_shows_without_reasons(
    session: Session, fatima: User
) -> None:
    activity = cf.activity(session, title="Gammal rad")
    (row,) = cache(session, fatima, [activity])
    row.reasons = ["ett gammalt format", {"no": "kind"}]  # type: ignore[list-item]
    session.flush()
    (item,) = list_recommended(session, fatima, now=utcnow())
    assert item.reasons == []


def test_the_list_is_one_query_whatever_its_size(
    session: Session, fatima: User, count_queries: Any
) -> None:
    now = utcnow()
    counts = []
    for n in (2, 20):
        activities = [cf.activity(session, title=f"Aktivitet {n}-{i}") for i in range(n)]
        for activity in activities[::3]:
            cf.session_of(session, activity, now=now)
        cache(session, fatima, activities)
        session.expire_all()
        session.refresh(fatima)  # the person is loaded already, as on a page
        with count_queries() as counter:
            items = list_recommended(session, fatima, now=now, limit=20, area="4", max_minutes=30)
            assert len(items) == n
            [(item.activity.title, item.competence) for item in items]
        counts.append(counter.count)
    assert counts == [1, 1]


def test_hidden_activities_are_listed_newest_first_and_only_when_published(
    session: Session, fatima: User, count_queries: Any
) -> None:
    now = utcnow()
    older = cf.activity(session, title="Dold först")
    newer = cf.activity(session, title="Dold sedan")
    archived = cf.activity(session, title="Arkiverad och dold", status="archived")
    lan = factories.user(session, name="Lan Nguyen")
    session.add_all(
        [
            NotInterested(user_id=fatima.id, activity_id=older.id, created_at=now - timedelta(2)),
            NotInterested(user_id=fatima.id, activity_id=newer.id, created_at=now),
            NotInterested(user_id=fatima.id, activity_id=archived.id, created_at=now),
            NotInterested(user_id=lan.id, activity_id=older.id, created_at=now),
        ]
    )
    session.flush()
    session.expire_all()
    session.refresh(fatima)
    with count_queries() as counter:
        marks = list_not_interested(session, fatima)
        shown = [mark.activity.title for mark in marks]
    assert shown == ["Dold sedan", "Dold först"]
    assert counter.count == 1
    assert session.get(Recommendation, (fatima.id, older.id)) is None


def test_the_next_session_is_a_fact_unless_a_reason_says_it(session: Session, fatima: User) -> None:
    now = utcnow()
    told = cf.activity(session, title="Workshop med skäl", format="workshop")
    quiet = cf.activity(session, title="Workshop utan skäl", format="workshop")
    starts = {a.id: cf.session_of(session, a, now=now).starts_at for a in (told, quiet)}
    when = Reason("next_session", {"starts_at": starts[told.id].isoformat()})
    cache(session, fatima, [told, quiet], reasons=[[theme(), when], [theme()]])
    first, second = list_recommended(session, fatima, now=now)
    assert first.next_session_at == starts[told.id] and first.next_session_fact is None
    assert second.next_session_fact == starts[quiet.id]
