"""courses: a path assignment says whether a rule or a person made it (rule-made ones are withdrawn when the
person no longer matches any rule)

Revision ID: courses_0002
Revises: courses_0001
Create Date: 2026-12-02 18:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'courses_0002'
down_revision = 'courses_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('path_assignment') as batch:
        batch.add_column(sa.Column('source', sa.String(length=20), server_default='rule', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('path_assignment') as batch:
        batch.drop_column('source')
