"""theme months, saved activities, shared feeds

Revision ID: 89abe0a3951a
Revises: 38307ffc887f
Create Date: 2026-11-21 09:36:41.612393+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.core.db

revision: str = "89abe0a3951a"
down_revision: str | None = "38307ffc887f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_activities",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("created_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_saved_activities_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_activities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "activity_id", name=op.f("pk_saved_activities")),
    )
    with op.batch_alter_table("saved_activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_saved_activities_activity_id"), ["activity_id"], unique=False
        )

    op.create_table(
        "theme_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("intro_html", sa.Text(), nullable=False),
        sa.Column("banner_id", sa.Integer(), nullable=True),
        sa.Column("banner_alt", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("publish_on", sa.Date(), nullable=True),
        sa.Column("published_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("announced_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status != 'scheduled' OR publish_on IS NOT NULL",
            name=op.f("ck_theme_months_scheduled_on"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'published')", name=op.f("ck_theme_months_status")
        ),
        sa.CheckConstraint("month >= 1 AND month <= 12", name=op.f("ck_theme_months_month")),
        sa.ForeignKeyConstraint(
            ["banner_id"],
            ["uploads.id"],
            name=op.f("fk_theme_months_banner_id_uploads"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_theme_months_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme_months")),
        sa.UniqueConstraint("year", "month", "slug", name=op.f("uq_theme_months_year_month_slug")),
    )
    with op.batch_alter_table("theme_months", schema=None) as batch_op:
        batch_op.create_index(
            "ix_theme_months_status_month", ["status", "year", "month"], unique=False
        )

    op.create_table(
        "shared_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("theme_month_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(theme_month_id IS NULL) != (department_id IS NULL)",
            name=op.f("ck_shared_feeds_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_shared_feeds_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_month_id"],
            ["theme_months.id"],
            name=op.f("fk_shared_feeds_theme_month_id_theme_months"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_feeds")),
        sa.UniqueConstraint("department_id", name=op.f("uq_shared_feeds_department_id")),
        sa.UniqueConstraint("theme_month_id", name=op.f("uq_shared_feeds_theme_month_id")),
        sa.UniqueConstraint("token", name=op.f("uq_shared_feeds_token")),
    )
    op.create_table(
        "theme_month_activities",
        sa.Column("theme_month_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_theme_month_activities_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_month_id"],
            ["theme_months.id"],
            name=op.f("fk_theme_month_activities_theme_month_id_theme_months"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "theme_month_id", "activity_id", name=op.f("pk_theme_month_activities")
        ),
    )
    with op.batch_alter_table("theme_month_activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_theme_month_activities_activity_id"), ["activity_id"], unique=False
        )

    op.create_table(
        "theme_month_departments",
        sa.Column("theme_month_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_theme_month_departments_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_month_id"],
            ["theme_months.id"],
            name=op.f("fk_theme_month_departments_theme_month_id_theme_months"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "theme_month_id", "department_id", name=op.f("pk_theme_month_departments")
        ),
    )
    with op.batch_alter_table("theme_month_departments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_theme_month_departments_department_id"), ["department_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("theme_month_departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_theme_month_departments_department_id"))

    op.drop_table("theme_month_departments")
    with op.batch_alter_table("theme_month_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_theme_month_activities_activity_id"))

    op.drop_table("theme_month_activities")
    op.drop_table("shared_feeds")
    with op.batch_alter_table("theme_months", schema=None) as batch_op:
        batch_op.drop_index("ix_theme_months_status_month")

    op.drop_table("theme_months")
    with op.batch_alter_table("saved_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_activities_activity_id"))

    op.drop_table("saved_activities")
