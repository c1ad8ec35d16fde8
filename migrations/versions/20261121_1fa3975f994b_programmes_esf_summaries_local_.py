"""programmes, ESF summaries, local completion date, report scope

Revision ID: 1fa3975f994b
Revises: 0510364a6c01
Create Date: 2026-11-21 13:42:20.848511+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.core.db
from lms.core.time import local_date

revision: str = '1fa3975f994b'
down_revision: str | None = '0510364a6c01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('target_participants', sa.Integer(), nullable=True),
    sa.Column('target_hours', sa.Integer(), nullable=True),
    sa.Column('target_hours_per_participant', sa.Double(), nullable=True),
    sa.Column('summary_built_at', lms.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_programmes_period')),
    sa.CheckConstraint('target_hours IS NULL OR target_hours > 0', name=op.f('ck_programmes_target_hours')),
    sa.CheckConstraint('target_hours_per_participant IS NULL OR target_hours_per_participant > 0', name=op.f('ck_programmes_target_hours_per_participant')),
    sa.CheckConstraint('target_participants IS NULL OR target_participants > 0', name=op.f('ck_programmes_target_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes')),
    sa.UniqueConstraint('slug', name=op.f('uq_programmes_slug'))
    )
    op.create_table('programme_activity_hours',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('organisation_key', sa.Integer(), nullable=False),
    sa.Column('department_key', sa.Integer(), nullable=False),
    sa.Column('activity_key', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('completions', sa.Integer(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.CheckConstraint('minutes > 0 AND completions > 0 AND participants > 0', name=op.f('ck_programme_activity_hours_counted')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_activity_hours_programme_id_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('programme_id', 'organisation_key', 'department_key', 'activity_key', name=op.f('pk_programme_activity_hours'))
    )
    op.create_table('programme_month_hours',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('organisation_key', sa.Integer(), nullable=False),
    sa.Column('department_key', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('completions', sa.Integer(), nullable=False),
    sa.CheckConstraint('minutes > 0 AND completions > 0', name=op.f('ck_programme_month_hours_counted')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_month_hours_programme_id_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('programme_id', 'month', 'organisation_key', 'department_key', 'source', name=op.f('pk_programme_month_hours'))
    )
    op.create_table('programme_organisations',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_programme_organisations_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_organisations_programme_id_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('programme_id', 'organisation_id', name=op.f('pk_programme_organisations'))
    )
    with op.batch_alter_table('programme_organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_organisations_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('programme_departments',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_programme_departments_department_id_departments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_departments_programme_id_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('programme_id', 'department_id', name=op.f('pk_programme_departments'))
    )
    with op.batch_alter_table('programme_departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_departments_department_id'), ['department_id'], unique=False)

    op.create_table('programme_participants',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_key', sa.Integer(), nullable=False),
    sa.Column('department_key', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('completions', sa.Integer(), nullable=False),
    sa.Column('first_on', sa.Date(), nullable=False),
    sa.CheckConstraint('minutes > 0 AND completions > 0', name=op.f('ck_programme_participants_counted')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_participants_programme_id_programmes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_programme_participants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('programme_id', 'user_id', 'organisation_key', 'department_key', name=op.f('pk_programme_participants'))
    )
    with op.batch_alter_table('programme_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_participants_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_on', sa.Date(), nullable=True))
    _backfill_completed_on()
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.alter_column('completed_on', existing_type=sa.Date(), nullable=False)
        batch_op.create_index('ix_completions_completed_on', ['completed_on'], unique=False)
        batch_op.create_index('ix_completions_department_id_completed_on', ['department_id', 'completed_on'], unique=False)
        batch_op.create_index('ix_completions_organisation_id_completed_on', ['organisation_id', 'completed_on'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_scope', sa.String(length=16), server_default='organisation', nullable=False))
        batch_op.drop_constraint(op.f('ck_users_permissions'), type_='check')
        batch_op.create_check_constraint('permissions', 'permissions >= 0 AND permissions < 32')
        batch_op.create_check_constraint(
            'report_scope', "report_scope IN ('department', 'organisation', 'all')"
        )



def _backfill_completed_on() -> None:
    """Existing completions get the Stockholm date of their UTC completed_at."""
    completions = sa.table(
        'completions',
        sa.column('id', sa.Integer()),
        sa.column('completed_at', lms.core.db.UTCDateTime(timezone=True)),
        sa.column('completed_on', sa.Date()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(completions.c.id, completions.c.completed_at)).all()
    for row_id, completed_at in rows:
        bind.execute(
            completions.update()
            .where(completions.c.id == row_id)
            .values(completed_on=local_date(completed_at))
        )


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_report_scope'), type_='check')
        batch_op.drop_constraint(op.f('ck_users_permissions'), type_='check')
        batch_op.create_check_constraint('permissions', 'permissions >= 0 AND permissions < 16')
        batch_op.drop_column('report_scope')

    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.drop_index('ix_completions_organisation_id_completed_on')
        batch_op.drop_index('ix_completions_department_id_completed_on')
        batch_op.drop_index('ix_completions_completed_on')
        batch_op.drop_column('completed_on')

    with op.batch_alter_table('programme_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_participants_user_id'))

    op.drop_table('programme_participants')
    with op.batch_alter_table('programme_departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_departments_department_id'))

    op.drop_table('programme_departments')
    with op.batch_alter_table('programme_organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_organisations_organisation_id'))

    op.drop_table('programme_organisations')
    op.drop_table('programme_month_hours')
    op.drop_table('programme_activity_hours')
    op.drop_table('programmes')
