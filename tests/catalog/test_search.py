"""Full-text search: Swedish stems plus substrings, ranked the same way on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from lms.catalog import search
from lms.catalog.queries import CatalogFilter, list_catalog_slugs
from lms.catalog.services import change_status
from tests import factories
from tests.catalog import factories as cf


def found(session: Session, query: str) -> list[str]:
    return list_catalog_slugs(session, CatalogFilter(text=query), None)


@pytest.fixture
def library(session: Session) -> None:
    """A fixed dataset: each activity hits "säkerhet" in a different way."""
    cf.activity(session, slug="exakt", title="Säkerhet på jobbet")
    cf.activity(session, slug="bestamd", title="Säkerheten i fokus")
    cf.activity(
        session, slug="brodtext", title="Lösenord i vardagen", body="God säkerhet börjar hemma."
    )
    cf.activity(session, slug="sammansatt", title="Informationssäkerhet för alla")
    cf.activity(
        session,
        slug="bara-delord",
        title="Nätfiske",
        summary="Om mejl som lurar dig.",
        body="Ett kapitel om säkerhetsarbete.",
    )
    cf.activity(session, slug="utkast", title="Säkerhet i utkast", status="draft")
    cf.activity(session, slug="arkiv", title="Säkerhet förr", status="archived")
    cf.activity(session, slug="ai-resa", title="Starta din AI-resa")
    cf.activity(session, slug="ai-kreativ", title="AI som kreativt stöd i kulturskolan")
    cf.activity(session, slug="mejl", title="Mail och kalender", body="Ordning i inkorgen.")
    cf.activity(session, slug="mal-lar", title="Sätt mål för lärandet")
    cf.activity(session, slug="mal-djur", title="Mal i magasinet", body="Skadedjur i samlingar.")


def test_sakerhet_finds_compounds_and_inflections_ranked_title_first(
    session: Session, library: None
) -> None:
    assert found(session, "säkerhet") == [
        "exakt",  # the exact word in the title
        "bestamd",  # a stemmed title hit ("säkerheten")
        "brodtext",  # a stemmed hit in the body
        "sammansatt",  # a substring of the title ("informationssäkerhet")
        "bara-delord",  # a substring of the body only
    ]


def test_search_is_case_insensitive(session: Session, library: None) -> None:
    assert found(session, "SÄKERHET") == found(session, "säkerhet")


def test_ai_finds_the_ai_activities_but_not_words_containing_ai(
    session: Session, library: None
) -> None:
    assert found(session, "AI") == ["ai-kreativ", "ai-resa"]


def test_swedish_letters_stay_distinct(session: Session, library: None) -> None:
    assert found(session, "mål") == ["mal-lar"]
    assert found(session, "mal") == ["mal-djur"]


def test_drafts_and_archived_activities_are_not_found(session: Session, library: None) -> None:
    slugs = found(session, "säkerhet")
    assert "utkast" not in slugs and "arkiv" not in slugs


def test_every_term_must_match(session: Session, library: None) -> None:
    assert found(session, "säkerhet lösenord") == ["brodtext"]
    assert found(session, "säkerhet kulturskolan") == []


def test_stop_words_and_empty_queries_find_nothing(session: Session, library: None) -> None:
    assert found(session, "och") == []
    assert found(session, "  --  ") == []


def test_the_index_follows_edits_and_status_changes(session: Session, library: None) -> None:
    coordinator = factories.user(session, permissions=factories.Permission.COORDINATOR)
    activity = cf.activity(session, slug="ny", title="Kryptering i molnet")
    assert found(session, "kryptering") == ["ny"]
    change_status(session, coordinator, activity, "archived")
    assert found(session, "kryptering") == []
    change_status(session, coordinator, activity, "published")
    assert found(session, "kryptering") == ["ny"]


def test_deleting_an_activity_removes_it_from_the_index(session: Session, library: None) -> None:
    activity = cf.activity(session, slug="borta", title="Kryptering i molnet")
    session.delete(activity)
    session.flush()
    tables = ["activity_search"]
    if session.get_bind().dialect.name == "sqlite":
        tables += ["activity_search_fts", "activity_search_trigram"]
    for table in tables:
        key = "activity_id" if table == "activity_search" else "rowid"
        assert (
            session.execute(
                text(f"SELECT count(*) FROM {table} WHERE {key} = :id"), {"id": activity.id}
            ).scalar()
            == 0
        )


def test_rebuild_index_indexes_every_activity(session: Session, library: None) -> None:
    assert search.rebuild_index(session) >= 12
    assert found(session, "säkerhet")[0] == "exakt"


def test_parse_query_drops_stop_words_and_duplicates() -> None:
    assert search.parse_query("Säkerhet och säkerhet i AI-världen") == ("säkerhet", "ai", "världen")


def test_sort_key_orders_swedish_letters_after_z() -> None:
    titles = ["Ögonblick", "Zoom", "Äpple", "Åska", "ai", "Bok"]
    assert sorted(titles, key=search.sort_key) == [
        "ai",
        "Bok",
        "Zoom",
        "Åska",
        "Äpple",
        "Ögonblick",
    ]


# PostgreSQL's 'swedish' stems (Snowball 2); snowballstemmer 3 would strip definite "-et".
POSTGRES_STEMS = {
    "säkerhet": "säker",
    "säkerheten": "säker",
    "informationssäkerhet": "informationssäker",
    "lösenordshanterare": "lösenordshanter",
    "målet": "målet",
    "biblioteket": "biblioteket",
    "säkert": "säkert",
}


def test_python_stems_exactly_like_postgresql(session: Session, backend: str) -> None:
    for word, expected in POSTGRES_STEMS.items():
        assert search.stem(word) == expected, word
        if backend == "postgres":
            stems = session.execute(
                text("SELECT array_to_string(tsvector_to_array(to_tsvector('swedish', :w)), ' ')"),
                {"w": word},
            ).scalar()
            assert stems == expected, word
