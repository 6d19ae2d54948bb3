"""host: password reset requests, for limits per target address and per client address

Revision ID: lms_0003
Revises: lms_0002
Create Date: 2026-12-02 20:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.types

revision = 'lms_0003'
down_revision = 'lms_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'password_reset_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('target', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('mailed', sa.Boolean(), nullable=False),
        sa.Column('at', lms.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_request')),
    )
    with op.batch_alter_table('password_reset_request') as batch:
        batch.create_index('ix_password_reset_request_target_at', ['target', 'at'])
        batch.create_index('ix_password_reset_request_address_at', ['address', 'at'])


def downgrade() -> None:
    op.drop_table('password_reset_request')
