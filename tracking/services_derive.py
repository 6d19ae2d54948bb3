"""What is derived from the statement log: query keys, activity definitions and progress projections.

Rapport's own learning events derive their statement in its own transaction. Statements posted to /xapi/ are
acknowledged once they are durably stored, each with a row in ``xapi_pending`` written in the same transaction;
deriving them comes after, in chunks, by the worker (``flask lms worker``) and by any reader that needs derived
data (statement queries, reports) before it reads (:func:`catch_up`). A chunk is claimed by deleting its pending
rows in the transaction that writes what is derived, so a crash leaves them pending and nothing is derived twice.
"""
from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NamedTuple

import orjson
from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DataError

from lms import signals
from lms.errors import DomainError
from lms.extensions import db
from lms.signals import ActivityStatement
from lms.types import utcnow
from tracking.bulk import from_db_time, insert_many, lock_keys, micros, run_in
from tracking.models import Activity, DeriveFailure, PendingStatement, Statement, StatementKey
from tracking.services import apply_voids, mark_voided, outcome
from tracking.services_progress import SYSTEM_SOURCE, clients, project, source_of
from tracking.validation import VOIDED, stored_timestamp
from tracking.xapi_data import activity_definitions, actor_key, dumps, pair_key, query_keys

KEY_COLUMNS, KEY_TYPES = ("seq", "key", "stored_us"), ("integer", "bigint", "bigint")
# How long a store may take from its ``stored`` time to its commit: SQLite's busy timeout bounds the wait for the
# write lock; a PostgreSQL store holds no lock that long.
SETTLE = timedelta(seconds=10)
# Statements per deriving transaction: on SQLite, statements being stored wait while one runs, so chunks are small;
# PostgreSQL stores alongside, and larger chunks mean fewer commits (about 25% faster there).
CHUNKS = {"sqlite": 200, "postgresql": 1000}


# What one statement's data can make deriving raise, every time it is tried (a bug, or data this version cannot
# read): such a statement is set aside. Anything else (the database locked or gone, the disk full) rolls the whole
# chunk back, to be tried again.
DATA_ERRORS = (ValueError, LookupError, TypeError, AttributeError, ArithmeticError, RecursionError, DataError,
               DomainError)


def chunk_size() -> int:
    return CHUNKS.get(db.engine.dialect.name, 200)


@dataclass
class _Item:
    """One statement to derive, with what can be worked out from it alone (before any lock is taken)."""

    seq: int
    id: str
    keys: set[int]  # its own query keys: what a statement targeting it inherits
    pair: tuple[str, str] | None  # (actor, activity) of its progress row
    target: str | None  # the statement a StatementRef object points at
    voiding: bool
    stored_us: int
    definitions: dict[str, dict]
    progress: Logged | None  # what its progress row takes from it (none when it is voided)
    fact: ActivityStatement | None = None  # what ``statements_derived`` tells other plugins (Activity objects)


class Logged(NamedTuple):
    """A statement as progress folds it (the columns the log keeps for it), and who sent it."""

    verb_id: str
    timestamp: datetime
    score: float | None
    success: bool | None
    completion: bool | None
    source: str


def _prepare_one(seq: int, body: dict, voided: bool, source: str | None = SYSTEM_SOURCE) -> _Item:
    """``source``: the name of who stored it (see :func:`services_progress.source_of`); None when its client does
    not count toward progress: it is stored, found and served, but left out of the projections."""
    target = body["object"]
    kind = target.get("objectType", "Activity")
    progress = None
    stored = stored_timestamp(body["stored"])
    if stored is None:
        raise ValueError(f"stored {body['stored']!r} cannot be read")
    if kind == "Activity" and not voided and source is not None:
        progress = Logged(body["verb"]["id"], stored_timestamp(body["timestamp"]) or stored,
                          *outcome(body.get("result", {})), source)
    fact = None
    if kind == "Activity" and signals.statements_derived.receivers:
        actor, definition = body["actor"], target.get("definition") or {}
        account = actor.get("account")
        names = definition.get("name") or {}
        fact = ActivityStatement(
            body["id"], (account.get("homePage", ""), account.get("name", "")) if account else None,
            actor.get("mbox"), body["verb"]["id"], target["id"], definition.get("type"),
            next(iter(names.values()), None) if isinstance(names, dict) else None,
            stored_timestamp(body.get("timestamp") or body["stored"]) or stored, voided)
    return _Item(
        seq, body["id"], query_keys(body), (actor_key(body["actor"]), target["id"]) if kind == "Activity" else None,
        target["id"].lower() if kind == "StatementRef" else None, body["verb"]["id"] == VOIDED,
        micros(stored), activity_definitions(body), progress, fact)


