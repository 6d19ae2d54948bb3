"""One statement per chunk of rows for adoption's hot tables (usage days and weeks, counted statements, the queue).

SQLAlchemy's per-row parameter processing costs more than the database itself for the small rows usage counting
writes, so these go to the driver as plain tuples: on SQLite one ``executemany`` (a loop in C over one prepared
statement), on PostgreSQL one ``INSERT ... SELECT FROM unnest(arrays)`` (a single round trip).
"""
from __future__ import annotations

from lms.extensions import db


def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def dialect_insert(model):
    """The database's own INSERT (with ``on_conflict_do_nothing`` / ``on_conflict_do_update``) for ``model``."""
    if _sqlite():
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert(model)


def upsert(table: str, columns: tuple[str, ...], rows: list[tuple], *, pg_types: tuple[str, ...],
           conflict: tuple[str, ...] = (), update: str = "") -> None:
    """Insert ``rows`` (tuples in ``columns`` order; ``pg_types`` names their PostgreSQL types, and
    "date" columns hold :class:`datetime.date`). With ``update`` (SQL for the SET list,
    ``excluded.<column>`` is the new row's value), a row whose ``conflict`` columns match an existing one updates
    it; without, such a row is left out. No two rows may share their ``conflict`` columns."""
    if not rows:
        return
    names = ", ".join(columns)
    tail = f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {update}" if update else " ON CONFLICT DO NOTHING"
    connection = db.session.connection()
    if _sqlite():
        marks = ", ".join("?" * len(columns))
        dates = [i for i, kind in enumerate(pg_types) if kind == "date"]
        if dates:  # as SQLAlchemy's Date stores them on SQLite; a chunk has few distinct days
            columns_ = list(zip(*rows, strict=True))
            for i in dates:
                text = {day: day.isoformat() for day in set(columns_[i])}
                columns_[i] = [text[day] for day in columns_[i]]
            rows = list(zip(*columns_, strict=True))
        connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks}){tail}", rows)  # noqa: S608
        return
    arrays = ", ".join(f"%s::{kind}[]" for kind in pg_types)
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){tail}",  # noqa: S608
                               tuple(list(column) for column in zip(*rows, strict=True)))


def chunks(values: list, size: int = 500):
    """``values`` in slices of ``size`` (IN lists and statements of a bounded size)."""
    for start in range(0, len(values), size):
        yield values[start:start + size]
