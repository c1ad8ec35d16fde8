"""Alembic environment: our engine settings, every model's metadata, batch mode for SQLite."""

from __future__ import annotations

import os

from alembic import context

import lms.models  # noqa: F401  (registers every table)
from lms.core.db import Base, make_engine

config = context.config
url = (
    config.attributes.get("database_url")
    or context.get_x_argument(as_dictionary=True).get("url")
    or os.environ.get("LMS_DATABASE_URL")
)
if not url:
    raise SystemExit("no database URL: pass -x url=… or set LMS_DATABASE_URL")

# The full-text search index is backend-specific SQL outside the models (lms/catalog/search.py).
SEARCH_PREFIXES = ("activity_search", "ix_search_")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (name or "").startswith(SEARCH_PREFIXES)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return include_name(name, type_, None)


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
