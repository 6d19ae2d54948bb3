"""tracking: which LRS clients' statements count toward progress, and each progress row's source

Revision ID: tracking_0005
Revises: tracking_0004
Create Date: 2026-12-10 15:00:00

Existing clients keep counting (the default); existing progress rows have no source yet and are recomputed from the
log the next time a statement touches them (``lms tracking rebuild`` does all at once).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'tracking_0005'
down_revision = 'tracking_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('xapi_client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counts_toward_progress', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
    with op.batch_alter_table('xapi_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('xapi_progress', schema=None) as batch_op:
        batch_op.drop_column('source')
    with op.batch_alter_table('xapi_client', schema=None) as batch_op:
        batch_op.drop_column('counts_toward_progress')
