"""tracking: statements that could not be derived wait apart from the pending ones, with their error

Revision ID: tracking_0004
Revises: tracking_0003
Create Date: 2026-12-02 03:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.types

revision = 'tracking_0004'
down_revision = 'tracking_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'xapi_derive_failure',
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('failed_at', lms.types.UTCDateTime(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['seq'], ['xapi_statement.seq'], name=op.f('fk_xapi_derive_failure_seq_xapi_statement'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_xapi_derive_failure')),
    )


def downgrade() -> None:
    # What failed goes back to pending: the previous revision's derivers try it again.
    op.execute("INSERT INTO xapi_pending (seq) SELECT seq FROM xapi_derive_failure")
    op.drop_table('xapi_derive_failure')
