"""comms: layout, audiences, campaigns, opt-outs, engagement

Revision ID: comms_0001
Revises:
Create Date: 2026-12-03 17:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.types

revision = 'comms_0001'
down_revision = None
branch_labels = ('comms',)
depends_on = 'lms_0005'


def upgrade() -> None:
    op.create_table('comms_layout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_name', sa.String(length=120), nullable=False),
    sa.Column('colour', sa.String(length=7), nullable=False),
    sa.Column('logo_url', sa.String(length=500), nullable=False),
    sa.Column('footer', sa.String(length=500), nullable=False),
    sa.Column('updated_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_layout'))
    )
    op.create_table('comms_audience',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_comms_audience_created_by_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_audience')),
    sa.UniqueConstraint('name', name=op.f('uq_comms_audience_name'))
    )
    op.create_table('comms_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('sender_name', sa.String(length=120), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audience_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('send_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('timezone', sa.String(length=60), nullable=False),
    sa.Column('started_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['audience_id'], ['comms_audience.id'], name=op.f('fk_comms_campaign_audience_id_comms_audience'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_comms_campaign_created_by_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_campaign'))
    )
    op.create_index('ix_comms_campaign_status_send_at', 'comms_campaign', ['status', 'send_at'], unique=False)
    op.create_table('comms_opt_out',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('via_mail_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_comms_opt_out_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'category', name=op.f('pk_comms_opt_out'))
    )
    op.create_table('comms_engagement',
    sa.Column('mail_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('opens', sa.Integer(), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.Column('first_opened_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_clicked_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['mail_id'], ['outgoing_mail.id'], name=op.f('fk_comms_engagement_mail_id_outgoing_mail'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mail_id', name=op.f('pk_comms_engagement'))
    )
    op.create_index('ix_comms_engagement_campaign_id', 'comms_engagement', ['campaign_id'], unique=False)
    op.create_index('ix_comms_engagement_person_id', 'comms_engagement', ['person_id'], unique=False)
    op.create_table('comms_tally',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Integer(), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.Column('unsubscribes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['comms_campaign.id'], name=op.f('fk_comms_tally_campaign_id_comms_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_comms_tally'))
    )
    op.create_table('comms_link_clicks',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['comms_campaign.id'], name=op.f('fk_comms_link_clicks_campaign_id_comms_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'url', name=op.f('pk_comms_link_clicks'))
    )


def downgrade() -> None:
    op.drop_table('comms_link_clicks')
    op.drop_table('comms_tally')
    op.drop_index('ix_comms_engagement_person_id', table_name='comms_engagement')
    op.drop_index('ix_comms_engagement_campaign_id', table_name='comms_engagement')
    op.drop_table('comms_engagement')
    op.drop_table('comms_opt_out')
    op.drop_index('ix_comms_campaign_status_send_at', table_name='comms_campaign')
    op.drop_table('comms_campaign')
    op.drop_table('comms_audience')
    op.drop_table('comms_layout')
