"""task responses (Transfer of Training answers)

Revision ID: 38307ffc887f
Revises: d72bf01a3aba
Create Date: 2026-11-21 08:41:19.926834+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.core.db

revision: str = "38307ffc887f"
down_revision: str | None = "d72bf01a3aba"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("completion_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("checked", sa.JSON(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("submitted_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("manager_note", sa.Text(), nullable=False),
        sa.Column("reminded_due_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_overdue_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'awaiting_manager', 'done')", name=op.f("ck_task_responses_status")
        ),
        sa.ForeignKeyConstraint(
            ["completion_id"],
            ["completions.id"],
            name=op.f("fk_task_responses_completion_id_completions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["users.id"],
            name=op.f("fk_task_responses_confirmed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["transfer_tasks.id"],
            name=op.f("fk_task_responses_task_id_transfer_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_task_responses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_responses")),
        sa.UniqueConstraint(
            "task_id", "user_id", "scope", name=op.f("uq_task_responses_task_id_user_id_scope")
        ),
    )
    with op.batch_alter_table("task_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_responses_completion_id"), ["completion_id"], unique=False
        )
        batch_op.create_index("ix_task_responses_due", ["status", "due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_responses_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_responses_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_responses_user_id"))
        batch_op.drop_index(batch_op.f("ix_task_responses_task_id"))
        batch_op.drop_index("ix_task_responses_due")
        batch_op.drop_index(batch_op.f("ix_task_responses_completion_id"))

    op.drop_table("task_responses")
