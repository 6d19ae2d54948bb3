"""host: sign-in throttling per account (login_throttle) and accounts tried per address (login_attempt)

Replaces login_failure, whose rows are only throttling state of the last 15 minutes.

Revision ID: lms_0005
Revises: lms_0004
Create Date: 2026-12-10 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.types

revision = 'lms_0005'
down_revision = 'lms_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_throttle',
        sa.Column('account', sa.String(length=254), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('window_started_at', lms.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('next_check_at', lms.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('link_hash', sa.String(length=64), nullable=True),
        sa.Column('link_expires_at', lms.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('link_sent_at', lms.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('account', name=op.f('pk_login_throttle')),
        sa.UniqueConstraint('link_hash', name=op.f('uq_login_throttle_link_hash')),
    )
    op.create_table(
        'login_attempt',
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('account', sa.String(length=254), nullable=False),
        sa.Column('at', lms.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('address', 'account', name=op.f('pk_login_attempt')),
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_address_at', ['address', 'at'], unique=False)
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_key_at')
    op.drop_table('login_failure')


def downgrade() -> None:
    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('at', lms.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure')),
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index('ix_login_failure_key_at', ['key', 'at'], unique=False)
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_address_at')
    op.drop_table('login_attempt')
    op.drop_table('login_throttle')
