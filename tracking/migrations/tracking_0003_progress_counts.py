"""tracking: progress rows keep their start and assessed counts, so new statements merge into them

Revision ID: tracking_0003
Revises: tracking_0002
Create Date: 2026-11-23 20:05:00

Rows from before stay NULL there and are recomputed from the log the next time a statement touches them.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'tracking_0003'
down_revision = 'tracking_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('xapi_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('starts', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assessed', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('xapi_progress', schema=None) as batch_op:
        batch_op.drop_column('assessed')
        batch_op.drop_column('starts')
