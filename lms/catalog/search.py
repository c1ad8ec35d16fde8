"""Full-text search over activities: Swedish stems plus substrings, on PostgreSQL and SQLite.

Swedish compounds words ("informationssäkerhet"), so a stemmed match alone would miss most
hits; every query term matches by its stem *or* as a substring (terms of 3+ letters). Hits are
ranked in tiers: the exact word in the title, a stemmed title hit, a stemmed hit anywhere, a
substring in the title, a substring anywhere; within a tier by Swedish alphabetical title.

The index lives outside the ORM metadata (Alembic's autogenerate skips it, see migrations/env.py):
- `activity_search` (both backends): one row per activity with a Swedish sort key; on PostgreSQL
  also the lowercased text and tsvectors (`to_tsvector('swedish', …)`, GIN indexes) and trigram
  GIN indexes for substrings.
- SQLite: FTS5 `activity_search_fts` (unicode61 without diacritics removal, over text stemmed
  with the Snowball Swedish stemmer) and FTS5 `activity_search_trigram` for substrings.

`index_activity` is called by the catalogue services whenever an activity is saved or changes
status, so the index is always current; every activity is indexed and callers filter by status.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import snowballstemmer  # type: ignore[import-untyped]
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    case,
    false,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from lms.catalog.models import Activity
from lms.core.i18n import swedish_sort_key as sort_key

TABLE_PREFIX = "activity_search"
INDEX_PREFIX = "ix_search_"
MAX_TERMS = 8
MAX_TERM_LENGTH = 60
MIN_SUBSTRING = 3

# The Snowball Swedish stop words: the list PostgreSQL's 'swedish' configuration drops, so a
# query behaves the same on both backends.
_SNOWBALL_STOP_WORDS = """
och det att i en jag hon som han på den med var sig för så till är men ett om hade de av icke
mig du henne då sin nu har inte hans honom skulle hennes där min man ej vid kunde något från ut
när efter upp vi dem vara vad över än dig kan sina här ha mot alla under någon eller allt mycket
sedan ju denna själv detta åt utan varit hur ingen mitt ni bli blev oss din dessa några deras
blir mina samma vilken er sådan vår blivit dess inom mellan sådant varför varje vilka ditt vem
vilket sitta sådana vart dina vars vårt våra ert era vilkas
"""
STOP_WORDS = frozenset(_SNOWBALL_STOP_WORDS.split())

_WORD = re.compile(r"[^\W_]+")
_TAG = re.compile(r"<[^>]*>")
_local = threading.local()

# The part of the index both backends share: what the catalogue joins for its sort order.
search_table = Table(
    TABLE_PREFIX,
    MetaData(),
    Column("activity_id", Integer, primary_key=True),
    Column("title_key", String),
)


# --- text ------------------------------------------------------------------------------------


def words(value: str) -> list[str]:
    """The lowercased words of a text (letters and digits; "IT-attack" is "it", "attack")."""
    return _WORD.findall(value.lower())


def stem(word: str) -> str:
    """The Swedish Snowball stem of one lowercased word."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:  # stemmer objects keep state, so each thread has its own
        stemmer = _local.stemmer = snowballstemmer.stemmer("swedish")
    return str(stemmer.stemWord(word))


def plain_text(body_html: str) -> str:
    """The text of sanitized HTML, for indexing."""
    return html.unescape(_TAG.sub(" ", body_html))


def parse_query(query: str) -> tuple[str, ...]:
    """The distinct search terms of a query, without stop words, at most MAX_TERMS."""
    terms: list[str] = []
    for word in words(query):
        word = word[:MAX_TERM_LENGTH]
        if word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return tuple(terms[:MAX_TERMS])


# --- predicates compiled per backend ---------------------------------------------------------


class _Predicate(FunctionElement[bool]):
    """`activity id IN (ids whose index matches one term)`, written in each backend's SQL.

    The arguments are the activity id column, the SQLite FTS5 query and the PostgreSQL value;
    each backend renders only its own, so one statement serves both.
    """

    type = Boolean()
    inherit_cache = True
    sqlite_sql: ClassVar[str]
    postgresql_sql: ClassVar[str]

    def __init__(self, activity_id: Any, term: str) -> None:
        super().__init__(
            activity_id,
            literal(self.sqlite_value(term), String),
            literal(self.postgresql_value(term), String),
        )

    @classmethod
    def sqlite_value(cls, term: str) -> str:
        """The FTS5 match expression for `term`; each predicate below shapes its own."""
        return term

    @classmethod
    def postgresql_value(cls, term: str) -> str:
        return term


