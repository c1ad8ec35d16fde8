"""What the benchmarks share: the databases they run on, SQLite always, PostgreSQL on request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import text

from lms.core.db import make_engine


def reset_postgres(url: str) -> None:
    """Create the database when missing, then empty it (only databases named *bench*)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to empty {name!r}: use a database whose name contains 'bench'")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def backends(folder: Path, postgres: str | None) -> Iterator[tuple[str, str, Path]]:
    """(name, database URL, a folder of its own) for SQLite, then PostgreSQL when given.

    The PostgreSQL database is emptied just before its turn, so each run starts fresh.
    """
    for name in ("sqlite", "postgresql"):
        if name == "postgresql" and not postgres:
            return
        own = folder / name
        own.mkdir(parents=True, exist_ok=True)
        if name == "sqlite":
            yield name, f"sqlite:///{own / 'bench.db'}", own
        else:
            assert postgres is not None
            reset_postgres(postgres)
            yield name, postgres, own
