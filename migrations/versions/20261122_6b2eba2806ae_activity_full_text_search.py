"""activity full-text search

Revision ID: 6b2eba2806ae
Revises: aa947360dc3d
Create Date: 2026-11-22 09:00:00.000000+00:00

The search index (see lms/catalog/search.py) is not part of the ORM metadata: every object here
is named `activity_search*` or `ix_search_*`, which migrations/env.py tells autogenerate to skip.
Existing activities are indexed by `lms.catalog.search.rebuild_index` (the importer and the
catalogue services keep it current from then on).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "6b2eba2806ae"
down_revision: str | None = "aa947360dc3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _is_postgresql():
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def _upgrade_postgresql() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "activity_search",
        sa.Column(
            "activity_id",
            sa.Integer(),
            sa.ForeignKey("activities.id", ondelete="CASCADE", name="fk_activity_search_activity"),
            nullable=False,
        ),
        # "C" so the Swedish sort key orders by code point, as SQLite's BINARY does.
        sa.Column("title_key", sa.Text(collation="C"), nullable=False),
        sa.Column("title_text", sa.Text(), nullable=False),
        sa.Column("document_text", sa.Text(), nullable=False),
        sa.Column("title_words", postgresql.TSVECTOR(), nullable=False),
        sa.Column("title_tsv", postgresql.TSVECTOR(), nullable=False),
        sa.Column("document_tsv", postgresql.TSVECTOR(), nullable=False),
        sa.PrimaryKeyConstraint("activity_id", name="pk_activity_search"),
    )
    op.execute("CREATE INDEX ix_search_title_tsv ON activity_search USING gin (title_tsv)")
    op.execute("CREATE INDEX ix_search_document_tsv ON activity_search USING gin (document_tsv)")
    op.execute(
        "CREATE INDEX ix_search_title_trgm ON activity_search USING gin (title_text gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX ix_search_document_trgm ON activity_search "
        "USING gin (document_text gin_trgm_ops)"
    )
    op.execute("CREATE INDEX ix_search_title_key ON activity_search (title_key)")


def _upgrade_sqlite() -> None:
    op.execute(
        "CREATE TABLE activity_search ("
        " activity_id INTEGER NOT NULL"
        " CONSTRAINT pk_activity_search PRIMARY KEY"
        " CONSTRAINT fk_activity_search_activity REFERENCES activities (id) ON DELETE CASCADE,"
        " title_key TEXT NOT NULL)"
    )
    op.execute("CREATE INDEX ix_search_title_key ON activity_search (title_key)")
    # Stemmed words (stemmed in Python); å, ä and ö are letters of their own in Swedish.
    op.execute(
        "CREATE VIRTUAL TABLE activity_search_fts USING fts5("
        "title_words, title_stems, document_stems, "
        "tokenize = 'unicode61 remove_diacritics 0')"
    )
    op.execute(
        "CREATE VIRTUAL TABLE activity_search_trigram USING fts5("
        "title, document, tokenize = 'trigram')"
    )
    # Virtual tables know no foreign keys: clean them up when an activity is deleted.
    op.execute(
        "CREATE TRIGGER activity_search_on_delete AFTER DELETE ON activities BEGIN"
        " DELETE FROM activity_search_fts WHERE rowid = OLD.id;"
        " DELETE FROM activity_search_trigram WHERE rowid = OLD.id;"
        " END"
    )


def downgrade() -> None:
    if _is_postgresql():
        op.drop_table("activity_search")  # its indexes go with it
        # Keep pg_trgm when something else has come to use it.
        op.execute(
            "DO $$ BEGIN DROP EXTENSION IF EXISTS pg_trgm; "
            "EXCEPTION WHEN dependent_objects_still_exist THEN NULL; END $$"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS activity_search_on_delete")
        op.execute("DROP TABLE IF EXISTS activity_search_trigram")
        op.execute("DROP TABLE IF EXISTS activity_search_fts")
        op.execute("DROP INDEX IF EXISTS ix_search_title_key")
        op.execute("DROP TABLE IF EXISTS activity_search")
