"""Progress projections per agent and activity, derived from the (non-voided) statement log.

A row is a function of its pair's statements that two parts combine into (:func:`merge` of :func:`fold`s), so new
statements update a row from the row itself, while a void recomputes its pair from the log; rebuilding everything
from the log gives the same rows (tested).
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from flask import current_app
from sqlalchemy import BigInteger, any_, bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from lms import signals
from lms.extensions import db
from lms.people.models import Person
from tracking.bulk import db_time, from_db_time, insert_many, lock_keys
from tracking.models import LrsClient, Progress, Statement, StatementKey
from tracking.xapi_data import pair_key

ADL = "http://adlnet.gov/expapi/verbs/"
STARTED = {ADL + "attempted", ADL + "launched", ADL + "initialized"}
PASSED = {ADL + "passed", ADL + "mastered"}
FAILED = {ADL + "failed"}
COMPLETED = {ADL + "completed"} | PASSED
_COLUMNS = (Statement.actor_key, Statement.activity_id, Statement.verb_id, Statement.timestamp, Statement.score,
            Statement.success, Statement.completion, Statement.client_id)
SYSTEM_SOURCE = "Rapport"  # statements Rapport records itself (no LRS client)
MAX_SOURCE = 300


class Client(NamedTuple):
    name: str
    counts: bool


def clients() -> dict[int, Client]:
    """Every LRS client (revoked ones too: their statements stay) by id: its name and whether it counts."""
    return {row.id: Client(row.name, row.counts_toward_progress) for row in db.session.execute(
        select(LrsClient.id, LrsClient.name, LrsClient.counts_toward_progress))}


def source_of(client_id: int | None, known: dict[int, Client]) -> str | None:
    """The source name of a statement stored by ``client_id``, or None when that client does not count."""
    if client_id is None:
        return SYSTEM_SOURCE
    client = known.get(client_id)
    if client is None:  # a client deleted from the database: its statements count as they did
        return f"client {client_id}"
    return client.name if client.counts else None


def _sources(*values: str | None) -> str:
    names = sorted({name for value in values if value for name in value.split(", ") if name})
    return ", ".join(names)[:MAX_SOURCE]


class _Logged(NamedTuple):
    actor_key: str
    activity_id: str
    verb_id: str
    timestamp: object
    score: float | None
    success: bool | None
    completion: bool | None
    source: str


def fold(rows: Iterable) -> dict:
    """The projection of one pair's statements (rows with verb_id, timestamp, score, success, completion).

    ``starts`` and ``assessed`` are kept so that two folds merge: attempts are the starts, or without any start the
    assessed statements."""
    starts = assessed = 0
    passed = failed = False
    scores, times, completions, sources = [], [], [], set()
    for row in rows:
        times.append(row.timestamp)
        sources.add(row.source)
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
            "starts": starts, "assessed": assessed, "first_at": min(times), "last_at": max(times),
            "completed_at": min(completions) if completions else None, "source": _sources(*sources)}


_PRECEDENCE = ("attempted", "completed", "failed", "passed")  # any pass wins, then any failure, then a completion


def merge(old: dict, new: dict) -> dict:
    """The fold of two sets of statements from their folds."""
    starts, assessed = old["starts"] + new["starts"], old["assessed"] + new["assessed"]
    scores = [s for s in (old["best_score"], new["best_score"]) if s is not None]
    completions = [c for c in (old["completed_at"], new["completed_at"]) if c is not None]
    return {"status": max(old["status"], new["status"], key=_PRECEDENCE.index),
            "best_score": max(scores) if scores else None, "attempts": starts or assessed, "starts": starts,
            "assessed": assessed, "first_at": min(old["first_at"], new["first_at"]),
            "last_at": max(old["last_at"], new["last_at"]), "completed_at": min(completions) if completions else None,
            "source": _sources(old["source"], new["source"])}


def _person_ids(agent_keys: set[str]) -> dict[str, int]:
    """The people these actors are: an mbox with their email (in any case), or an account on the site (employee
    id) or on its ``/people`` home (person id, for people without an employee id)."""
    base = current_app.config["LMS_BASE_URL"].rstrip("/")
    by_email: dict[str, list[str]] = defaultdict(list)
    by_employee_id: dict[str, list[str]] = defaultdict(list)
    by_person_id: dict[int, list[str]] = defaultdict(list)
    for key in agent_keys:
        if key.startswith("mbox|mailto:"):
            by_email[key.removeprefix("mbox|mailto:").lower()].append(key)  # emails are kept in lower case
        elif key.startswith(f"account|{base}|"):
            by_employee_id[key.removeprefix(f"account|{base}|")].append(key)
        elif key.startswith(f"account|{base}/people|") and _PERSON_ID.fullmatch(key.rpartition("|")[2]):
            by_person_id[int(key.rpartition("|")[2])].append(key)
    found: dict[str, int] = {}
    for column, wanted in ((Person.email, by_email), (Person.employee_id, by_employee_id), (Person.id, by_person_id)):
        values = list(wanted)
        for start in range(0, len(values), 1000):  # bounded IN lists (PostgreSQL takes 65,535 parameters at most)
            for person_id, value in db.session.execute(
                    select(Person.id, column).where(column.in_(values[start:start + 1000]))):
                found.update(dict.fromkeys(wanted[value], person_id))
    return found


_PERSON_ID = re.compile(r"[1-9][0-9]{0,17}")  # Rapport's own person ids: ASCII digits, within a 64-bit integer


def link_people() -> int:
    """Progress of actors who were nobody Rapport knew (a CRM's statements about someone not imported yet) becomes
    that of the person they are now; returns how many actors were linked."""
    unlinked = set(db.session.scalars(select(Progress.agent_key).where(Progress.person_id.is_(None)).distinct()))
    found = _person_ids(unlinked)
    if found:
        table = Progress.__table__  # a Core update, run once per actor (executemany)
        db.session.execute(update(table).where(table.c.agent_key == bindparam("key"), table.c.person_id.is_(None))
                           .values(person_id=bindparam("person")),
                           [{"key": key, "person": person_id} for key, person_id in found.items()])
        signals.progress_changed.send(None, person_ids=sorted(set(found.values())), activity_ids=[])
    return len(found)


_PROGRESS_COLUMNS = ("agent_key", "activity_id", "person_id", "status", "best_score", "attempts", "starts",
                     "assessed", "first_at", "last_at", "completed_at", "source")
_PROGRESS_TYPES = ("text", "text", "integer", "text", "float8", "integer", "integer", "integer", "timestamptz",
                   "timestamptz", "timestamptz", "text")


def _for_pairs(pairs: list[tuple[str, str]], columns: str | None = None) -> list:
    """Select ``columns`` of the progress rows of ``pairs`` (None: delete those rows). The pairs are joined as a
    table (PostgreSQL: two arrays; SQLite: a VALUES list), so each is one lookup in the (agent_key, activity_id)
    index; only placeholders are formatted into the SQL, every value is bound."""
    if not pairs:
        return []
    if db.engine.dialect.name == "postgresql":
        chunks = [("unnest(CAST(:agents AS text[]), CAST(:activities AS text[])) AS p(column1, column2)",
                   {"agents": [a for a, _ in pairs], "activities": [b for _, b in pairs]})]
    else:
        chunks = []
        for start in range(0, len(pairs), 400):
            chunk = pairs[start:start + 400]
            params = {f"a{n}": agent for n, (agent, _) in enumerate(chunk)}
            params.update({f"b{n}": activity for n, (_, activity) in enumerate(chunk)})
            values = ", ".join(f"(:a{n}, :b{n})" for n in range(len(chunk)))
            chunks.append((f"(VALUES {values}) AS p", params))  # its columns: column1, column2
    rows = []
    for table, params in chunks:
        matched = f"FROM {table} JOIN xapi_progress x ON x.agent_key = p.column1 AND x.activity_id = p.column2"
        if columns is None:
            db.session.execute(text(f"DELETE FROM xapi_progress WHERE id IN (SELECT x.id {matched})"), params)  # noqa: S608
        else:
            rows += db.session.execute(text(f"SELECT {columns} {matched}"), params).all()  # noqa: S608
    return rows


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
    """The pairs' own statements (a 64-bit key may in theory be shared), from clients that count, with their
    source."""
    wanted = set(pairs)
    known = clients()
    out = []
    for row in rows:
        source = source_of(row.client_id, known)
        if source is not None and (row.actor_key, row.activity_id) in wanted:
            out.append(_Logged(row.actor_key, row.activity_id, row.verb_id, row.timestamp, row.score, row.success,
                               row.completion, source))
    return out


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
        _for_pairs(gone)
        _announce(_person_ids({agent for agent, _ in gone}), gone)
    _write({pair: fold(items) for pair, items in grouped.items()})


def _write(projections: dict[tuple[str, str], dict]) -> None:
    people = _person_ids({agent for agent, _ in projections})
    _announce(people, projections)
    as_text = db.engine.dialect.name == "sqlite"
    times = ("first_at", "last_at", "completed_at")
    rows = [(agent, activity, people.get(agent), p["status"], p["best_score"], p["attempts"], p["starts"],
             p["assessed"], *(db_time(p[k], as_text) if p[k] else None for k in times), p["source"])
            for (agent, activity), p in projections.items()]
    insert_many("xapi_progress", _PROGRESS_COLUMNS, rows, replace_on=("agent_key", "activity_id"),
                pg_types=_PROGRESS_TYPES)


def _announce(people: dict[str, int], pairs) -> None:
    """Tell other plugins (``progress_changed``) whose progress rows changed; actors Rapport does not know yet
    are nobody's progress until they join (:func:`link_people`)."""
    person_ids = sorted({people[agent] for agent, _ in pairs if agent in people})
    if person_ids:
        signals.progress_changed.send(None, person_ids=person_ids,
                                      activity_ids=sorted({activity for agent, activity in pairs if agent in people}))


def project(fresh: dict[tuple[str, str], list], *, voided_ids: list[str]) -> None:
    """Update the projections that just-stored statements touch: ``fresh`` holds each pair's new (non-voided)
    statements as rows (verb_id, timestamp, score, success, completion), merged into the pair's row; the pairs of
    the statements with ``voided_ids`` (just voided) are recomputed from the log."""
    fresh = {p: rows for p, rows in fresh.items() if p[0] and p[1] and not p[0].startswith("group|")}
    recompute: set[tuple[str, str]] = set()
    if voided_ids:
        recompute = {tuple(row) for row in db.session.execute(select(Statement.actor_key, Statement.activity_id)
                                                              .where(Statement.id.in_(voided_ids),
                                                                     Statement.activity_id.is_not(None)))}
    # Concurrent chunks touching one pair take turns (every pair locked at once, in one order: no deadlock), so
    # each merges into, or recomputes from, what the other wrote.
    lock_keys("p", [f"{agent}|{activity}" for agent, activity in set(fresh) | recompute])
    pairs = sorted(set(fresh) - recompute)
    if pairs:
        known = {(row.agent_key, row.activity_id): row._asdict() for row in _for_pairs(
            pairs, "x.agent_key, x.activity_id, x.status, x.best_score, x.starts, x.assessed, x.first_at, x.last_at, "
                   "x.completed_at, x.source")}
        # Rows from before the counts (tracking_0003) or the source (tracking_0005) are recomputed.
        recompute |= {pair for pair, row in known.items() if row["starts"] is None or row["source"] is None}
        merged = {}
        for pair in pairs:
            if pair not in recompute:
                new = fold(fresh[pair])
                merged[pair] = merge(_typed(known[pair]), new) if pair in known else new
        _write(merged)
    _project(recompute)


def _typed(row: dict) -> dict:
    """A progress row read with driver types (SQLite: text times) as :func:`fold` gives it."""
    return {**row, **{k: from_db_time(row[k]) if row[k] is not None else None
                      for k in ("first_at", "last_at", "completed_at")}}


def recompute(pairs: set[tuple[str, str]]) -> None:
    """Recompute these (actor, activity) rows from the log, e.g. after a client's statements stopped (or started)
    counting toward progress."""
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
