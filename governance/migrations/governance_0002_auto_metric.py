"""governance: goals measured automatically by a metric another plugin offers

Revision ID: governance_0002
Revises: governance_0001
Create Date: 2026-12-03 17:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'governance_0002'
down_revision = 'governance_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('governance_goal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_metric', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('governance_goal', schema=None) as batch_op:
        batch_op.drop_column('auto_metric')
