"""assessment rounds, ratings, development plans and learning requests

Revision ID: 7648f0fcf1af
Revises: 89abe0a3951a
Create Date: 2026-11-21 10:41:21.378657+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.core.db

revision: str = "7648f0fcf1af"
down_revision: str | None = "89abe0a3951a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("announced_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("closes_on >= opens_on", name=op.f("ck_assessment_rounds_period")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_rounds_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_rounds")),
        sa.UniqueConstraint("name", name=op.f("uq_assessment_rounds_name")),
    )
    op.create_table(
        "assessment_round_departments",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_assessment_round_departments_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["assessment_rounds.id"],
            name=op.f("fk_assessment_round_departments_round_id_assessment_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "round_id", "department_id", name=op.f("pk_assessment_round_departments")
        ),
    )
    with op.batch_alter_table("assessment_round_departments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_round_departments_department_id"),
            ["department_id"],
            unique=False,
        )

    op.create_table(
        "assessment_round_organisations",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_round_organisations_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["assessment_rounds.id"],
            name=op.f("fk_assessment_round_organisations_round_id_assessment_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "round_id", "organisation_id", name=op.f("pk_assessment_round_organisations")
        ),
    )
    with op.batch_alter_table("assessment_round_organisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_round_organisations_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("job_role_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("conversation_notes", sa.Text(), nullable=False),
        sa.Column("reviewed_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("followed_up_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("followed_up_by_id", sa.Integer(), nullable=True),
        sa.Column("follow_up_notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_assessments_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["followed_up_by_id"],
            ["users.id"],
            name=op.f("fk_assessments_followed_up_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_role_id"],
            ["job_roles.id"],
            name=op.f("fk_assessments_job_role_id_job_roles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["users.id"],
            name=op.f("fk_assessments_reviewed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["assessment_rounds.id"],
            name=op.f("fk_assessments_round_id_assessment_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_assessments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("round_id", "user_id", name=op.f("uq_assessments_round_id_user_id")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index("ix_assessments_round_status", ["round_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessments_user_id"), ["user_id"], unique=False)

    op.create_table(
        "development_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_development_plans_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_development_plans_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_development_plans_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_development_plans")),
        sa.UniqueConstraint("assessment_id", name=op.f("uq_development_plans_assessment_id")),
    )
    with op.batch_alter_table("development_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_development_plans_user_id"), ["user_id"], unique=False)

    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("competence_id", sa.Integer(), nullable=False),
        sa.Column("self_level", sa.Integer(), nullable=True),
        sa.Column("motivation", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("agreed_level", sa.Integer(), nullable=True),
        sa.Column("agreed_by_id", sa.Integer(), nullable=True),
        sa.Column("agreed_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("agreed_level BETWEEN 1 AND 5", name=op.f("ck_ratings_agreed_level")),
        sa.CheckConstraint("motivation BETWEEN 1 AND 5", name=op.f("ck_ratings_motivation")),
        sa.CheckConstraint("self_level BETWEEN 1 AND 5", name=op.f("ck_ratings_self_level")),
        sa.ForeignKeyConstraint(
            ["agreed_by_id"],
            ["users.id"],
            name=op.f("fk_ratings_agreed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_ratings_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["competence_id"],
            ["competences.id"],
            name=op.f("fk_ratings_competence_id_competences"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint(
            "assessment_id", "competence_id", name=op.f("uq_ratings_assessment_id_competence_id")
        ),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ratings_competence_id"), ["competence_id"], unique=False
        )

    op.create_table(
        "plan_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("competence_id", sa.Integer(), nullable=False),
        sa.Column("target_level", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("target_level BETWEEN 1 AND 5", name=op.f("ck_plan_goals_target_level")),
        sa.ForeignKeyConstraint(
            ["competence_id"],
            ["competences.id"],
            name=op.f("fk_plan_goals_competence_id_competences"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["development_plans.id"],
            name=op.f("fk_plan_goals_plan_id_development_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_goals")),
        sa.UniqueConstraint(
            "plan_id", "competence_id", name=op.f("uq_plan_goals_plan_id_competence_id")
        ),
    )
    with op.batch_alter_table("plan_goals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_goals_competence_id"), ["competence_id"], unique=False
        )

    op.create_table(
        "goal_activities",
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("completed_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_goal_activities_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["plan_goals.id"],
            name=op.f("fk_goal_activities_goal_id_plan_goals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("goal_id", "activity_id", name=op.f("pk_goal_activities")),
    )
    with op.batch_alter_table("goal_activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_goal_activities_activity_id"), ["activity_id"], unique=False
        )

    op.create_table(
        "learning_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("competence_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer_activity_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", lms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_activity_id"],
            ["activities.id"],
            name=op.f("fk_learning_requests_answer_activity_id_activities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_learning_requests_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["competence_id"],
            ["competences.id"],
            name=op.f("fk_learning_requests_competence_id_competences"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_learning_requests_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_learning_requests_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["plan_goals.id"],
            name=op.f("fk_learning_requests_goal_id_plan_goals"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_learning_requests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_requests")),
    )
    with op.batch_alter_table("learning_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_learning_requests_status_competence", ["status", "competence_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_learning_requests_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_learning_requests_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("learning_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learning_requests_user_id"))
        batch_op.drop_index(batch_op.f("ix_learning_requests_goal_id"))
        batch_op.drop_index("ix_learning_requests_status_competence")

    op.drop_table("learning_requests")
    with op.batch_alter_table("goal_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_activities_activity_id"))

    op.drop_table("goal_activities")
    with op.batch_alter_table("plan_goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_goals_competence_id"))

    op.drop_table("plan_goals")
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_competence_id"))

    op.drop_table("ratings")
    with op.batch_alter_table("development_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_development_plans_user_id"))

    op.drop_table("development_plans")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_user_id"))
        batch_op.drop_index("ix_assessments_round_status")

    op.drop_table("assessments")
    with op.batch_alter_table("assessment_round_organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_round_organisations_organisation_id"))

    op.drop_table("assessment_round_organisations")
    with op.batch_alter_table("assessment_round_departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_round_departments_department_id"))

    op.drop_table("assessment_round_departments")
    op.drop_table("assessment_rounds")
