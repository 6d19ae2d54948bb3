"""governance: board, meetings, goals, API tokens, the gap report's read model

Revision ID: governance_0001
Revises: 
Create Date: 2026-12-02 18:59:53
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.types


revision = 'governance_0001'
down_revision = None
branch_labels = ('governance',)
depends_on = 'lms_0001'


def upgrade() -> None:
    op.create_table('governance_dirty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_dirty'))
    )
    with op.batch_alter_table('governance_dirty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_dirty_person_id'), ['person_id'], unique=False)

    op.create_table('governance_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('scheduled_for', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('agenda', sa.JSON(), nullable=True),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_meeting'))
    )
    with op.batch_alter_table('governance_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_meeting_scheduled_for'), ['scheduled_for'], unique=False)

    op.create_table('governance_read_model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paths_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('rebuilt_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_read_model'))
    )
    op.create_table('governance_requirement',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('job_role_id', sa.Integer(), nullable=True),
    sa.Column('wave_id', sa.Integer(), nullable=True),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('completed_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('assigned_day', sa.Integer(), nullable=False),
    sa.Column('done_day', sa.Integer(), nullable=True),
    sa.Column('open_due_day', sa.Integer(), nullable=True),
    sa.Column('started', sa.SmallInteger(), nullable=False),
    sa.Column('done', sa.SmallInteger(), nullable=False),
    sa.Column('first', sa.SmallInteger(), nullable=False),
    sa.Column('failed_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('person_id', 'course_id', name=op.f('pk_governance_requirement'))
    )
    with op.batch_alter_table('governance_requirement', schema=None) as batch_op:
        batch_op.create_index('ix_governance_requirement_course', ['course_id', 'done', 'department_id', 'job_role_id', 'open_due_day'], unique=False)
        batch_op.create_index('ix_governance_requirement_days', ['assigned_day', 'done_day'], unique=False)
        batch_op.create_index('ix_governance_requirement_department', ['department_id', 'done', 'started', 'first', 'open_due_day', 'failed_count', 'assigned_day', 'done_day'], unique=False)
        batch_op.create_index('ix_governance_requirement_job_role', ['job_role_id', 'done', 'started', 'first', 'open_due_day', 'failed_count', 'assigned_day', 'done_day'], unique=False)
        batch_op.create_index('ix_governance_requirement_manager', ['manager_id', 'done', 'started', 'first', 'open_due_day', 'failed_count', 'assigned_day', 'done_day'], unique=False)
        batch_op.create_index('ix_governance_requirement_person', ['person_id', 'done', 'started', 'first', 'open_due_day', 'failed_count', 'assigned_day', 'done_day'], unique=False)
        batch_op.create_index('ix_governance_requirement_wave', ['wave_id', 'done', 'started', 'first', 'open_due_day', 'failed_count', 'assigned_day', 'done_day'], unique=False)

    op.create_table('governance_requirement_path',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('path_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('person_id', 'course_id', 'path_id', name=op.f('pk_governance_requirement_path'))
    )
    with op.batch_alter_table('governance_requirement_path', schema=None) as batch_op:
        batch_op.create_index('ix_governance_requirement_path_path', ['path_id', 'person_id'], unique=False)

    op.create_table('governance_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadence_months', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_settings'))
    )
    op.create_table('governance_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['governance_meeting.id'], name=op.f('fk_governance_decision_meeting_id_governance_meeting'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_decision'))
    )
    with op.batch_alter_table('governance_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_decision_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('governance_api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scope_list', sa.String(length=200), nullable=False),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_governance_api_token_created_by_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_api_token')),
    sa.UniqueConstraint('key', name=op.f('uq_governance_api_token_key'))
    )
    op.create_table('governance_board_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('duty', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('since', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_governance_board_role_person_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_board_role')),
    sa.UniqueConstraint('code', name=op.f('uq_governance_board_role_code'))
    )
    with op.batch_alter_table('governance_board_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_board_role_person_id'), ['person_id'], unique=False)

    op.create_table('governance_goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('metric', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=False),
    sa.Column('baseline_on', sa.Date(), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('direction', sa.String(length=4), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['person.id'], name=op.f('fk_governance_goal_owner_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_goal')),
    sa.UniqueConstraint('key', name=op.f('uq_governance_goal_key'))
    )
    with op.batch_alter_table('governance_goal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_goal_owner_id'), ['owner_id'], unique=False)

    op.create_table('governance_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('goal_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', lms.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['goal_id'], ['governance_goal.id'], name=op.f('fk_governance_action_goal_id_governance_goal'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['governance_meeting.id'], name=op.f('fk_governance_action_meeting_id_governance_meeting'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['person.id'], name=op.f('fk_governance_action_owner_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_action'))
    )
    with op.batch_alter_table('governance_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_action_goal_id'), ['goal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_governance_action_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_governance_action_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_governance_action_status'), ['status'], unique=False)

    op.create_table('governance_goal_course',
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['governance_goal.id'], name=op.f('fk_governance_goal_course_goal_id_governance_goal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('goal_id', 'course_id', name=op.f('pk_governance_goal_course'))
    )
    op.create_table('governance_goal_department',
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_governance_goal_department_department_id_department'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['goal_id'], ['governance_goal.id'], name=op.f('fk_governance_goal_department_goal_id_governance_goal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('goal_id', 'department_id', name=op.f('pk_governance_goal_department'))
    )
    op.create_table('governance_goal_job_role',
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('job_role_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['governance_goal.id'], name=op.f('fk_governance_goal_job_role_goal_id_governance_goal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_role_id'], ['job_role.id'], name=op.f('fk_governance_goal_job_role_job_role_id_job_role'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('goal_id', 'job_role_id', name=op.f('pk_governance_goal_job_role'))
    )
    op.create_table('governance_goal_path',
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('path_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['governance_goal.id'], name=op.f('fk_governance_goal_path_goal_id_governance_goal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('goal_id', 'path_id', name=op.f('pk_governance_goal_path'))
    )
    op.create_table('governance_goal_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('measured_on', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['governance_goal.id'], name=op.f('fk_governance_goal_value_goal_id_governance_goal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id'], name=op.f('fk_governance_goal_value_recorded_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['token_id'], ['governance_api_token.id'], name=op.f('fk_governance_goal_value_token_id_governance_api_token'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_goal_value')),
    sa.UniqueConstraint('goal_id', 'measured_on', name=op.f('uq_governance_goal_value_goal_id'))
    )

    # Every board starts with the seats of seed 001, vacant until someone holds them; the board meets quarterly.
    seats = sa.table('governance_board_role', sa.column('code', sa.String), sa.column('title', sa.String),
                     sa.column('duty', sa.Text), sa.column('position', sa.Integer))
    op.bulk_insert(seats, [
        {'code': 'executive_sponsor', 'title': 'Executive sponsor', 'position': 0,
         'duty': "Owns the program's goals, clears obstacles and chairs the board."},
        {'code': 'program_lead', 'title': 'Program lead', 'position': 1,
         'duty': 'Runs the rollout day to day; prepares each meeting and follows its actions.'},
        {'code': 'people_sme', 'title': 'People SME', 'position': 2,
         'duty': 'Training, communication and adoption: the people side of the change.'},
        {'code': 'process_sme', 'title': 'Process SME', 'position': 3,
         'duty': 'The business processes the CRM supports, and how they change.'},
        {'code': 'technology_sme', 'title': 'Technology SME', 'position': 4,
         'duty': 'The CRM itself: configuration, data, integrations.'},
    ])
    op.bulk_insert(sa.table('governance_settings', sa.column('id', sa.Integer), sa.column('cadence_months', sa.Integer)),
                   [{'id': 1, 'cadence_months': 3}])




def downgrade() -> None:
    op.drop_table('governance_goal_value')
    op.drop_table('governance_goal_path')
    op.drop_table('governance_goal_job_role')
    op.drop_table('governance_goal_department')
    op.drop_table('governance_goal_course')
    with op.batch_alter_table('governance_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_action_status'))
        batch_op.drop_index(batch_op.f('ix_governance_action_owner_id'))
        batch_op.drop_index(batch_op.f('ix_governance_action_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_governance_action_goal_id'))

    op.drop_table('governance_action')
    with op.batch_alter_table('governance_goal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_goal_owner_id'))

    op.drop_table('governance_goal')
    with op.batch_alter_table('governance_board_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_board_role_person_id'))

    op.drop_table('governance_board_role')
    op.drop_table('governance_api_token')
    with op.batch_alter_table('governance_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_decision_meeting_id'))

    op.drop_table('governance_decision')
    op.drop_table('governance_settings')
    with op.batch_alter_table('governance_requirement_path', schema=None) as batch_op:
        batch_op.drop_index('ix_governance_requirement_path_path')

    op.drop_table('governance_requirement_path')
    with op.batch_alter_table('governance_requirement', schema=None) as batch_op:
        batch_op.drop_index('ix_governance_requirement_wave')
        batch_op.drop_index('ix_governance_requirement_person')
        batch_op.drop_index('ix_governance_requirement_manager')
        batch_op.drop_index('ix_governance_requirement_job_role')
        batch_op.drop_index('ix_governance_requirement_department')
        batch_op.drop_index('ix_governance_requirement_days')
        batch_op.drop_index('ix_governance_requirement_course')

    op.drop_table('governance_requirement')
    op.drop_table('governance_read_model')
    with op.batch_alter_table('governance_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_meeting_scheduled_for'))

    op.drop_table('governance_meeting')
    with op.batch_alter_table('governance_dirty', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_dirty_person_id'))

    op.drop_table('governance_dirty')
