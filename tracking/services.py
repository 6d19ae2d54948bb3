"""The statement log: store statements (validation, immutability, voiding, keys, outbox, progress) and fetch them.

Every function takes plain values and works in the caller's transaction: it flushes, the boundary commits.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.errors import Conflict, DomainError, NotFound
from lms.extensions import db
from lms.types import utcnow
from tracking import signatures
from tracking.bulk import db_time, insert_many, run_in
from tracking.models import Activity, Attachment, Statement
from tracking.services_clients import ClientPrincipal
from tracking.validation import VOIDED, InvalidStatement, check_statement, essence, new_uuid, timestamp
from tracking.xapi_data import (
    actor_key,
    attachment_headers,
    dumps,
    mentioned_activities,
    normalise_context_activities,
    same_statement,
)


@dataclass(frozen=True)
class AttachmentPart:
    """Raw data of one attachment received in a multipart/mixed request, found by its SHA-2."""

    content_type: str  # the part's Content-Type header, "" when it had none
    content: bytes


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def store_statements(statements: list, *, principal: ClientPrincipal, parts: dict[str, AttachmentPart] | None = None,
                     statement_id: str | None = None, defer: bool = False) -> list[str]:
    """Store statements (all or none) and return their ids in order.

    What is derived from them (query keys, activity definitions, progress) is written in the same transaction, or,
    with ``defer``, left to :mod:`tracking.services_derive` (a pending row each, in the same transaction), so an
    LRS client's request is acknowledged as soon as its statements are durably stored.

    A statement whose id is already stored is a no-op when it matches the stored one and a :class:`Conflict`
    otherwise. Raises :class:`InvalidStatement` (400) naming the first problem.
    """
    parts = parts or {}
    if not isinstance(statements, list) or not statements:
        raise InvalidStatement("Send a statement object or a non-empty array of statements.")
    if len(statements) > MAX_BATCH:
        raise BatchTooLarge(f"A request may hold at most {MAX_BATCH:,} statements; this one holds "
                            f"{len(statements):,}. Send them in smaller batches.")
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

    existing = dict(run_in("SELECT id, body FROM xapi_statement WHERE id IN ({in})", list(seen))) if seen else {}
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
        _insert(fresh, principal, parts, defer)
    return [i or s["id"] for i, s in zip(ids, statements, strict=True)]


MAX_ID_LENGTH = 600  # characters of an actor identifier, verb id or activity id that this LRS indexes
MAX_BATCH = 10_000  # statements per request: what one transaction stores (and SQL parameter lists hold)


class BatchTooLarge(DomainError):
    status_code = 413


def _check_lengths(statement: dict, where: str) -> None:
    """Identifiers the LRS keeps in columns of bounded size (every activity, with its definition, included)."""
    named = [("actor", actor_key(statement["actor"])), ("verb.id", statement["verb"]["id"])]
    named += [("an activity id", activity_id) for activity_id in mentioned_activities(statement)]
    for name, value in named:
        if len(value) > MAX_ID_LENGTH:
            raise InvalidStatement(f"{where}: {name} is longer than the {MAX_ID_LENGTH} characters this LRS stores.")


def _check_attachments(statements: list[dict], parts: dict[str, AttachmentPart]) -> None:
    used = set()
    for index, statement in enumerate(statements):
        for place, header in attachment_headers(statement):
            sha2 = header["sha2"].lower()
            where = f"statement[{index}].{place}"
            if sha2 in parts:
                used.add(sha2)
                part = parts[sha2]
                # Parts are matched by their SHA-2 alone (xAPI-Communication 1.5.2): a declared length that differs
                # from the part's size is no reason to refuse it. The part's data was checked against its hash.
                if not part.content_type:  # kept with the type its statement gives it (and forwarded so)
                    parts[sha2] = part = AttachmentPart(header["contentType"], part.content)
                if essence(part.content_type) != essence(header["contentType"]):
                    raise InvalidStatement(f"{where}: contentType {header['contentType']!r} differs from the part's "
                                           f"Content-Type {part.content_type!r}.")
            elif "fileUrl" not in header:
                raise InvalidStatement(f"{where}: no fileUrl and no multipart part with X-Experience-API-Hash {sha2}.")
            if header["usageType"] == signatures.USAGE and place.startswith("attachments"):
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


def _insert(fresh: list[dict], principal: ClientPrincipal, parts: dict[str, AttachmentPart], defer: bool) -> None:
    stored = utcnow()
    stored_text = iso(stored)
    authority = principal.authority()
    rows = []
    as_text = db.engine.dialect.name == "sqlite"
    stored_db = db_time(stored, as_text)
    for statement in fresh:
        statement["id"] = statement["id"].lower() if "id" in statement else new_uuid()
        if "timestamp" not in statement:
            statement["timestamp"] = stored_text
        statement["stored"] = stored_text
        statement["authority"] = authority
        if statement.get("version", "1.0") == "1.0":  # "1.0" is 1.0.0 (xAPI-Communication 3.3)
            statement["version"] = "1.0.0"
        normalise_context_activities(statement)
        context = statement.get("context", {})
        target = statement["object"]
        kind = target.get("objectType", "Activity")
        score, success, completion = outcome(statement.get("result", {}))
        rows.append((
            statement["id"], stored_db, db_time(timestamp(statement["timestamp"], "timestamp"), as_text),
            actor_key(statement["actor"]), statement["verb"]["id"], target["id"] if kind == "Activity" else None,
            context.get("registration", "").lower() or None, target["id"].lower() if kind == "StatementRef" else None,
            statement["verb"]["id"] == VOIDED, False, bool(attachment_headers(statement)), score, success, completion,
            principal.id, dumps(statement),
        ))
    # Everything above is computed before the first write: on SQLite the write lock is held from here to commit.
    try:
        insert_many("xapi_statement", _STATEMENT_COLUMNS, rows)
    except IntegrityError:  # the boundary rolls the whole request back
        raise Conflict("A statement with one of these ids was stored by another request at the same moment; "
                       "send the batch again.") from None
    ids = [row[0] for row in rows]
    # A statement and one voiding it stored at once on PostgreSQL may not see each other here: deriving the voiding
    # statement marks its target again (services_derive).
    voided = apply_voids(ids + [row[7] for row in rows if row[8]])
    _store_attachments(parts)
    if current_app.config.get("LMS_LRS_FORWARD_URL"):
        run_in("INSERT INTO xapi_outbox (statement_seq, status, attempts, due_at, created_at) "
               "SELECT seq, 'queued', 0, {mark}, {mark} FROM xapi_statement WHERE id IN ({in})", ids,
               (stored_db, stored_db))
    if defer:
        run_in("INSERT INTO xapi_pending (seq) SELECT seq FROM xapi_statement WHERE id IN ({in})", ids)
    else:
        from tracking.services_derive import derive

        seqs = dict(run_in("SELECT id, seq FROM xapi_statement WHERE id IN ({in})", ids))
        derive([(seqs[statement["id"]], statement) for statement in fresh], voided, client_id=principal.id)


_STATEMENT_COLUMNS = ("id", "stored", "timestamp", "actor_key", "verb_id", "activity_id", "registration", "target_id",
                      "voiding", "voided", "has_attachments", "score", "success", "completion", "client_id", "body")


def outcome(result: dict) -> tuple[float | None, bool | None, bool | None]:
    score = result.get("score", {})
    scaled = score.get("scaled")
    if scaled is None and "raw" in score and "max" in score and score["max"] > score.get("min", 0):
        scaled = (score["raw"] - score.get("min", 0)) / (score["max"] - score.get("min", 0))
        if not math.isfinite(scaled):  # raw, min and max near the ends of the double range
            scaled = None
    return scaled, result.get("success"), result.get("completion")


def apply_voids(ids: list[str]) -> set[str]:
    """Mark voided every non-voiding statement among ``ids`` that a stored voiding statement targets; return
    those ids."""
    voiders = "SELECT target_id FROM xapi_statement WHERE voiding = {mark} AND target_id IN ({in})"
    targets = {target for (target,) in run_in(voiders, ids, (True,))}
    mark_voided(targets)
    return targets


def mark_voided(targets: set[str]) -> None:
    """Mark these statements voided (a voiding statement is never voided). Their pairs' projections are recomputed
    when the voiding statement is derived."""
    if targets:
        db.session.execute(update(Statement).where(Statement.id.in_(targets), Statement.voiding.is_(False),
                                                   Statement.voided.is_(False)).values(voided=True))


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
    wanted = {header["sha2"].lower() for body in bodies for _, header in attachment_headers(body)}
    if not wanted:
        return []
    return list(db.session.scalars(select(Attachment).where(Attachment.sha2.in_(wanted))))


def multipart_mixed(json_text: str, attachments: list[Attachment], boundary: str) -> bytes:
    """A multipart/mixed body: the statements as JSON, then each attachment's data (xAPI-Communication 1.5.2)."""
    out = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(), json_text.encode()]
    for item in attachments:
        out.append(f"\r\n--{boundary}\r\nContent-Type: {item.content_type}\r\nContent-Transfer-Encoding: binary"
                   f"\r\nX-Experience-API-Hash: {item.sha2}\r\n\r\n".encode())
        out.append(item.content)
    out.append(f"\r\n--{boundary}--".encode())
    return b"".join(out)


def activity_definitions_for(activity_ids: set[str]) -> dict[str, dict]:
    if not activity_ids:
        return {}
    return {row.activity_id: json.loads(row.definition) for row in db.session.scalars(
        select(Activity).where(Activity.activity_id.in_(activity_ids)))}
