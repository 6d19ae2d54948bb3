"""What is derived from the statement log: query keys, activity definitions and progress projections.

Rapport's own learning events derive their statement in its own transaction. Statements posted to /xapi/ are
acknowledged once they are durably stored, each with a row in ``xapi_pending`` written in the same transaction;
deriving them comes after, in chunks, by the worker (``flask lms worker``) and by any reader that needs derived
data (statement queries, reports) before it reads (:func:`catch_up`). A chunk is claimed by deleting its pending
rows in the transaction that writes what is derived, so a crash leaves them pending and nothing is derived twice.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import orjson
from sqlalchemy import delete, func, select, update

from lms.extensions import db
from lms.types import utcnow
from tracking.bulk import insert_many, micros
from tracking.models import Activity, PendingStatement, Statement, StatementKey
from tracking.services_progress import project_statements
from tracking.validation import VOIDED, timestamp
from tracking.xapi_data import activity_definitions, actor_key, dumps, pair_key, query_keys

CHUNK = 2000  # statements per deriving transaction


def derive(stored: list[tuple[int, dict]]) -> None:
    """Write what ``stored`` (seq, statement as stored) gives: keys, activity definitions, projections."""
    if not stored:
        return
    own = {body["id"]: (seq, query_keys(body)) for seq, body in stored}
    targets = [_target(body) for _, body in stored]
    # A statement that targets another (StatementRef) is also found by the filters its target matches.
    wanted = {t for t in targets if t and t not in own}
    inherited: dict[str, set[int]] = {}
    if wanted:
        for target_id, key in db.session.execute(
                select(Statement.id, StatementKey.key).join(StatementKey, StatementKey.seq == Statement.seq)
                .where(Statement.id.in_(wanted))):
            inherited.setdefault(target_id, set()).add(key)
    key_rows = []
    for (seq, body), target_id in zip(stored, targets, strict=True):
        keys = own[body["id"]][1]
        if target_id:
            keys = keys | inherited.get(target_id, set()) | own.get(target_id, (0, set()))[1]
        if body["object"].get("objectType", "Activity") == "Activity":  # how its progress row finds it
            keys = keys | {pair_key(actor_key(body["actor"]), body["object"]["id"])}
        stored_us = micros(timestamp(body["stored"], "stored"))
        key_rows.extend((seq, key, stored_us) for key in keys)
    # Skip existing: a referrer derived in another chunk may already have been given its target's keys.
    insert_many("xapi_statement_key", ("seq", "key", "stored_us"), key_rows, skip_existing=True)
    _inherit_to_earlier_referrers(own)
    _merge_activities([body for _, body in stored])
    voided = [t for t, (_, body) in zip(targets, stored, strict=True) if t and body["verb"]["id"] == VOIDED]
    project_statements([body for _, body in stored], voided_ids=voided)


def derive_pending(limit: int = CHUNK) -> int:
    """Claim up to ``limit`` pending statements, derive them and commit; return how many were derived."""
    stored = _claim(limit)
    if stored:
        derive(stored)
    db.session.commit()
    return len(stored)


def derive_due() -> str | None:
    """The worker's step (see ``Plugin.workers``): derive one chunk of pending statements."""
    count = derive_pending()
    return f"derived {count} statement(s)" if count else None


def catch_up(most: int | None = 10 * CHUNK) -> None:
    """Derive pending statements (up to ``most``, None: all) before reading derived data; what is left shows in
    :func:`consistent_through`."""
    done = 0
    while most is None or done < most:
        count = derive_pending(CHUNK if most is None else min(CHUNK, most - done))
        if not count:
            return
        done += count


def consistent_through() -> datetime:
    """Every statement stored before this moment is in the query keys and projections."""
    first = db.session.scalar(select(func.min(PendingStatement.seq)))
    if first is None:
        return utcnow()
    return db.session.scalar(select(Statement.stored).where(Statement.seq == first)) - timedelta(microseconds=1)


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(PendingStatement))


def _claim(limit: int) -> list[tuple[int, dict]]:
    pending = select(PendingStatement.seq).order_by(PendingStatement.seq).limit(limit)
    if db.engine.dialect.name == "postgresql":  # rows locked by another deriver are skipped, not waited for
        seqs = db.session.scalars(delete(PendingStatement).where(
            PendingStatement.seq.in_(pending.with_for_update(skip_locked=True)))
            .returning(PendingStatement.seq)).all()
        return _load(seqs)
    # SQLite: read and parse before the write lock (the DELETE takes it), then keep what this transaction claimed.
    loaded = _load(db.session.scalars(pending).all())
    if not loaded:
        return []
    claimed = set(db.session.scalars(delete(PendingStatement).where(
        PendingStatement.seq.in_([seq for seq, _ in loaded])).returning(PendingStatement.seq)))
    return [item for item in loaded if item[0] in claimed]


def _load(seqs: list[int]) -> list[tuple[int, dict]]:
    if not seqs:
        return []
    rows = db.session.execute(select(Statement.seq, Statement.body).where(Statement.seq.in_(seqs))
                              .order_by(Statement.seq)).all()
    return [(seq, orjson.loads(body)) for seq, body in rows]


def _target(body: dict) -> str | None:
    target = body["object"]
    return target["id"].lower() if target.get("objectType") == "StatementRef" else None


def _inherit_to_earlier_referrers(own: dict[str, tuple[int, set[int]]]) -> None:
    new = {seq for seq, _ in own.values()}  # filtered here: a NOT IN list makes PostgreSQL scan, not seek
    referrers = [r for r in db.session.execute(
        select(Statement.seq, Statement.stored, Statement.target_id).where(Statement.target_id.in_(own)))
        if r.seq not in new]
    if not referrers:
        return
    have = {(seq, key) for seq, key in db.session.execute(
        select(StatementKey.seq, StatementKey.key).where(StatementKey.seq.in_([r.seq for r in referrers])))}
    insert_many("xapi_statement_key", ("seq", "key", "stored_us"),
                [(r.seq, key, micros(r.stored)) for r in referrers for key in own[r.target_id][1]
                 if (r.seq, key) not in have], skip_existing=True)


def _merge_activities(bodies: list[dict]) -> None:
    definitions: dict[str, dict] = {}
    for body in bodies:
        for activity_id, definition in activity_definitions(body).items():
            definitions[activity_id] = _merged(definitions.get(activity_id, {}), definition)
    if not definitions:
        return
    known = dict(db.session.execute(select(Activity.activity_id, Activity.definition)
                                    .where(Activity.activity_id.in_(definitions))).all())
    insert_many("xapi_activity", ("activity_id", "definition"),
                [(activity_id, dumps(d)) for activity_id, d in definitions.items() if activity_id not in known],
                skip_existing=True)
    for activity_id, definition in definitions.items():
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
