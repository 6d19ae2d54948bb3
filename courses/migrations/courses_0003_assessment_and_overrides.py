"""courses: shuffled options and feedback settings, lesson slugs and completion checks, waivers and extra
attempts, certificate references, the question bank, media files and embed hosts

Revision ID: courses_0003
Revises: courses_0002
Create Date: 2026-12-02 18:10:00
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

import lms.types

revision = 'courses_0003'
down_revision = 'courses_0002'
branch_labels = None
depends_on = None


def _slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "lesson"


def upgrade() -> None:
    op.create_table('bank_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('topic', sa.String(length=80), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('shuffle', sa.Boolean(), nullable=False),
    sa.Column('created_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_question')),
    sa.UniqueConstraint('key', name=op.f('uq_bank_question_key'))
    )
    op.create_table('media_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', lms.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['person.id'], name=op.f('fk_media_file_uploaded_by_id_person'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_file')),
    sa.UniqueConstraint('key', name=op.f('uq_media_file_key'))
    )
    op.create_table('embed_host',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_embed_host')),
    sa.UniqueConstraint('host', name=op.f('uq_embed_host_host'))
    )
    with op.batch_alter_table('course') as batch:
        batch.add_column(sa.Column('min_lesson_seconds', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('require_scroll', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('lesson') as batch:
        batch.add_column(sa.Column('slug', sa.String(length=80), nullable=True))
    with op.batch_alter_table('quiz') as batch:
        batch.add_column(sa.Column('feedback', sa.String(length=20), server_default='final', nullable=False))
        batch.add_column(sa.Column('lessons_first', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('question') as batch:
        batch.add_column(sa.Column('shuffle', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column('bank_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_question_bank_id_bank_question'), 'bank_question', ['bank_id'], ['id'],
                                 ondelete='SET NULL')
    with op.batch_alter_table('quiz_attempt') as batch:
        batch.add_column(sa.Column('option_orders', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('reset_at', lms.types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('enrolment') as batch:
        batch.add_column(sa.Column('waived_reason', sa.Text(), nullable=True))
        batch.add_column(sa.Column('waived_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('waived_at', lms.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('extra_attempts', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('certificate_ref', sa.String(length=40), nullable=True))
        batch.create_foreign_key(op.f('fk_enrolment_waived_by_id_person'), 'person', ['waived_by_id'], ['id'],
                                 ondelete='SET NULL')
        batch.create_unique_constraint(op.f('uq_enrolment_certificate_ref'), ['certificate_ref'])
    # Existing lessons get readable slugs from their titles (unique within each course).
    bind = op.get_bind()
    lessons = bind.execute(sa.text(
        "SELECT lesson.id, lesson.title, course_module.course_id FROM lesson "
        "JOIN course_module ON course_module.id = lesson.module_id ORDER BY course_module.course_id, "
        "course_module.position, lesson.position, lesson.id")).all()
    taken: dict[int, set[str]] = {}
    for lesson_id, title, course_id in lessons:
        used = taken.setdefault(course_id, set())
        base = slug = _slugify(title)
        number = 2
        while slug in used:
            slug, number = f"{base}-{number}", number + 1
        used.add(slug)
        bind.execute(sa.text("UPDATE lesson SET slug = :slug WHERE id = :id"), {"slug": slug, "id": lesson_id})


def downgrade() -> None:
    with op.batch_alter_table('enrolment') as batch:
        batch.drop_constraint(op.f('uq_enrolment_certificate_ref'), type_='unique')
        batch.drop_constraint(op.f('fk_enrolment_waived_by_id_person'), type_='foreignkey')
        for column in ('certificate_ref', 'extra_attempts', 'waived_at', 'waived_by_id', 'waived_reason'):
            batch.drop_column(column)
    with op.batch_alter_table('quiz_attempt') as batch:
        batch.drop_column('reset_at')
        batch.drop_column('option_orders')
    with op.batch_alter_table('question') as batch:
        batch.drop_constraint(op.f('fk_question_bank_id_bank_question'), type_='foreignkey')
        batch.drop_column('bank_id')
        batch.drop_column('shuffle')
    with op.batch_alter_table('quiz') as batch:
        batch.drop_column('lessons_first')
        batch.drop_column('feedback')
    with op.batch_alter_table('lesson') as batch:
        batch.drop_column('slug')
    with op.batch_alter_table('course') as batch:
        batch.drop_column('require_scroll')
        batch.drop_column('min_lesson_seconds')
    op.drop_table('embed_host')
    op.drop_table('media_file')
    op.drop_table('bank_question')