def _prepare(stored: list[tuple[int, bytes | str, bool, int | None]]) -> tuple[list[_Item], list[tuple[int, str]]]:
    """The items to derive, and (seq, error) for each statement that cannot even be read."""
    items, failed = [], []
    known = clients() if stored else {}
    for seq, body, voided, client_id in stored:
        try:
            items.append(_prepare_one(seq, orjson.loads(body), voided, source_of(client_id, known)))
        except DATA_ERRORS as error:  # one unreadable statement must not hold up the others
            failed.append((seq, _describe(error)))
    return items, failed


def derive(stored: list[tuple[int, dict]], voided: set[str] = frozenset(), client_id: int | None = None) -> None:
    """Write what ``stored`` (seq, statement as stored) gives: keys, activity definitions, projections.
    ``voided``: the ids among them that are voided already (their voiding statement came first); ``client_id``:
    the LRS client that stored them (None: Rapport itself)."""
    source = source_of(client_id, clients()) if client_id is not None else SYSTEM_SOURCE
    _write([_prepare_one(seq, body, body["id"] in voided, source) for seq, body in stored])


def _write(items: list[_Item]) -> None:
    if not items:
        return
    # PostgreSQL: a chunk that holds a statement and one that holds a statement targeting it take turns, so the
    # second sees the first's keys (SQLite runs one writer at a time).
    lock_keys("ref", [item.id for item in items] + [item.target for item in items if item.target])
    # PostgreSQL: a statement and its voiding statement stored at the same moment may not have seen each other, in
    # either order; and another deriver may have voided one of these statements since they were loaded. Under the
    # lock, the log has the last word: mark what is voided, and leave voided statements out of progress.
    mark_voided({item.target for item in items if item.voiding})
    apply_voids([item.id for item in items])
    counted = [item.seq for item in items if item.progress or item.fact]
    voided: set[int] = set()
    if counted:
        voided = {seq for (seq,) in run_in("SELECT seq FROM xapi_statement WHERE voided = {mark} AND seq IN ({in})",
                                           counted, (True,))}
        for item in items:
            if item.seq in voided:
                item.progress = None
    full = _full_keys(items)
    key_rows = [(item.seq, key, item.stored_us) for item in items for key in full[item.id]]
    # Skip existing: a referrer derived in another chunk may already have been given its target's keys.
    insert_many("xapi_statement_key", KEY_COLUMNS, key_rows, skip_existing=True, pg_types=KEY_TYPES)
    _inherit_to_earlier_referrers(full, new={item.seq for item in items})
    _merge_activities(items)
    fresh: dict[tuple[str, str], list[Logged]] = defaultdict(list)
    for item in items:
        if item.progress:
            fresh[item.pair].append(item.progress)
    project(fresh, voided_ids=[item.target for item in items if item.voiding])
    _tell_others(items, voided)


def _tell_others(items: list[_Item], voided_seqs: set[int]) -> None:
    """Send ``statements_derived`` for this chunk (inside its transaction), when anyone listens."""
    if not signals.statements_derived.receivers:
        return
    facts = [replace(item.fact, voided=True) if item.seq in voided_seqs and not item.fact.voided else item.fact
             for item in items if item.fact is not None]
    voided_ids = [item.target for item in items if item.voiding and item.target]
    if facts or voided_ids:
        signals.statements_derived.send(None, statements=facts, voided_ids=voided_ids)


def derive_pending(limit: int | None = None) -> int:
    """Claim up to ``limit`` (default: :func:`chunk_size`) pending statements, derive them and commit; return how
    many were derived."""
    limit = limit or chunk_size()
    items, failed = _claim(limit)
    try:
        with db.session.begin_nested():
            _write(items)
    except DATA_ERRORS:  # find the statement that fails; the rest of the chunk goes through
        for item in items:
            try:
                with db.session.begin_nested():
                    _write([item])
            except DATA_ERRORS as error:
                failed.append((item.seq, _describe(error)))
    _set_aside(failed)
    db.session.commit()
    return len(items) + len(failed)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _set_aside(failed: list[tuple[int, str]]) -> None:
    """Statements that cannot be derived wait in ``xapi_derive_failure`` (logged, shown to admins), not in
    pending, where they would hold up every reader."""
    if not failed:
        return
    now = utcnow()
    db.session.add_all([DeriveFailure(seq=seq, failed_at=now, error=error) for seq, error in failed])
    for seq, error in failed:
        current_app.logger.error("xAPI statement seq %s could not be derived: %s", seq, error)