def _phrase(column: str, value: str) -> str:
    return f'{column} : "{value.replace(chr(34), chr(34) * 2)}"'


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_FTS = "{id} IN (SELECT rowid FROM activity_search_fts WHERE activity_search_fts MATCH {value})"
_TRIGRAM = (
    "{id} IN (SELECT rowid FROM activity_search_trigram WHERE activity_search_trigram MATCH "
    "{value})"
)
_PG = "{id} IN (SELECT activity_id FROM activity_search WHERE %s)"


class TitleWord(_Predicate):
    """The exact word is in the title."""

    inherit_cache = True
    name = "search_title_word"
    sqlite_sql = _FTS
    postgresql_sql = _PG % "title_words @@ plainto_tsquery('simple', {value})"

    @classmethod
    def sqlite_value(cls, term: str) -> str:
        return _phrase("title_words", term)


class TitleStem(_Predicate):
    """A word of the title has the term's stem."""

    inherit_cache = True
    name = "search_title_stem"
    sqlite_sql = _FTS
    postgresql_sql = _PG % "title_tsv @@ plainto_tsquery('swedish', {value})"

    @classmethod
    def sqlite_value(cls, term: str) -> str:
        return _phrase("title_stems", stem(term))


class DocumentStem(_Predicate):
    """A word of the title, summary or body has the term's stem."""

    inherit_cache = True
    name = "search_document_stem"
    sqlite_sql = _FTS
    postgresql_sql = _PG % "document_tsv @@ plainto_tsquery('swedish', {value})"

    @classmethod
    def sqlite_value(cls, term: str) -> str:
        return _phrase("document_stems", stem(term))


class TitleSubstring(_Predicate):
    """The term occurs in the title, also inside a longer word."""

    inherit_cache = True
    name = "search_title_substring"
    sqlite_sql = _TRIGRAM
    postgresql_sql = _PG % "title_text LIKE {value}"

    @classmethod
    def sqlite_value(cls, term: str) -> str:
        return _phrase("title", term)

    @classmethod
    def postgresql_value(cls, term: str) -> str:
        return _like_pattern(term)


class DocumentSubstring(TitleSubstring):
    """The term occurs in the title, summary or body, also inside a longer word."""

    inherit_cache = True
    name = "search_document_substring"
    postgresql_sql = _PG % "document_text LIKE {value}"

    @classmethod
    def sqlite_value(cls, term: str) -> str:
        return _phrase("document", term)


_PREDICATES = (TitleWord, TitleStem, DocumentStem, TitleSubstring, DocumentSubstring)


def _render(
    element: _Predicate, compiler: SQLCompiler, template: str, value_index: int, kw: Any
) -> str:
    clauses = list(element.clauses)
    return template.format(
        id=compiler.process(clauses[0], **kw),
        value=compiler.process(clauses[value_index], **kw),
    )


def _compile_sqlite(element: _Predicate, compiler: SQLCompiler, **kw: Any) -> str:
    return _render(element, compiler, element.sqlite_sql, 1, kw)


def _compile_postgresql(element: _Predicate, compiler: SQLCompiler, **kw: Any) -> str:
    return _render(element, compiler, element.postgresql_sql, 2, kw)


for _predicate in _PREDICATES:
    compiles(_predicate, "sqlite")(_compile_sqlite)
    compiles(_predicate, "postgresql")(_compile_postgresql)


@dataclass(frozen=True)
class SearchClauses:
    """What a query adds to a statement: the match condition and the rank (lower is better)."""

    condition: ColumnElement[bool]
    rank: ColumnElement[int]


