"""adoption: weekly active rows (adoption_usage_week), filled from the usage days; counted statement ids in lower case

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


def upgrade() -> None:
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
    op.drop_index('ix_adoption_usage_week_week', table_name='adoption_usage_week')
    op.drop_table('adoption_usage_week')