def derive_failures(most: int = 20) -> tuple[int, list[tuple[str, datetime, str]]]:
    """How many statements could not be derived, and the first ``most`` as (statement id, when, error)."""
    count = db.session.scalar(select(func.count()).select_from(DeriveFailure))
    rows = db.session.execute(select(Statement.id, DeriveFailure.failed_at, DeriveFailure.error)
                              .join(Statement, Statement.seq == DeriveFailure.seq)
                              .order_by(DeriveFailure.seq).limit(most)).all()
    return count, [tuple(row) for row in rows]


def retry_failures() -> int:
    """Send every statement that could not be derived back to pending (after a fix); return how many."""
    seqs = list(db.session.scalars(select(DeriveFailure.seq)))
    if seqs:
        db.session.execute(delete(DeriveFailure))
        insert_many("xapi_pending", ("seq",), [(seq,) for seq in seqs], skip_existing=True)
    return len(seqs)


def derive_due() -> str | None:
    """The worker's step (see ``Plugin.workers``): derive one chunk of pending statements."""
    count = derive_pending()
    return f"derived {count} statement(s)" if count else None


_background = threading.Lock()
_background_wanted = threading.Event()
_background_running = False


def derive_in_background(app) -> bool:
    """Derive pending statements in a thread of this (web) process, so that an LRS served without ``flask lms
    worker`` keeps its derived data close behind its writes and readers seldom have anything left to derive.
    One thread per process at most: a call while it runs makes it look again before it stops. Off when
    ``LMS_XAPI_BACKGROUND_DERIVE`` is false. Returns whether a thread was started."""
    global _background_running
    if not app.config.get("LMS_XAPI_BACKGROUND_DERIVE", True):
        return False
    with _background:
        _background_wanted.set()
        if _background_running:
            return False
        _background_running = True
    threading.Thread(target=_derive_until_done, args=(app,), name="xapi-derive", daemon=True).start()
    return True


def _derive_until_done(app) -> None:
    global _background_running
    try:
        with app.app_context():
            while True:
                _background_wanted.clear()
                try:
                    while derive_pending():
                        pass
                except Exception:  # the database busy or gone: the next write, a reader or the worker goes on
                    db.session.rollback()
                    current_app.logger.exception("deriving xAPI statements in the background failed")
                finally:
                    db.session.remove()
                with _background:
                    if not _background_wanted.is_set():
                        _background_running = False
                        return
    except BaseException:
        with _background:
            _background_running = False
        raise


def catch_up(most: int | None = 20_000) -> None:
    """Derive pending statements (up to ``most``, None: all) before reading derived data; what is left shows in
    :func:`consistent_through`."""
    if _first_pending() is None:  # the usual case for a reader: one index probe, no transaction
        return
    done = 0
    while most is None or done < most:
        count = derive_pending(chunk_size() if most is None else min(chunk_size(), most - done))
        if not count:
            return
        done += count


def consistent_through() -> datetime:
    """xAPI's Consistent-Through: every statement whose ``stored`` is before this moment, stored already or still
    being stored, is in the query keys and projections. That is :data:`SETTLE` before now, or before the first
    statement still pending (``stored`` is taken before the insert, so arrival order and ``stored`` order may differ
    by up to that much)."""
    bound = utcnow()
    first = db.session.connection().exec_driver_sql(  # one query; it runs on every Statements response
        "SELECT stored FROM xapi_statement WHERE seq = (SELECT min(seq) FROM xapi_pending)").scalar()
    if first is not None:
        bound = min(bound, from_db_time(first))
    return bound - SETTLE


def _first_pending() -> int | None:
    return db.session.connection().exec_driver_sql("SELECT min(seq) FROM xapi_pending").scalar()


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(PendingStatement))


def _claim(limit: int) -> tuple[list[_Item], list[tuple[int, str]]]:
    pending = select(PendingStatement.seq).order_by(PendingStatement.seq).limit(limit)
    if db.engine.dialect.name == "postgresql":  # rows locked by another deriver are skipped, not waited for
        seqs = db.session.scalars(delete(PendingStatement).where(
            PendingStatement.seq.in_(pending.with_for_update(skip_locked=True)))
            .returning(PendingStatement.seq)).all()
        return _prepare(_load(seqs))
    # SQLite: read and work out what can be before the write lock (the DELETE takes it: SQLite has one writer at
    # a time, and statements being stored wait for it), then keep what this transaction claimed.
    loaded, failed = _prepare(_load(db.session.scalars(pending).all()))
    if not loaded and not failed:
        return [], []
    claimed = set(db.session.scalars(delete(PendingStatement).where(
        PendingStatement.seq.in_([item.seq for item in loaded] + [seq for seq, _ in failed]))
        .returning(PendingStatement.seq)))
    return [item for item in loaded if item.seq in claimed], [f for f in failed if f[0] in claimed]


