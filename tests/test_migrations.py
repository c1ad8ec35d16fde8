"""Migrations are the only schema source: they round-trip and match the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import lms.models  # noqa: F401
from lms.core import migrate
from lms.core.db import Base, make_engine
from tests.conftest import BACKENDS, make_database

# The search index is backend-specific SQL outside the models (lms/catalog/search.py).
SEARCH_PREFIXES = ("activity_search", "ix_search_")


def _not_search(name: str | None, *_args: object) -> bool:
    return not (name or "").startswith(SEARCH_PREFIXES)


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return make_database(request.param, tmp_path, pg_name="migrations")


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            opts = {
                "compare_type": True,
                "include_name": _not_search,
                "include_object": lambda obj, name, *rest: _not_search(name),
            }
            ctx = MigrationContext.configure(conn, opts=opts)
            return list(compare_metadata(ctx, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str, *, search: bool = False) -> set[str]:
    engine = make_engine(url)
    try:
        names = set(inspect(engine).get_table_names()) - {"alembic_version"}
        return {name for name in names if search or _not_search(name)}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_models_agree(fresh_url: str) -> None:
    assert _tables(fresh_url) == set(Base.metadata.tables)
    assert _diff(fresh_url) == []
    assert "activity_search" in _tables(fresh_url, search=True)
    migrate.downgrade(fresh_url, "base")
    assert _tables(fresh_url, search=True) == set()
    migrate.upgrade(fresh_url, "head")
    assert _tables(fresh_url) == set(Base.metadata.tables)
    assert _diff(fresh_url) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
    engine.dispose()
