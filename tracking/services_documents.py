"""State, Activity Profile and Agent Profile documents (xAPI-Communication 2.2-2.7) with ETag concurrency (3.1)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from lms.errors import Conflict, DomainError, NotFound
from lms.extensions import db
from lms.types import utcnow
from tracking.models import Document
from tracking.validation import InvalidStatement, essence
from tracking.xapi_data import dumps, loads

KINDS = ("state", "activity_profile", "agent_profile")


class PreconditionFailed(DomainError):
    status_code = 412


@dataclass(frozen=True)
class Scope:
    """What a document belongs to: an activity and/or an agent (identifier string), and a registration."""

    kind: str
    activity_id: str | None = None
    agent: str | None = None
    registration: str = ""

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps([self.kind, self.activity_id, self.agent]).encode()).hexdigest()


@dataclass(frozen=True)
class Preconditions:
    if_match: str | None = None  # an ETag, or "*"
    if_none_match: str | None = None  # "*" (or an ETag)


def _etag(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()  # noqa: S324 - the spec fixes SHA-1 for document ETags


def _find(scope: Scope, doc_id: str) -> Document | None:
    if len(doc_id) > 600:
        raise InvalidStatement("The document id is longer than the 600 characters this LRS stores.")
    return db.session.scalar(select(Document).where(
        Document.kind == scope.kind, Document.scope_key == scope.key, Document.registration == scope.registration,
        Document.doc_id == doc_id))


def _check(current: Document | None, pre: Preconditions) -> None:
    if pre.if_match is not None:
        wanted = [t.strip().strip('"') for t in pre.if_match.split(",")]
        if current is None or ("*" not in wanted and current.etag not in wanted):
            raise PreconditionFailed("If-Match does not match the document's current ETag; fetch it again.")
    if pre.if_none_match is not None:
        wanted = [t.strip().strip('"') for t in pre.if_none_match.split(",")]
        if current is not None and ("*" in wanted or current.etag in wanted):
            raise PreconditionFailed("If-None-Match: the document already exists.")


def get_document(scope: Scope, doc_id: str) -> Document:
    document = _find(scope, doc_id)
    if document is None:
        raise NotFound(f"No document has the id {doc_id!r} here.")
    return document


def list_documents(scope: Scope, since: datetime | None) -> tuple[list[str], datetime | None]:
    """Ids of the scope's documents (for state: of any registration unless one is given) and the latest update."""
    stmt = select(Document.doc_id, Document.updated).where(Document.kind == scope.kind,
                                                          Document.scope_key == scope.key)
    if scope.kind == "state" and scope.registration:
        stmt = stmt.where(Document.registration == scope.registration)
    if since is not None:
        stmt = stmt.where(Document.updated > since)
    rows = db.session.execute(stmt.order_by(Document.doc_id)).all()
    return sorted({r.doc_id for r in rows}), max((r.updated for r in rows), default=None)


def put_document(scope: Scope, doc_id: str, content: bytes, content_type: str, pre: Preconditions, *,
                 require_precondition: bool) -> Document:
    """Store or replace a document. Profiles need If-Match or If-None-Match (xAPI-Communication 3.1): without
    either, replacing one is a conflict (409) and creating one is refused (400), so a client that forgets
    concurrency control learns it on its first write."""
    current = _find(scope, doc_id)
    _check(current, pre)
    if require_precondition and pre.if_match is None and pre.if_none_match is None:
        if current is not None:
            raise Conflict("The document already exists: check its current state, then send it again with "
                           "If-Match set to its ETag.")
        raise InvalidStatement("The If-None-Match header is missing (and If-Match): a profile document is written "
                               "with one of them; send If-None-Match: * to create it.")
    return _save(scope, doc_id, current, content, content_type)


def post_document(scope: Scope, doc_id: str, content: bytes, content_type: str, pre: Preconditions) -> Document:
    """Create a document, or merge a JSON object into an existing JSON document (top-level properties)."""
    current = _find(scope, doc_id)
    _check(current, pre)
    if current is None:
        if essence(content_type) == "application/json":  # xAPI-Communication 2.2.8: JSON posted is an object
            _json_object(content, content_type, "The posted document")
        return _save(scope, doc_id, None, content, content_type)
    posted = _json_object(content, content_type, "The posted document")
    existing = _json_object(current.content, current.content_type, "The stored document")
    existing.update(posted)
    try:
        merged = dumps(existing).encode()
    except RecursionError:
        raise InvalidStatement("The merged document is nested too deeply to store; PUT a flatter one.") from None
    return _save(scope, doc_id, current, merged, "application/json")


def _json_object(content: bytes, content_type: str, what: str) -> dict:
    if essence(content_type) != "application/json":
        raise InvalidStatement(f"{what} is not application/json, so it cannot be merged; PUT it instead.")
    try:
        value = loads(content)
    except ValueError:
        raise InvalidStatement(f"{what} is not valid JSON.") from None
    if not isinstance(value, dict):
        raise InvalidStatement(f"{what} is not a JSON object, so it cannot be merged; PUT it instead.")
    return value


def _save(scope: Scope, doc_id: str, current: Document | None, content: bytes, content_type: str) -> Document:
    if current is None:
        current = Document(kind=scope.kind, scope_key=scope.key, registration=scope.registration, doc_id=doc_id)
        db.session.add(current)
    current.content = content
    current.content_type = (content_type or "application/octet-stream")[:255]
    current.etag = _etag(content)
    current.updated = utcnow()
    db.session.flush()
    return current


def delete_document(scope: Scope, doc_id: str, pre: Preconditions) -> None:
    current = _find(scope, doc_id)
    if current is None and pre.if_match is None:
        return
    _check(current, pre)
    db.session.delete(current)
    db.session.flush()


def delete_documents(scope: Scope) -> None:
    """Delete every state document of an activity and agent (of one registration, when one is given)."""
    stmt = delete(Document).where(Document.kind == scope.kind, Document.scope_key == scope.key)
    if scope.registration:
        stmt = stmt.where(Document.registration == scope.registration)
    db.session.execute(stmt)
