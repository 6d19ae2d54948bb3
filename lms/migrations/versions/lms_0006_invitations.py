"""host: invitations (a signed, expiring, single-use link to set a first password)

Revision ID: lms_0006
Revises: lms_0005
Create Date: 2026-12-03 17:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.types

revision = 'lms_0006'
down_revision = 'lms_0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'invitation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('nonce', sa.String(length=32), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', lms.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('accepted_at', lms.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('replaced_at', lms.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['invited_by_id'], ['person.id'], name=op.f('fk_invitation_invited_by_id_person'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_invitation_person_id_person'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index('ix_invitation_person_id', ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index('ix_invitation_person_id')
    op.drop_table('invitation')
