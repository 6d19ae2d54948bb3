"""The statement log: store statements (validation, immutability, voiding, keys, outbox, progress) and fetch them.

Every function takes plain values and works in the caller's transaction: it flushes, the boundary commits.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.errors import Conflict, NotFound
from lms.extensions import db
from lms.types import utcnow
from tracking import signatures
from tracking.bulk import db_time, insert_many, micros
from tracking.models import Activity, Attachment, Statement, StatementKey
from tracking.services_clients import ClientPrincipal
from tracking.validation import VOIDED, InvalidStatement, check_statement, new_uuid, timestamp
from tracking.xapi_data import activity_definitions, dumps, query_keys, same_statement


@dataclass(frozen=True)
class AttachmentPart:
    """Raw data of one attachment received in a multipart/mixed request, found by its SHA-2."""

    content_type: str
    content: bytes


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def store_statements(statements: list, *, principal: ClientPrincipal, parts: dict[str, AttachmentPart] | None = None,
                     statement_id: str | None = None) -> list[str]:
    """Store statements (all or none) and return their ids in order.

    A statement whose id is already stored is a no-op when it matches the stored one and a :class:`Conflict`
    otherwise. Raises :class:`InvalidStatement` (400) naming the first problem.
    """
    parts = parts or {}
    if not isinstance(statements, list) or not statements:
        raise InvalidStatement("Send a statement object or a non-empty array of statements.")
    batch = len(statements) > 1
    for index, statement in enumerate(statements):
        check_statement(statement, f"statements[{index}]" if batch else "statement")
    if statement_id is not None:
        given = statements[0].get("id")
        if given is not None and given.lower() != statement_id.lower():
            raise InvalidStatement(f"statement.id {given} differs from the statementId parameter {statement_id}.")
        statements[0]["id"] = statement_id.lower()
    ids = [s["id"].lower() if "id" in s else None for s in statements]
    seen: set[str] = set()
    for statement_id_ in ids:
        if statement_id_ and statement_id_ in seen:
            raise InvalidStatement(f"The batch holds statement id {statement_id_} more than once.")
        if statement_id_:
            seen.add(statement_id_)
    _check_attachments(statements, parts)
    for index, statement in enumerate(statements):
        _check_lengths(statement, f"statements[{index}]" if batch else "statement")

    existing = dict(db.session.execute(select(Statement.id, Statement.body).where(Statement.id.in_(seen))).all()
                    ) if seen else {}
    fresh = []
    for statement, statement_id_ in zip(statements, ids, strict=True):
        if statement_id_ in existing:
            if not same_statement(statement, json.loads(existing[statement_id_])):
                raise Conflict(f"Statement {statement_id_} is already stored with different content; statements "
                               "cannot be changed (void it and send a new one).")
            continue
        fresh.append(statement)
    _check_voiding(fresh)
    if fresh:
        _insert(fresh, principal, parts)
    return [i or s["id"] for i, s in zip(ids, statements, strict=True)]


MAX_ID_LENGTH = 600  # characters of an actor identifier, verb id or activity id that this LRS indexes


def _check_lengths(statement: dict, where: str) -> None:
    target = statement["object"]
    for name, value in (("actor", _actor_key(statement["actor"])), ("verb.id", statement["verb"]["id"]),
                        ("object.id", target.get("id", "") if target.get("objectType", "Activity") == "Activity"
                         else "")):
        if len(value) > MAX_ID_LENGTH:
            raise InvalidStatement(f"{where}.{name}: longer than the {MAX_ID_LENGTH} characters this LRS stores.")


def _check_attachments(statements: list[dict], parts: dict[str, AttachmentPart]) -> None:
    used = set()
    for index, statement in enumerate(statements):
        for number, header in enumerate(statement.get("attachments", [])):
            sha2 = header["sha2"].lower()
            where = f"statement[{index}].attachments[{number}]"
            if sha2 in parts:
                used.add(sha2)
                if len(parts[sha2].content) != header["length"]:
                    raise InvalidStatement(f"{where}: length {header['length']} differs from the part's "
                                           f"{len(parts[sha2].content)} octets.")
            elif "fileUrl" not in header:
                raise InvalidStatement(f"{where}: no fileUrl and no multipart part with X-Experience-API-Hash {sha2}.")
            if header["usageType"] == signatures.USAGE:
                if sha2 not in parts:
                    raise InvalidStatement(f"{where}: a signature must be sent as a part, not only a fileUrl.")
                signatures.check(statement, header, parts[sha2].content, where)
    unused = set(parts) - used
    if unused:
        raise InvalidStatement(f"Attachment part(s) {', '.join(sorted(unused))} match no attachment of any statement.")


def _check_voiding(fresh: list[dict]) -> None:
    targets = {s["object"]["id"].lower(): s for s in fresh if s["verb"]["id"] == VOIDED}
    if not targets:
        return
    in_batch = {s["id"].lower() for s in fresh if "id" in s and s["verb"]["id"] == VOIDED}
    stored_voiding = set(db.session.scalars(
        select(Statement.id).where(Statement.id.in_(targets), Statement.voiding.is_(True))))
    for target in targets:
        if target in in_batch or target in stored_voiding:
            raise InvalidStatement(f"Statement {target} voids another statement; a voiding statement cannot be voided.")


def _insert(fresh: list[dict], principal: ClientPrincipal, parts: dict[str, AttachmentPart]) -> None:
    stored = utcnow()
    stored_text = iso(stored)
    authority = principal.authority()
    rows, own_keys, targets = [], [], []
    stored_db, stored_us = db_time(stored), micros(stored)
    for statement in fresh:
        statement.setdefault("id", new_uuid())
        statement["id"] = statement["id"].lower()
        if "timestamp" not in statement:
            statement["timestamp"] = stored_text
        statement["stored"] = stored_text
        statement["authority"] = authority
        statement.setdefault("version", "1.0.0")
        context = statement.get("context", {})
        for kind, items in context.get("contextActivities", {}).items():
            context["contextActivities"][kind] = items if isinstance(items, list) else [items]
        target = statement["object"]
        kind = target.get("objectType", "Activity")
        target_id = target["id"].lower() if kind == "StatementRef" else None
        targets.append(target_id)
        score, success, completion = _outcome(statement.get("result", {}))
        rows.append((
            statement["id"], stored_db, db_time(timestamp(statement["timestamp"], "timestamp")),
            _actor_key(statement["actor"]), statement["verb"]["id"], target["id"] if kind == "Activity" else None,
            context.get("registration", "").lower() or None, target_id, statement["verb"]["id"] == VOIDED, False,
            bool(statement.get("attachments")), score, success, completion, principal.id, dumps(statement),
        ))
        own_keys.append(query_keys(statement))
    try:
        insert_many("xapi_statement", _STATEMENT_COLUMNS, rows)
    except IntegrityError:  # the boundary rolls the whole request back
        raise Conflict("A statement with one of these ids was stored by another request at the same moment; "
                       "send the batch again.") from None
    ids = [row[0] for row in rows]
    assigned = dict(db.session.execute(select(Statement.id, Statement.seq).where(Statement.id.in_(ids))).all())
    seqs = [assigned[statement_id] for statement_id in ids]
    by_id = {statement_id: (seq, keys) for statement_id, seq, keys in zip(ids, seqs, own_keys, strict=True)}

    # A statement that targets another (StatementRef) is also found by the filters its target matches.
    wanted = {t for t in targets if t and t not in by_id}
    inherited: dict[str, set[int]] = {}
    if wanted:
        for target_id, key in db.session.execute(
                select(Statement.id, StatementKey.key).join(StatementKey, StatementKey.seq == Statement.seq)
                .where(Statement.id.in_(wanted))):
            inherited.setdefault(target_id, set()).add(key)
    key_rows = []
    for seq, keys, target_id in zip(seqs, own_keys, targets, strict=True):
        if target_id:
            keys = keys | inherited.get(target_id, set()) | by_id.get(target_id, (0, set()))[1]
        key_rows.extend((seq, key, stored_us) for key in keys)
    insert_many("xapi_statement_key", ("seq", "key", "stored_us"), key_rows)
    _inherit_to_earlier_referrers(by_id, seqs)
    _apply_voids(ids + [t for t, row in zip(targets, rows, strict=True) if t and row[8]])
    _merge_activities(fresh)
    _store_attachments(parts)
    if current_app.config.get("LMS_LRS_FORWARD_URL"):
        insert_many("xapi_outbox", ("statement_seq", "status", "attempts", "due_at", "created_at"),
                    [(seq, "queued", 0, stored_db, stored_db) for seq in seqs])
    from tracking.services_progress import record_progress

    record_progress(fresh, stored)


_STATEMENT_COLUMNS = ("id", "stored", "timestamp", "actor_key", "verb_id", "activity_id", "registration", "target_id",
                      "voiding", "voided", "has_attachments", "score", "success", "completion", "client_id", "body")


def _outcome(result: dict) -> tuple[float | None, bool | None, bool | None]:
    score = result.get("score", {})
    scaled = score.get("scaled")
    if scaled is None and "raw" in score and "max" in score and score["max"] > score.get("min", 0):
        scaled = (score["raw"] - score.get("min", 0)) / (score["max"] - score.get("min", 0))
    return scaled, result.get("success"), result.get("completion")


def _actor_key(actor: dict) -> str:
    from tracking.xapi_data import ifi

    return ifi(actor) or "group|" + dumps(sorted(dumps(m) for m in actor.get("member", [])))[:560]


def _inherit_to_earlier_referrers(by_id: dict[str, tuple[int, set[int]]], seqs: list[int]) -> None:
    new = set(seqs)  # filtered here: a NOT IN list makes PostgreSQL scan the table instead of the index
    referrers = [r for r in db.session.execute(
        select(Statement.seq, Statement.stored, Statement.target_id).where(Statement.target_id.in_(by_id)))
        if r.seq not in new]
    if not referrers:
        return
    have = {(seq, key) for seq, key in db.session.execute(
        select(StatementKey.seq, StatementKey.key).where(StatementKey.seq.in_([r.seq for r in referrers])))}
    insert_many("xapi_statement_key", ("seq", "key", "stored_us"),
                [(r.seq, key, micros(r.stored)) for r in referrers for key in by_id[r.target_id][1]
                 if (r.seq, key) not in have])


def _apply_voids(ids: list[str]) -> None:
    """Mark voided every non-voiding statement among ``ids`` that a stored voiding statement targets."""
    voiders = select(Statement.target_id).where(Statement.voiding.is_(True), Statement.target_id.in_(ids))
    targets = set(db.session.scalars(voiders))
    if not targets:
        return
    voided = db.session.execute(
        update(Statement).where(Statement.id.in_(targets), Statement.voiding.is_(False), Statement.voided.is_(False))
        .values(voided=True).returning(Statement.seq)).scalars().all()
    if voided:
        from tracking.services_progress import recompute_for

        recompute_for(voided)


def _merge_activities(fresh: list[dict]) -> None:
    definitions: dict[str, dict] = {}
    for statement in fresh:
        for activity_id, definition in activity_definitions(statement).items():
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


def _store_attachments(parts: dict[str, AttachmentPart]) -> None:
    if not parts:
        return
    known = set(db.session.scalars(select(Attachment.sha2).where(Attachment.sha2.in_(parts))))
    insert_many("xapi_attachment", ("sha2", "content_type", "length", "content"),
                [(sha2, part.content_type, len(part.content), part.content) for sha2, part in parts.items()
                 if sha2 not in known], skip_existing=True)


def get_statement(statement_id: str, *, voided: bool) -> Statement:
    """One statement by id; a voided one only when ``voided`` (voidedStatementId), else :class:`NotFound`."""
    row = db.session.scalar(select(Statement).where(Statement.id == statement_id.lower()))
    if row is None or row.voided != voided:
        what = "voided statement" if voided else "statement"
        hint = " (it is voided: ask with voidedStatementId)" if row is not None and row.voided else ""
        raise NotFound(f"No {what} has the id {statement_id}{hint}.")
    return row


def attachments_for(bodies: list[dict]) -> list[Attachment]:
    wanted = {a["sha2"].lower() for body in bodies for a in body.get("attachments", [])}
    if not wanted:
        return []
    return list(db.session.scalars(select(Attachment).where(Attachment.sha2.in_(wanted))))


def activity_definitions_for(activity_ids: set[str]) -> dict[str, dict]:
    if not activity_ids:
        return {}
    return {row.activity_id: json.loads(row.definition) for row in db.session.scalars(
        select(Activity).where(Activity.activity_id.in_(activity_ids)))}