def _load(seqs: list[int]) -> list[tuple[int, str, bool, int | None]]:
    if not seqs:
        return []
    return db.session.execute(select(Statement.seq, Statement.body, Statement.voided, Statement.client_id)
                              .where(Statement.seq.in_(seqs)).order_by(Statement.seq)).all()


def _full_keys(items: list[_Item]) -> dict[str, set[int]]:
    """Each statement's keys in the index: its own, its progress pair's, and (xAPI-Communication 2.1.3: "This rule
    applies recursively") every key of the statement its StatementRef targets, which inherits from its own target."""
    own = {item.id: item for item in items}
    wanted = {item.target for item in items if item.target and item.target not in own}
    inherited: dict[str, set[int]] = {}
    if wanted:  # targets derived before: their keys in the index already hold what they inherit
        for target_id, key in db.session.execute(
                select(Statement.id, StatementKey.key).join(StatementKey, StatementKey.seq == Statement.seq)
                .where(Statement.id.in_(wanted))):
            inherited.setdefault(target_id, set()).add(key)
    full: dict[str, set[int]] = {}
    for item in items:
        chain, seen = [item], {item.id}  # follow references within the chunk to known keys, then come back
        while chain[-1].target in own and chain[-1].target not in full and chain[-1].target not in seen:
            chain.append(own[chain[-1].target])
            seen.add(chain[-1].id)
        for link in reversed(chain):
            keys = link.keys | ({pair_key(*link.pair)} if link.pair else set())  # the pair: how progress finds it
            if link.target:  # a cycle of references ends where it began
                keys = keys | full.get(link.target, inherited.get(link.target, set()))
            full[link.id] = keys
    return full


def _inherit_to_earlier_referrers(given: dict[str, set[int]], new: set[int]) -> None:
    """Statements derived before that target these (and, recursively, those that target them) gain their keys."""
    while given:
        lock_keys("ref", list(given))  # PostgreSQL: as for the first level, a referrer derived meanwhile waits
        referrers = [r for r in db.session.execute(
            select(Statement.seq, Statement.id, Statement.stored, Statement.target_id)
            .where(Statement.target_id.in_(given)))
            if r.seq not in new]  # filtered here: a NOT IN list makes PostgreSQL scan, not seek
        if not referrers:
            return
        have = {(seq, key) for seq, key in db.session.execute(
            select(StatementKey.seq, StatementKey.key).where(StatementKey.seq.in_([r.seq for r in referrers])))}
        added: dict[str, set[int]] = defaultdict(set)
        rows = []
        for r in referrers:
            for key in given[r.target_id]:
                if (r.seq, key) not in have:
                    rows.append((r.seq, key, micros(r.stored)))
                    added[r.id].add(key)
        insert_many("xapi_statement_key", KEY_COLUMNS, rows, skip_existing=True, pg_types=KEY_TYPES)
        given, new = added, set()  # keys that nothing new gained end the walk (and any cycle)


def _merge_activities(items: list[_Item]) -> None:
    definitions: dict[str, dict] = {}
    for item in items:
        for activity_id, definition in item.definitions.items():
            definitions[activity_id] = _merged(definitions.get(activity_id, {}), definition)
    if not definitions:
        return
    lock_keys("activity", definitions)  # PostgreSQL: merges of one activity take turns
    known = dict(db.session.execute(select(Activity.activity_id, Activity.definition)
                                    .where(Activity.activity_id.in_(definitions))).all())
    insert_many("xapi_activity", ("activity_id", "definition"),
                [(activity_id, dumps(d)) for activity_id, d in definitions.items() if activity_id not in known],
                skip_existing=True)
    for activity_id, definition in sorted(definitions.items()):
        if activity_id in known:
            text = dumps(_merged(json.loads(known[activity_id]), definition))
            if text != known[activity_id]:
                db.session.execute(update(Activity).where(Activity.activity_id == activity_id)
                                   .values(definition=text))


def _merged(old: dict, new: dict) -> dict:
    """The newer definition wins, language by language for name and description."""
    merged = dict(old)
    for key, value in new.items():
        merged[key] = {**merged[key], **value} if key in ("name", "description") and key in merged else value
    return merged
