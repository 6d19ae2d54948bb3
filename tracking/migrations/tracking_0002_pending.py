"""tracking: statements stored but not yet derived; progress finds its statements through pair keys

Revision ID: tracking_0002
Revises: tracking_0001
Create Date: 2026-11-23 19:10:00

The (actor_key, activity_id) index on xapi_statement is replaced by a "pair" key per statement in
xapi_statement_key, written when the statement is derived (after its request, not during it).
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import lms.types

revision = 'tracking_0002'
down_revision = 'tracking_0001'
branch_labels = None
depends_on = None


def _pair_key(agent: str, activity_id: str) -> int:  # tracking.xapi_data.pair_key as of this revision
    digest = hashlib.blake2b(f"p|{agent}|{activity_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _micros(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def upgrade() -> None:
    op.create_table('xapi_pending',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['xapi_statement.seq'], name=op.f('fk_xapi_pending_seq_xapi_statement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_xapi_pending')),
    sqlite_with_rowid=False
    )
    statement = sa.table('xapi_statement', sa.column('seq', sa.Integer()), sa.column('actor_key', sa.String()),
                         sa.column('activity_id', sa.String()), sa.column('stored', lms.types.UTCDateTime()))
    connection = op.get_bind()
    # In ranges of seq (not the whole log in memory); a key already there (an earlier upgrade, downgraded) is kept.
    insert = sa.text("INSERT INTO xapi_statement_key (seq, key, stored_us) VALUES (:seq, :key, :stored_us) "
                     "ON CONFLICT DO NOTHING")
    last = connection.execute(sa.select(sa.func.max(statement.c.seq))).scalar() or 0
    for start in range(0, last + 1, 20000):
        rows = connection.execute(sa.select(statement).where(
            statement.c.activity_id.is_not(None), statement.c.seq >= start, statement.c.seq < start + 20000)).all()
        if rows:
            connection.execute(insert, [{"seq": r.seq, "key": _pair_key(r.actor_key, r.activity_id),
                                         "stored_us": _micros(r.stored)} for r in rows])
    op.drop_index('ix_xapi_statement_actor_key_activity_id', table_name='xapi_statement')


def downgrade() -> None:
    if op.get_bind().execute(sa.text("SELECT count(*) FROM xapi_pending")).scalar():
        raise RuntimeError("Statements are waiting to be derived: run `flask lms worker` (or `flask lms tracking "
                           "rebuild`) until none is pending, then downgrade; the earlier revision cannot derive them.")
    op.create_index('ix_xapi_statement_actor_key_activity_id', 'xapi_statement', ['actor_key', 'activity_id'], unique=False)
    op.drop_table('xapi_pending')  # pair keys stay in xapi_statement_key: no query asks for them
