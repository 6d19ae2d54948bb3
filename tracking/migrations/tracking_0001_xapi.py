"""tracking: xAPI statements and their query keys, documents, LRS clients, forwarding outbox, progress

Revision ID: tracking_0001
Revises: 
Create Date: 2026-11-23 16:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.types

revision = 'tracking_0001'
down_revision = None
branch_labels = ('tracking',)
depends_on = 'lms_0001'


def upgrade() -> None:
    op.create_table('xapi_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.String(length=600), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_activity')),
    sa.UniqueConstraint('activity_id', name=op.f('uq_xapi_activity_activity_id'))
    )
    op.create_table('xapi_attachment',
    sa.Column('sha2', sa.String(length=128), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('sha2', name=op.f('pk_xapi_attachment'))
    )
    op.create_table('xapi_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scope_list', sa.String(length=200), nullable=False),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_client')),
    sa.UniqueConstraint('key', name=op.f('uq_xapi_client_key'))
    )
    op.create_table('xapi_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('scope_key', sa.String(length=64), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=False),
    sa.Column('doc_id', sa.String(length=600), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('etag', sa.String(length=40), nullable=False),
    sa.Column('updated', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_document')),
    sa.UniqueConstraint('kind', 'scope_key', 'registration', 'doc_id', name='uq_xapi_document_kind_scope')
    )
    op.create_table('xapi_forward_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivered', sa.Integer(), nullable=False),
    sa.Column('last_delivery_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_forward_counter'))
    )
    op.create_table('xapi_statement',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('stored', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('timestamp', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_key', sa.String(length=600), nullable=False),
    sa.Column('verb_id', sa.String(length=600), nullable=False),
    sa.Column('activity_id', sa.String(length=600), nullable=True),
    sa.Column('registration', sa.String(length=36), nullable=True),
    sa.Column('target_id', sa.String(length=36), nullable=True),
    sa.Column('voiding', sa.Boolean(), nullable=False),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('has_attachments', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('success', sa.Boolean(), nullable=True),
    sa.Column('completion', sa.Boolean(), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['xapi_client.id'], name=op.f('fk_xapi_statement_client_id_xapi_client'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_xapi_statement')),
    sa.UniqueConstraint('id', name=op.f('uq_xapi_statement_id'))
    )
    with op.batch_alter_table('xapi_statement', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_statement_actor_key_activity_id', ['actor_key', 'activity_id'], unique=False)
        batch_op.create_index('ix_xapi_statement_stored_seq', ['stored', 'seq'], unique=False)
        batch_op.create_index('ix_xapi_statement_target_id', ['target_id'], unique=False)

    op.create_table('xapi_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_seq', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['statement_seq'], ['xapi_statement.seq'], name=op.f('fk_xapi_outbox_statement_seq_xapi_statement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_outbox')),
    sa.UniqueConstraint('statement_seq', name=op.f('uq_xapi_outbox_statement_seq'))
    )
    with op.batch_alter_table('xapi_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_outbox_status_due_at', ['status', 'due_at'], unique=False)

    op.create_table('xapi_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_key', sa.String(length=600), nullable=False),
    sa.Column('activity_id', sa.String(length=600), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('best_score', sa.Float(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_xapi_progress_person_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_progress')),
    sa.UniqueConstraint('agent_key', 'activity_id', name='uq_xapi_progress_agent_activity')
    )
    with op.batch_alter_table('xapi_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xapi_progress_person_id'), ['person_id'], unique=False)

    op.create_table('xapi_statement_key',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('key', sa.BigInteger(), nullable=False),
    sa.Column('stored_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['xapi_statement.seq'], name=op.f('fk_xapi_statement_key_seq_xapi_statement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', 'key', name=op.f('pk_xapi_statement_key')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('xapi_statement_key', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_statement_key_key_stored_us_seq', ['key', 'stored_us', 'seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('xapi_statement_key', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_statement_key_key_stored_us_seq')

    op.drop_table('xapi_statement_key')
    with op.batch_alter_table('xapi_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xapi_progress_person_id'))

    op.drop_table('xapi_progress')
    with op.batch_alter_table('xapi_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_outbox_status_due_at')

    op.drop_table('xapi_outbox')
    with op.batch_alter_table('xapi_statement', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_statement_target_id')
        batch_op.drop_index('ix_xapi_statement_stored_seq')
        batch_op.drop_index('ix_xapi_statement_actor_key_activity_id')

    op.drop_table('xapi_statement')
    op.drop_table('xapi_forward_counter')
    op.drop_table('xapi_document')
    op.drop_table('xapi_client')
    op.drop_table('xapi_attachment')
    op.drop_table('xapi_activity')
