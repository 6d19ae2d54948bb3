"""Progress projections per agent and activity, derived from the (non-voided) statement log.

A row is a pure function of its pair's statements, so updating touched pairs as statements arrive (or are
voided) and rebuilding everything from the log give identical rows by construction.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import BigInteger, any_, bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from lms.extensions import db
from lms.people.models import Person
from tracking.bulk import db_time, insert_many, lock_keys
from tracking.models import Progress, Statement, StatementKey
from tracking.xapi_data import pair_key

ADL = "http://adlnet.gov/expapi/verbs/"
STARTED = {ADL + "attempted", ADL + "launched", ADL + "initialized"}
PASSED = {ADL + "passed", ADL + "mastered"}
FAILED = {ADL + "failed"}
COMPLETED = {ADL + "completed"} | PASSED
_COLUMNS = (Statement.actor_key, Statement.activity_id, Statement.verb_id, Statement.timestamp, Statement.score,
            Statement.success, Statement.completion)


def fold(rows: Iterable) -> dict:
    """The projection of one pair's statements (rows with verb_id, timestamp, score, success, completion)."""
    starts = assessed = 0
    passed = failed = False
    scores, times, completions = [], [], []
    for row in rows:
        times.append(row.timestamp)
        starts += row.verb_id in STARTED
        if row.verb_id in PASSED | FAILED or row.success is not None:
            assessed += 1
        passed |= row.verb_id in PASSED or row.success is True
        failed |= row.verb_id in FAILED or row.success is False
        if row.verb_id in COMPLETED or row.completion is True:
            completions.append(row.timestamp)
        if row.score is not None:
            scores.append(row.score)
    status = "passed" if passed else "failed" if failed else "completed" if completions else "attempted"
    return {"status": status, "best_score": max(scores) if scores else None, "attempts": starts or assessed,
            "first_at": min(times), "last_at": max(times), "completed_at": min(completions) if completions else None}


def _person_ids(agent_keys: set[str]) -> dict[str, int]:
    emails = {k.removeprefix("mbox|mailto:"): k for k in agent_keys if k.startswith("mbox|mailto:")}
    home = "account|" + current_app.config["LMS_BASE_URL"].rstrip("/") + "|"
    employee_ids = {k.removeprefix(home): k for k in agent_keys if k.startswith(home)}
    found: dict[str, int] = {}
    if emails:
        for person_id, email in db.session.execute(select(Person.id, Person.email).where(Person.email.in_(emails))):
            found[emails[email]] = person_id
    if employee_ids:
        for person_id, employee_id in db.session.execute(
                select(Person.id, Person.employee_id).where(Person.employee_id.in_(employee_ids))):
            found[employee_ids[employee_id]] = person_id
    return found


_PROGRESS_COLUMNS = ("agent_key", "activity_id", "person_id", "status", "best_score", "attempts", "first_at",
                     "last_at", "completed_at")


def _delete_rows(pairs: list[tuple[str, str]]) -> None:
    """Delete the pairs' projection rows (only placeholders are formatted into the SQL, every value is bound)."""
    if db.engine.dialect.name == "postgresql":  # a join with the pairs as arrays: index lookups, quick to plan
        params = {"agents": [a for a, _ in pairs], "activities": [b for _, b in pairs]}
        db.session.execute(text("DELETE FROM xapi_progress USING unnest(CAST(:agents AS text[]), "
                                "CAST(:activities AS text[])) AS p(agent, activity) "
                                "WHERE agent_key = p.agent AND activity_id = p.activity"), params)
        return
    for start in range(0, len(pairs), 200):  # SQLite uses the index for an OR of pairs, not for a row-value IN
        chunk = pairs[start:start + 200]
        params = {f"a{n}": agent for n, (agent, _) in enumerate(chunk)}
        params.update({f"b{n}": activity for n, (_, activity) in enumerate(chunk)})
        matches = " OR ".join(f"(agent_key = :a{n} AND activity_id = :b{n})" for n in range(len(chunk)))
        db.session.execute(text(f"DELETE FROM xapi_progress WHERE {matches}"), params)  # noqa: S608


def _pair_rows(pairs: list[tuple[str, str]]) -> list:
    """The pairs' non-voided statements, found through their pair keys in the key index."""
    keys = [pair_key(agent, activity) for agent, activity in pairs]
    logged = select(*_COLUMNS).join(StatementKey, StatementKey.seq == Statement.seq).where(
        Statement.voided.is_(False), Statement.voiding.is_(False))
    if db.engine.dialect.name == "postgresql":  # one array parameter, not one cast parameter per key
        return _own(pairs, db.session.execute(logged.where(StatementKey.key == any_(
            bindparam("keys", keys, type_=ARRAY(BigInteger))))).all())
    rows = []
    for start in range(0, len(keys), 500):
        rows += db.session.execute(logged.where(StatementKey.key.in_(keys[start:start + 500]))).all()
    return _own(pairs, rows)


def _own(pairs: list[tuple[str, str]], rows: list) -> list:
    wanted = set(pairs)  # a 64-bit key may in theory be shared: keep only the pairs' own statements
    return [row for row in rows if (row.actor_key, row.activity_id) in wanted]


def _project(pairs: set[tuple[str, str]]) -> None:
    """Recompute the rows of ``pairs`` from the log (delete, then insert what the log now says)."""
    pairs = {p for p in pairs if p[0] and p[1] and not p[0].startswith("group|")}
    if not pairs:
        return
    # Concurrent requests touching one pair take turns, so each recomputes from a log holding the other's rows.
    lock_keys("p", [f"{agent}|{activity}" for agent, activity in pairs])  # the pair keys' values (pair_key)
    pairs = sorted(pairs)
    grouped: dict[tuple[str, str], list] = defaultdict(list)
    for row in _pair_rows(pairs):
        grouped[(row.actor_key, row.activity_id)].append(row)
    gone = [pair for pair in pairs if pair not in grouped]  # every statement of the pair voided
    if gone:
        _delete_rows(gone)
    people = _person_ids({agent for agent, _ in grouped})
    as_text = db.engine.dialect.name == "sqlite"
    rows = []
    for (agent, activity), items in grouped.items():
        row = fold(items)
        rows.append((agent, activity, people.get(agent), row["status"], row["best_score"], row["attempts"],
                     *(db_time(row[k], as_text) if row[k] else None for k in ("first_at", "last_at", "completed_at"))))
    insert_many("xapi_progress", _PROGRESS_COLUMNS, rows, replace_on=("agent_key", "activity_id"),
                pg_types=("text", "text", "integer", "text", "float8", "integer", "timestamptz", "timestamptz",
                          "timestamptz"))


def project_pairs(pairs: set[tuple[str, str]], *, voided_ids: list[str]) -> None:
    """Update the projections of ``pairs`` (actor key, activity id) that just-stored statements touch, and of the
    statements with ``voided_ids`` that they void."""
    if voided_ids:
        pairs |= {tuple(row) for row in db.session.execute(select(Statement.actor_key, Statement.activity_id).where(
            Statement.id.in_(voided_ids), Statement.activity_id.is_not(None)))}
    _project(pairs)


def rebuild() -> int:
    """Recompute every projection from the statement log (derive pending statements first); return how many
    rows there are."""
    db.session.execute(delete(Progress))
    logged = select(Statement.actor_key, Statement.activity_id).distinct().where(
        Statement.activity_id.is_not(None), Statement.voided.is_(False), Statement.voiding.is_(False))
    pairs = {tuple(row) for row in db.session.execute(logged)}
    _project(pairs)
    return len(db.session.scalars(select(Progress.id)).all())
