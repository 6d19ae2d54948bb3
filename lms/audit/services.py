"""Recording admin actions. Call :func:`record` inside the transaction that makes the change."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.extensions import db


def record(actor_id: int | None, action: str, target: str = "", **details: Any) -> AuditEvent:
    """Add an audit event (``actor_id`` None means the command line) to the current transaction."""
    event = AuditEvent(actor_id=actor_id, action=action, target=target, details=details)
    db.session.add(event)
    return event


def recent_events_query(action: str | None = None):
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    return query
