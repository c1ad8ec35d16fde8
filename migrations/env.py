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


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
