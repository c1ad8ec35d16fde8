"""status checks on assessments, plan goals and learning requests

Revision ID: 5c1e7a9d2b40
Revises: 1fa3975f994b
Create Date: 2026-11-23 09:00:00.000000+00:00

The database refuses a status outside each model's enum, as every other status column does
(issue 11: database invariants). SQLite needs batch mode to add a CHECK constraint.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c1e7a9d2b40"
down_revision: str | None = "1fa3975f994b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKS = (
    ("assessments", "status IN ('draft', 'submitted', 'reviewed', 'followed_up')"),
    ("plan_goals", "status IN ('planned', 'in_progress', 'done', 'dropped')"),
    ("learning_requests", "status IN ('open', 'answered')"),
)


def upgrade() -> None:
    for table, condition in CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f"ck_{table}_status"), condition)


def downgrade() -> None:
    for table, _condition in reversed(CHECKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_status"), type_="check")
