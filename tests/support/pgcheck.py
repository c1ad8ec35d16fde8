"""Exit 0 when PostgreSQL answers at the URL (creating the database if needed), else 1.

`make test` uses this to decide whether to run the suite on PostgreSQL too.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg


def ensure_database(url: str) -> None:
    """Create the database named in `url` on its server when it does not exist."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main(url: str) -> int:
    try:
        ensure_database(url)
    except psycopg.Error as exc:
        print(f"PostgreSQL not available at {url}: {exc}", file=sys.stderr)
        return 1
    print(f"PostgreSQL available: the suite runs on SQLite and on {url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
