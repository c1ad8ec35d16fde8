"""The per-user cache: refreshing writes ranked rows, marks fresh, keeps later changes stale."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.time import utcnow
from lms.recommend import cache, engine
from lms.recommend.data import Reason
from lms.recommend.loading import load_pool, load_profiles
from lms.recommend.models import Recommendation, RecommendationState
from tests import factories
from tests.catalog import factories as cf
from tests.recommend import factories as rf

NOW = utcnow().replace(microsecond=0)


def rows(session: Session, user: User) -> list[Recommendation]:
    return list(
        session.scalars(
            select(Recommendation)
            .where(Recommendation.user_id == user.id)
            .order_by(Recommendation.position)
        )
    )


def state(session: Session, user: User) -> RecommendationState | None:
    session.expire_all()
    return session.get(RecommendationState, user.id)


@pytest.fixture
def elin(session: Session) -> User:
    """A librarian two levels short in 1.1 and one short in 4.2, keen on 4.2."""
    return rf.assessed_person(session, {"1.1": (1, 2), "4.2": (2, 5), "1.2": (3, 3)})


def test_refresh_writes_the_ranking_in_order_with_reasons(session: Session, elin: User) -> None:
    c42 = cf.framework(session).competences["4.2"]
    privacy = rf.activity_on(session, "4.2", title="Skydda personuppgifter i vardagen")
    search = rf.activity_on(session, "1.1", title="Sök smartare i katalogen")
    film = rf.activity_on(session, "3.1", title="Filma med mobilen")  # 3.1: not for librarians

    assert cache.refresh_users(session, [elin.id], now=NOW) == 1

    stored = rows(session, elin)
    assert [row.position for row in stored] == list(range(1, len(stored) + 1))
    profile = load_profiles(session, [elin.id], NOW)[elin.id]
    ranked = engine.rank(profile, load_pool(session, NOW))
    assert [(row.activity_id, row.score) for row in stored] == [
        (item.activity_id, item.score) for item in ranked
    ]
    assert {row.activity_id for row in stored} == {privacy.id, search.id}
    assert film.id not in {row.activity_id for row in stored}
    assert stored[0].score >= stored[-1].score
    first_42 = next(row for row in stored if row.activity_id == privacy.id)
    assert first_42.competence_id == c42.id
    reasons = [Reason.from_json(reason) for reason in first_42.reasons]
    gap = next(reason for reason in reasons if reason.kind == "gap")
    assert gap.params["competence_code"] == "4.2"
    assert (gap.params["assessed"], gap.params["expected"]) == (2, 3)
    assert all(row.computed_at == NOW for row in stored)
    fresh = state(session, elin)
    assert fresh is not None and fresh.refreshed_at == NOW and fresh.stale_since is None


def test_refreshing_again_gives_the_same_rows(session: Session, elin: User) -> None:
    for n in range(6):
        rf.activity_on(session, "4.2" if n % 2 else "1.1", minutes=5 + n)
    cache.refresh_users(session, [elin.id], now=NOW)
    first = [(r.activity_id, r.position, r.score, r.reasons) for r in rows(session, elin)]
    cache.refresh_users(session, [elin.id], now=NOW + timedelta(hours=1))
    again = [(r.activity_id, r.position, r.score, r.reasons) for r in rows(session, elin)]
    assert first == again and len(first) == 6


def test_refresh_replaces_what_no_longer_fits(session: Session, elin: User) -> None:
    privacy = rf.activity_on(session, "4.2")
    cache.refresh_users(session, [elin.id], now=NOW)
    rf.complete(session, elin, privacy)
    cache.refresh_users(session, [elin.id], now=NOW)
    assert privacy.id not in {row.activity_id for row in rows(session, elin)}


def test_refresh_of_everyone_skips_deactivated_people_in_batches(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "BATCH", 2)
    rf.activity_on(session, "4.2")
    people = [rf.assessed_person(session, {"4.2": (1, 4)}) for _ in range(5)]
    gone = people.pop()
    gone.is_active = False
    session.flush()
    everyone = session.scalars(select(User.id).where(User.is_active.is_(True))).all()

    assert cache.refresh_users(session, None, now=NOW) == len(everyone)
    assert all(len(rows(session, someone)) == 1 for someone in people)
    assert not rows(session, gone) and state(session, gone) is None
    assert cache.refresh_users(session, [gone.id], now=NOW) == 0
    assert cache.refresh_users(session, [], now=NOW) == 0


def test_a_refresh_hands_over_after_every_batch(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The jobs and the command commit after each batch (`after_batch`), so a refresh of the
    whole organisation never holds the state rows or the SQLite database for its full run."""
    monkeypatch.setattr(cache, "BATCH", 2)
    rf.activity_on(session, "4.2")
    people = [rf.assessed_person(session, {"4.2": (1, 4)}) for _ in range(5)]
    stored_at_each_batch: list[int] = []

    def after_batch() -> None:
        stored = session.scalars(
            select(Recommendation.user_id).where(
                Recommendation.user_id.in_([person.id for person in people])
            )
        )
        stored_at_each_batch.append(len(set(stored)))

    assert cache.refresh_users(session, [p.id for p in people], now=NOW, after_batch=after_batch)
    assert stored_at_each_batch == [2, 4, 5]


