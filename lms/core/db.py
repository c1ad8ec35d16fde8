"""Database engine, typed declarative base and the request-scoped session."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from flask import Flask
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use lms.core.time.utcnow()")
        from lms.core.time import UTC

        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        from lms.core.time import UTC

        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base class of every model; constraint names follow NAMING_CONVENTION."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so
        # SAVEPOINTs and transactional DDL behave (documented pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A request that may write takes the write lock at its first statement: under WAL a
        # transaction that read first and writes later fails outright (SQLITE_BUSY_SNAPSHOT)
        # when another process committed in between, which the busy timeout cannot help.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


_write_intent: ContextVar[bool] = ContextVar("lms_sqlite_write_intent", default=False)


def declare_write_intent(intends_to_write: bool) -> None:
    """Say whether this request may write (SQLite then begins transactions IMMEDIATE)."""
    _write_intent.set(intends_to_write)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings each backend needs."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 10})
        if ":memory:" not in url:
            kwargs.setdefault("poolclass", NullPool)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Database:
    """Holds the engine and a thread-scoped session removed at request teardown."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(expire_on_commit=False, autoflush=True)
        )

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("database not configured; call init_app first")
        return self._engine

    def configure(self, url: str) -> Engine:
        if self._engine is not None:
            self.session.remove()
            self._engine.dispose()
        self._engine = make_engine(url)
        self.session.configure(bind=self._engine)
        return self._engine

    def init_app(self, app: Flask, url: str) -> None:
        self.configure(url)

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit the session on success, roll back on any error (for CLI and jobs)."""
        try:
            yield self.session()
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise


db = Database()


T = TypeVar("T")


def is_database_locked(error: OperationalError) -> bool:
    """Whether SQLite refused a write because another connection holds or changed the data."""
    return "database is locked" in str(error.orig).lower()


def run_with_retry(
    fn: Callable[[], T],
    attempts: int = 5,
    *,
    session: Session | scoped_session[Session] | None = None,
) -> T:
    """Run a unit of work that commits, retrying it when SQLite says the database is locked.

    Under WAL a transaction that has read and then writes fails at once (SQLITE_BUSY_SNAPSHOT,
    reported as "database is locked") when another connection committed in between; the
    busy timeout cannot help, only starting again from a fresh snapshot can. `session`
    (the request session by default) is rolled back before each new try, so `fn` must do
    the whole unit of work, reads included. Any other error is raised at once.
    """
    target = session if session is not None else db.session
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except OperationalError as error:
            target.rollback()
            if attempt == attempts or not is_database_locked(error):
                raise
            time.sleep(random.uniform(0.005, 0.02 * 2**attempt))  # noqa: S311 (jitter, not secrets)
    raise AssertionError("unreachable")  # pragma: no cover
