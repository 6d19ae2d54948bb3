"""Weekly active rows (``adoption_usage_week``): per person and week, the days the CRM was used, kept from the
usage days as they change, so the trend and the goal metric read at most one row per person and week instead of
every usage day.

A row's ``days`` holds bit ``d`` for a use on weekday ``d`` (Monday 0) of its week, and bit ``7 + d`` for one on
weekday ``d`` of the week before. The 7 days ending on any day span that day's week and the one before, so they
are exactly the bits :func:`window_bits` of that day's week row: whether someone was active in a window is one
row's test, on any weekday.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import delete, select

from adoption.bulk import chunks, upsert
from adoption.models import UsageDay, UsageWeek
from lms.extensions import db

WEEK = timedelta(days=7)
COLUMNS, TYPES = ("person_id", "week", "days"), ("integer", "date", "integer")
# Set the new bits; a row whose days are all marked already is not written again.
GROW = ("days = adoption_usage_week.days | excluded.days "
        "WHERE (adoption_usage_week.days | excluded.days) <> adoption_usage_week.days")


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def window_bits(end: date) -> int:
    """The bits of ``end``'s week row that are the 7 days ending on ``end``: Monday to ``end`` of its own week,
    the day after ``end``'s weekday to Sunday of the week before."""
    own = (1 << (end.weekday() + 1)) - 1
    return own | ((0x7F & ~own) << 7)


def _bits(days) -> dict[tuple[int, date], int]:
    """(person, day) pairs -> the bits they set in (person, week) rows: their own week's and the next one's."""
    rows: dict[tuple[int, date], int] = defaultdict(int)
    for person_id, day in days:
        week = monday(day)
        rows[(person_id, week)] |= 1 << day.weekday()
        rows[(person_id, week + WEEK)] |= 1 << (7 + day.weekday())
    return rows


def used(days: set[tuple[int, date]]) -> None:
    """These (person, day) pairs now have CRM use (a count went up from the statements): set their bits."""
    rows = _bits(days)
    for chunk in chunks(sorted(rows), 1000):
        upsert("adoption_usage_week", COLUMNS, [(p, w, rows[(p, w)]) for p, w in chunk], pg_types=TYPES,
               conflict=("person_id", "week"), update=GROW)


def recount(days: set[tuple[int, date]]) -> None:
    """Recompute the rows these (person, day) pairs touch from the usage days (after a count went down or was
    replaced, so a day may have no use left); rows left with no day are deleted."""
    wanted = _bits(days)
    for chunk in chunks(sorted({p for p, _d in days}), 1000):
        keys = [key for key in wanted if key[0] in set(chunk)]
        low, high = min(w for _p, w in keys) - WEEK, max(w for _p, w in keys) + WEEK
        found = db.session.execute(
            select(UsageDay.person_id, UsageDay.day).distinct().where(
                UsageDay.person_id.in_(chunk), UsageDay.day >= low, UsageDay.day < high,
                (UsageDay.from_statements > 0) | (UsageDay.from_csv > 0))).all()
        actual = _bits(found)
        upsert("adoption_usage_week", COLUMNS, [(p, w, actual.get((p, w), 0)) for p, w in keys], pg_types=TYPES,
               conflict=("person_id", "week"), update="days = excluded.days")
        db.session.execute(delete(UsageWeek).where(UsageWeek.person_id.in_(chunk), UsageWeek.days == 0))
