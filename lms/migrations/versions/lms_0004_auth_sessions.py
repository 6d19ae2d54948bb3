"""host: server-side sessions (auth_session)

Revision ID: lms_0004
Revises: lms_0003
Create Date: 2026-12-10 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.types

revision = 'lms_0004'
down_revision = 'lms_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'auth_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', lms.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', lms.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('remembered', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('user_agent', sa.String(length=300), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('revoked_at', lms.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_reason', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_auth_session_person_id_person'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_auth_session_token_hash')),
    )
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.create_index('ix_auth_session_person_id', ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_index('ix_auth_session_person_id')
    op.drop_table('auth_session')