def test_a_change_marked_after_the_refresh_began_stays_stale(session: Session, elin: User) -> None:
    colleague = rf.assessed_person(session, {"4.2": (1, 4)})
    cache.mark_stale(session, [elin.id], now=NOW + timedelta(seconds=5))  # during the refresh
    cache.mark_stale(session, [colleague.id], now=NOW - timedelta(seconds=5))  # before it
    cache.refresh_users(session, [elin.id, colleague.id], now=NOW)
    assert state(session, elin).stale_since == NOW + timedelta(seconds=5)  # type: ignore[union-attr]
    assert state(session, colleague).stale_since is None  # type: ignore[union-attr]
    assert state(session, elin).refreshed_at == NOW  # type: ignore[union-attr]


def test_mark_stale_creates_or_updates_the_state_and_the_latest_mark_wins(
    session: Session, elin: User
) -> None:
    cache.mark_stale(session, [elin.id], now=NOW)
    marked = state(session, elin)
    assert marked is not None and marked.stale_since == NOW and marked.refreshed_at is None
    cache.mark_stale(session, [elin.id, elin.id], now=NOW + timedelta(minutes=1))
    cache.mark_stale(session, [elin.id], now=NOW - timedelta(minutes=1))  # an older clock
    assert state(session, elin).stale_since == NOW + timedelta(minutes=1)  # type: ignore[union-attr]
    cache.mark_stale(session, [], now=NOW)


# --- ensure_fresh ------------------------------------------------------------------------------


def test_ensure_fresh_computes_a_missing_cache_then_costs_one_query(
    session: Session, elin: User, count_queries: Any
) -> None:
    privacy = rf.activity_on(session, "4.2")
    assert cache.ensure_fresh(session, elin, now=NOW) is True
    assert [row.activity_id for row in rows(session, elin)] == [privacy.id]
    session.flush()
    with count_queries() as fresh:
        assert cache.ensure_fresh(session, elin, now=NOW) is False
    assert fresh.count == 1


def test_ensure_fresh_recomputes_a_stale_cache(session: Session, elin: User) -> None:
    privacy = rf.activity_on(session, "4.2")
    cache.refresh_users(session, [elin.id], now=NOW)
    rf.not_interested(session, elin, privacy)
    cache.mark_stale(session, [elin.id], now=NOW + timedelta(minutes=1))
    assert cache.ensure_fresh(session, elin, now=NOW + timedelta(minutes=2)) is True
    assert not rows(session, elin)
    assert state(session, elin).stale_since is None  # type: ignore[union-attr]


def _catalogue(session: Session, n: int) -> None:
    """n activities on the person's competences and n on others, some with sessions."""
    for i in range(n):
        rf.activity_on(session, "4.2", title=f"Integritet {i}", minutes=5 + i)
        rf.activity_on(session, "3.1", title=f"Film {i}")
        _made, occurrence = rf.scheduled(session, "1.1", title=f"Sökverkstad {i}", now=NOW)
        rf.book(session, factories.user(session), occurrence)


def test_ensure_fresh_takes_the_same_queries_for_a_small_and_a_large_catalogue(
    session: Session, count_queries: Any
) -> None:
    people = [rf.assessed_person(session, {"4.2": (2, 5), "1.1": (1, 3)}) for _ in range(2)]
    made = rf.assessment(session, people[0], {"4.2": (2, 5)})
    rf.plan_goal(session, made, "4.2", activities=[rf.activity_on(session, "4.2")])
    rf.theme_now(session, [rf.activity_on(session, "2.1")])
    for person in people:
        rf.complete(session, rf.person(session), rf.activity_on(session, "1.2"))
        rf.book(session, person, rf.scheduled(session, "4.2", now=NOW)[1])
    _catalogue(session, 2)
    session.flush()
    with count_queries() as small:
        assert cache.ensure_fresh(session, people[0], now=NOW)
    _catalogue(session, 20)
    session.flush()
    with count_queries() as large:
        assert cache.ensure_fresh(session, people[1], now=NOW)
    assert small.count == large.count, set(large.statements) ^ set(small.statements)
    assert len(rows(session, people[1])) == 20


def test_ensure_fresh_ranks_as_the_full_refresh_does(session: Session) -> None:
    elin = rf.assessed_person(session, {"4.2": (2, 5), "1.1": (1, 3), "2.1": (1, 2)})
    made = rf.assessment(session, elin, {"4.2": (2, 5), "1.1": (1, 3), "2.1": (1, 2)})
    rf.plan_goal(session, made, "1.2", activities=[rf.activity_on(session, "5.1")])
    rf.theme_now(session, [rf.activity_on(session, "4.1"), rf.activity_on(session, "4.2")])
    rf.complete(session, rf.person(session), rf.activity_on(session, "3.1"))
    _catalogue(session, 8)
    cache.ensure_fresh(session, elin, now=NOW)
    single = [(r.activity_id, r.position, r.score) for r in rows(session, elin)]
    cache.refresh_users(session, None, now=NOW)
    assert [(r.activity_id, r.position, r.score) for r in rows(session, elin)] == single


def test_ensure_fresh_ranks_a_never_assessed_person_as_the_full_refresh_does(
    session: Session,
) -> None:
    newcomer = rf.person(session, name="Omar Nykomling")
    for colleague in (rf.person(session), rf.person(session)):
        rf.complete(session, colleague, rf.activity_on(session, "3.1", title="Poddteknik"))
    rf.theme_now(session, [rf.activity_on(session, "4.1")])
    _catalogue(session, 6)
    cache.ensure_fresh(session, newcomer, now=NOW)
    single = [(r.activity_id, r.position, r.score) for r in rows(session, newcomer)]
    cache.refresh_users(session, None, now=NOW)
    assert [(r.activity_id, r.position, r.score) for r in rows(session, newcomer)] == single
    # 6 on 4.2 and 6 on 1.1 (expected of the role), the theme's, the 2 colleagues took.
    assert len(single) == 15
