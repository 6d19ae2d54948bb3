"""comms (lifecycle): kudos, automatic messages' settings, events, ledger and one-mail-a-day rows

Revision ID: comms_lifecycle_0001
Revises:
Create Date: 2026-12-03 17:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.types

revision = 'comms_lifecycle_0001'
down_revision = None
branch_labels = ('comms_lifecycle',)
depends_on = 'lms_0005'


def upgrade() -> None:
    op.create_table('comms_kudos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('team_manager_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_comms_kudos_author_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_comms_kudos_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_manager_id'], ['person.id'], name=op.f('fk_comms_kudos_team_manager_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_kudos'))
    )
    with op.batch_alter_table('comms_kudos', schema=None) as batch_op:
        batch_op.create_index('ix_comms_kudos_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_comms_kudos_person_id', ['person_id'], unique=False)
        batch_op.create_index('ix_comms_kudos_team_manager_id', ['team_manager_id'], unique=False)
    op.create_table('comms_auto_setting',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['person.id'], name=op.f('fk_comms_auto_setting_updated_by_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_comms_auto_setting'))
    )
    op.create_table('comms_auto_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_comms_auto_event_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_auto_event'))
    )
    with op.batch_alter_table('comms_auto_event', schema=None) as batch_op:
        batch_op.create_index('ix_comms_auto_event_kind', ['kind'], unique=False)
    op.create_table('comms_auto_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_comms_auto_ledger_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_auto_ledger')),
    sa.UniqueConstraint('person_id', 'kind', 'key', name=op.f('uq_comms_auto_ledger_person_id'))
    )
    op.create_table('comms_auto_day',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('mail_id', sa.Integer(), nullable=True),
    sa.Column('kinds', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_comms_auto_day_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'day', name=op.f('pk_comms_auto_day'))
    )
    op.create_table('comms_auto_tick',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_run_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_auto_tick'))
    )


def downgrade() -> None:
    op.drop_table('comms_auto_tick')
    op.drop_table('comms_auto_day')
    op.drop_table('comms_auto_ledger')
    with op.batch_alter_table('comms_auto_event', schema=None) as batch_op:
        batch_op.drop_index('ix_comms_auto_event_kind')
    op.drop_table('comms_auto_event')
    op.drop_table('comms_auto_setting')
    with op.batch_alter_table('comms_kudos', schema=None) as batch_op:
        batch_op.drop_index('ix_comms_kudos_team_manager_id')
        batch_op.drop_index('ix_comms_kudos_person_id')
        batch_op.drop_index('ix_comms_kudos_created_at')
    op.drop_table('comms_kudos')
