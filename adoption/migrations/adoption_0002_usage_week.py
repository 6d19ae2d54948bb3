"""adoption: weekly active rows (adoption_usage_week), filled from the usage days; counted statement ids in lower
case; an index for the report's lists; on SQLite the usage days and counted statements become WITHOUT ROWID
tables (one b-tree each)

Revision ID: adoption_0002
Revises: adoption_0001
Create Date: 2026-12-04 18:50:00
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = 'adoption_0002'
down_revision = 'adoption_0001'
branch_labels = None
depends_on = None


def _usage_day(metadata: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name, metadata,
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=80), nullable=False),
        sa.Column('from_statements', sa.Integer(), nullable=False),
        sa.Column('from_csv', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name='fk_adoption_usage_day_person_id_person',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', 'day', 'kind', name='pk_adoption_usage_day'),
        sqlite_with_rowid=False)


def _usage_statement(metadata: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name, metadata,
        sa.Column('statement_id', sa.String(length=36), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint('statement_id', name='pk_adoption_usage_statement'),
        sqlite_with_rowid=False)


def _rebuild_without_rowid(name: str, build) -> None:
    """SQLite: copy ``name`` into a WITHOUT ROWID table of the same columns and constraints, and swap them."""
    bind = op.get_bind()
    metadata = sa.MetaData()
    sa.Table('person', metadata, sa.Column('id', sa.Integer(), primary_key=True))  # what the foreign key names
    table = build(metadata, f'_new_{name}')
    table.create(bind)
    columns = ', '.join(column.name for column in table.columns)
    op.execute(f'INSERT INTO _new_{name} ({columns}) SELECT {columns} FROM {name}')  # noqa: S608 - our names
    op.execute(f'DROP TABLE {name}')
    op.execute(f'ALTER TABLE _new_{name} RENAME TO {name}')


def upgrade() -> None:
    op.drop_index('ix_adoption_usage_day_day', table_name='adoption_usage_day')
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_without_rowid('adoption_usage_day', _usage_day)
        _rebuild_without_rowid('adoption_usage_statement', _usage_statement)
    week = op.create_table(
        'adoption_usage_week',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_adoption_usage_week_person_id_person'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', 'week', name=op.f('pk_adoption_usage_week')),
        sqlite_with_rowid=False,
    )
    # Voiding finds a counted statement by its id through the primary key: keep the ids as the LRS stores them.
    op.execute("UPDATE adoption_usage_statement SET statement_id = lower(statement_id) "
               "WHERE statement_id <> lower(statement_id)")
    op.create_index('ix_adoption_person_training', 'adoption_person', ['trained_on', 'last_used_on', 'required'],
                    unique=False)
    op.create_index('ix_adoption_usage_week_week', 'adoption_usage_week', ['week', 'days', 'person_id'], unique=False)
    # The rows the usage days already give (the bits as in adoption.weeks, written out: a migration stays as it is).
    usage = sa.table('adoption_usage_day', sa.column('person_id', sa.Integer()), sa.column('day', sa.Date()),
                     sa.column('from_statements', sa.Integer()), sa.column('from_csv', sa.Integer()))
    rows: dict[tuple[int, date], int] = defaultdict(int)
    found = op.get_bind().execute(sa.select(usage.c.person_id, usage.c.day).distinct().where(
        (usage.c.from_statements > 0) | (usage.c.from_csv > 0)))
    for person_id, day in found:
        monday = day - timedelta(days=day.weekday())
        rows[(person_id, monday)] |= 1 << day.weekday()
        rows[(person_id, monday + timedelta(days=7))] |= 1 << (7 + day.weekday())
    values = [{'person_id': p, 'week': w, 'days': d} for (p, w), d in sorted(rows.items())]
    for start in range(0, len(values), 5000):
        op.bulk_insert(week, values[start:start + 5000])


def downgrade() -> None:
    op.drop_index('ix_adoption_person_training', table_name='adoption_person')
    op.create_index('ix_adoption_usage_day_day', 'adoption_usage_day', ['day'], unique=False)
    op.drop_index('ix_adoption_usage_week_week', table_name='adoption_usage_week')
    op.drop_table('adoption_usage_week')