def search_clauses(query: str, activity_id: Any = Activity.id) -> SearchClauses:
    """The condition and rank for a free-text query (every term must match)."""
    terms = parse_query(query)
    if not terms:
        return SearchClauses(condition=false(), rank=literal(0))

    def each(*kinds: type[_Predicate]) -> ColumnElement[bool]:
        return and_(
            *(or_(*(kind(activity_id, t) for kind in kinds if _usable(kind, t))) for t in terms)
        )

    rank = case(
        (each(TitleWord), 0),
        (each(TitleStem), 1),
        (each(DocumentStem), 2),
        (each(TitleStem, TitleSubstring), 3),
        else_=4,
    )
    return SearchClauses(condition=each(DocumentStem, DocumentSubstring), rank=rank)


def _usable(kind: type[_Predicate], term: str) -> bool:
    # Trigram indexes (and readers) need three characters: "AI" matches whole words only.
    return len(term) >= MIN_SUBSTRING or not issubclass(kind, TitleSubstring)


# --- maintaining the index -------------------------------------------------------------------


@dataclass(frozen=True)
class _Document:
    activity_id: int
    title: str
    text: str  # title, summary and body as plain text

    def row(self) -> dict[str, Any]:
        title_words = words(self.title)
        text_words = words(self.text)
        return {
            "id": self.activity_id,
            "title_key": sort_key(self.title),
            "title": self.title,
            "text": self.text,
            "title_lower": self.title.lower(),
            "text_lower": self.text.lower(),
            "title_words": " ".join(title_words),
            "title_stems": " ".join(stem(w) for w in title_words),
            "document_stems": " ".join(stem(w) for w in text_words),
        }


def _document(activity_id: int, title: str, summary: str, body_html: str) -> _Document:
    return _Document(activity_id, title, f"{title}\n{summary}\n{plain_text(body_html)}")


_SQLITE_INSERTS = (
    "INSERT INTO activity_search (activity_id, title_key) VALUES (:id, :title_key)",
    "INSERT INTO activity_search_fts (rowid, title_words, title_stems, document_stems) "
    "VALUES (:id, :title_words, :title_stems, :document_stems)",
    "INSERT INTO activity_search_trigram (rowid, title, document) "
    "VALUES (:id, :title_lower, :text_lower)",
)
_POSTGRESQL_INSERT = (
    "INSERT INTO activity_search (activity_id, title_key, title_text, document_text, "
    "title_words, title_tsv, document_tsv) VALUES (:id, :title_key, :title_lower, :text_lower, "
    "to_tsvector('simple', :title), to_tsvector('swedish', :title), "
    "to_tsvector('swedish', :text))"
)


def _tables(session: Session) -> tuple[str, ...]:
    if session.get_bind().dialect.name == "sqlite":
        return ("activity_search", "activity_search_fts", "activity_search_trigram")
    return ("activity_search",)


def _delete(session: Session, ids: Sequence[int]) -> None:
    for table in _tables(session):
        key = "rowid" if table.endswith(("_fts", "_trigram")) else "activity_id"
        stmt = text(f"DELETE FROM {table} WHERE {key} IN :ids")  # noqa: S608 (fixed names)
        session.execute(stmt.bindparams(bindparam("ids", expanding=True)), {"ids": list(ids)})


def _write(session: Session, documents: Sequence[_Document]) -> None:
    if not documents:
        return
    _delete(session, [d.activity_id for d in documents])
    rows = [d.row() for d in documents]
    if session.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_INSERTS:
            session.execute(text(statement), rows)
    else:
        session.execute(text(_POSTGRESQL_INSERT), rows)


def index_activity(session: Session, activity: Activity) -> None:
    """Bring the search index of one (flushed) activity up to date."""
    _write(
        session,
        [_document(activity.id, activity.title, activity.summary or "", activity.body_html or "")],
    )


def index_activities(session: Session, activity_ids: Iterable[int]) -> int:
    """Re-index the given activities in bulk (after core inserts or an import); returns count."""
    ids = list(activity_ids)
    count = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        rows = session.execute(
            select(Activity.id, Activity.title, Activity.summary, Activity.body_html).where(
                Activity.id.in_(chunk)
            )
        )
        documents = [_document(*row) for row in rows]
        _write(session, documents)
        count += len(documents)
    return count


def rebuild_index(session: Session) -> int:
    """Index every activity from scratch; returns how many were indexed."""
    return index_activities(session, list(session.scalars(select(Activity.id))))
