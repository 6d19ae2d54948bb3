"""host: one outbox for all outgoing mail (campaign rows rendered when sent, claims with a lease, the relay's
answer), and suppressed addresses

Revision ID: lms_0002
Revises: lms_0001
Create Date: 2026-12-02 19:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.types

revision = 'lms_0002'
down_revision = 'lms_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outgoing_mail') as batch:
        batch.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('category', sa.String(length=20), server_default='account', nullable=False))
        batch.add_column(sa.Column('source', sa.String(length=40), server_default='account', nullable=False))
        batch.add_column(sa.Column('source_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('headers', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('smtp_reply', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('message_id', sa.String(length=250), nullable=True))
        batch.add_column(sa.Column('claimed_by', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('claimed_until', lms.types.UTCDateTime(timezone=True), nullable=True))
        batch.alter_column('subject', existing_type=sa.String(length=300), nullable=True)
        batch.alter_column('text_body', existing_type=sa.Text(), nullable=True)
        batch.create_foreign_key(batch.f('fk_outgoing_mail_person_id_person'), 'person', ['person_id'], ['id'],
                                 ondelete='SET NULL')
        batch.create_index('ix_outgoing_mail_source_source_id_status', ['source', 'source_id', 'status'])
        batch.create_index('ix_outgoing_mail_person_id', ['person_id'])
    op.execute("UPDATE outgoing_mail SET smtp_reply = '250 (sent before replies were recorded)' "
               "WHERE status = 'sent'")
    op.create_table(
        'mail_suppression',
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('mail_id', sa.Integer(), nullable=True),
        sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('email', name=op.f('pk_mail_suppression')),
    )


def downgrade() -> None:
    op.drop_table('mail_suppression')
    with op.batch_alter_table('outgoing_mail') as batch:
        batch.drop_index('ix_outgoing_mail_person_id')
        batch.drop_index('ix_outgoing_mail_source_source_id_status')
        batch.drop_constraint('fk_outgoing_mail_person_id_person', type_='foreignkey')
        for column in ('claimed_until', 'claimed_by', 'message_id', 'smtp_reply', 'headers', 'source_id', 'source',
                       'category', 'person_id'):
            batch.drop_column(column)
