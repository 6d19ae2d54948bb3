"""Bulk inserts for the statement log: one driver ``executemany`` per table and request.

SQLAlchemy's per-row parameter processing costs more than the database itself at 100 statements per request, so
the hot tables are written with plain tuples; :func:`db_time` does what the ``UTCDateTime`` type does.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from lms.extensions import db


def db_time(moment: datetime, as_text: bool | None = None):
    """A UTC datetime as the driver stores it: naive text on SQLite (SQLAlchemy's format), aware elsewhere.
    ``as_text``: whether the database is SQLite, when the caller already knows."""
    moment = moment.astimezone(UTC)
    if as_text if as_text is not None else db.engine.dialect.name == "sqlite":
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def from_db_time(value) -> datetime:
    """What :func:`db_time` wrote, back as an aware UTC datetime (driver SQL skips the column type)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch: how the key index orders by ``stored``."""
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _mark() -> str:
    return "?" if db.engine.dialect.paramstyle == "qmark" else "%s"


def run_in(sql: str, values: list, params: tuple = ()) -> list[tuple]:
    """Run driver SQL whose ``{in}`` is an IN list of ``values`` (after ``params`` for the marks before it);
    return its rows, if it has any. For the statement store's per-request queries, where building and compiling a
    SQLAlchemy statement costs more than running it."""
    marks = ", ".join([_mark()] * len(values))
    result = db.session.connection().exec_driver_sql(sql.replace("{mark}", _mark()).replace("{in}", marks),
                                                     (*params, *values))
    return result.fetchall() if result.returns_rows else []


def insert_many(table: str, columns: tuple[str, ...], rows: list[tuple], *, skip_existing: bool = False,
                replace_on: tuple[str, ...] = (), pg_types: tuple[str, ...] = ()) -> None:
    """Insert ``rows``; with ``skip_existing``, rows that break a unique constraint (say, inserted by a concurrent
    request) are left out instead of failing the transaction; with ``replace_on`` (the columns of a unique
    constraint), a row that matches an existing one replaces its other columns.

    ``pg_types`` (PostgreSQL types of the columns): on PostgreSQL, send the rows as one array per column in a single
    statement, instead of psycopg's pipelined executemany, whose cost per row in Python is the larger one."""
    if not rows:
        return
    names = ", ".join(columns)
    unnest = pg_types and db.engine.dialect.name == "postgresql"
    if unnest:
        arrays = ", ".join(f"%s::{kind}[]" for kind in pg_types)
        sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608 - our names
    else:
        sql = f'INSERT INTO {table} ({names}) VALUES ({", ".join([_mark()] * len(columns))})'  # noqa: S608
    if skip_existing:
        sql += " ON CONFLICT DO NOTHING"
    elif replace_on:
        sql += (f" ON CONFLICT ({', '.join(replace_on)}) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in columns if c not in replace_on))
    if unnest:
        columns_ = [list(column) if kind != "float8" else [None if v is None else float(v) for v in column]
                    for column, kind in zip(zip(*rows, strict=True), pg_types, strict=True)]  # one type per array
        db.session.connection().exec_driver_sql(sql, tuple(columns_))
    else:
        db.session.connection().exec_driver_sql(sql, rows)  # one executemany (SQLite: in C; psycopg: pipelined)


def lock_keys(kind: str, values: Iterable[str]) -> None:
    """PostgreSQL: take transaction-scoped advisory locks on ``kind|value`` for ``values``, in one order (no
    deadlocks between requests). SQLite needs none: it runs one writing transaction at a time."""
    if db.engine.dialect.name != "postgresql":
        return
    from tracking.xapi_data import hash_key

    keys = [hash_key(kind, value) for value in values]
    if not keys:
        return
    # One round trip; the ordered subquery (OFFSET 0 keeps it a subquery) fixes the order the locks are taken in.
    db.session.connection().exec_driver_sql(
        "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT k FROM unnest(%s::bigint[]) AS k ORDER BY k OFFSET 0) s",
        (sorted(set(keys)),))
