"""recommendation cache

Revision ID: 0510364a6c01
Revises: 7648f0fcf1af
Create Date: 2026-11-21 12:12:34.748732+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.core.db

revision: str = "0510364a6c01"
down_revision: str | None = "7648f0fcf1af"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "not_interested",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("created_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_not_interested_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_not_interested_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "activity_id", name=op.f("pk_not_interested")),
    )
    with op.batch_alter_table("not_interested", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_not_interested_activity_id"), ["activity_id"], unique=False
        )

    op.create_table(
        "recommendation_states",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stale_since", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recommendation_states_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_recommendation_states")),
    )
    with op.batch_alter_table("recommendation_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendation_states_stale_since"), ["stale_since"], unique=False
        )

    op.create_table(
        "recommendations",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("competence_id", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("computed_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("position > 0", name=op.f("ck_recommendations_position")),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_recommendations_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["competence_id"],
            ["competences.id"],
            name=op.f("fk_recommendations_competence_id_competences"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recommendations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "activity_id", name=op.f("pk_recommendations")),
    )
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendations_activity_id"), ["activity_id"], unique=False
        )
        batch_op.create_index(
            "ix_recommendations_user_position", ["user_id", "position"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_index("ix_recommendations_user_position")
        batch_op.drop_index(batch_op.f("ix_recommendations_activity_id"))

    op.drop_table("recommendations")
    with op.batch_alter_table("recommendation_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_states_stale_since"))

    op.drop_table("recommendation_states")
    with op.batch_alter_table("not_interested", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_not_interested_activity_id"))

    op.drop_table("not_interested")
