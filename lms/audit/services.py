"""Recording admin actions. Call :func:`record` inside the transaction that makes the change."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.people.models import Person


def record(actor_id: int | None, action: str, target: str = "", **details: Any) -> AuditEvent:
    """Add an audit event (``actor_id`` None means the command line or a visitor not signed in) to the current
    transaction."""
    event = AuditEvent(actor_id=actor_id, action=action, target=target, details=details)
    db.session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show: ``who`` is part of the email of the person who acted or of the target; ``action`` an
    action (``auth.sign_in``) or its area (``auth``); ``since``/``until`` whole UTC days, both included."""

    who: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None


def recent_events_query(action: str | None = None, criteria: AuditFilter | None = None):
    """Events newest first, filtered."""
    criteria = criteria or AuditFilter(action=action or "")
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if criteria.action:
        query = query.where(or_(AuditEvent.action == criteria.action,
                                AuditEvent.action.startswith(criteria.action.rstrip(".") + ".", autoescape=True)))
    if criteria.who:
        actor = aliased(Person)
        needle = criteria.who.strip().lower()
        query = query.outerjoin(actor, actor.id == AuditEvent.actor_id).where(or_(
            actor.email.contains(needle, autoescape=True),
            func.lower(AuditEvent.target).contains(needle, autoescape=True)))
    if criteria.since:
        query = query.where(AuditEvent.at >= datetime.combine(criteria.since, time(), UTC))
    if criteria.until:
        query = query.where(AuditEvent.at < datetime.combine(criteria.until + timedelta(days=1), time(), UTC))
    return query


def known_actions() -> list[str]:
    """Every action recorded so far, for the filter's suggestions."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


CSV_COLUMNS = ("at_utc", "actor", "action", "target", "details")


def _cell(value: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ (or tab / carriage return) as a formula: quote it.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def events_csv(criteria: AuditFilter) -> Iterator[str]:
    """The filtered events as CSV lines (header first), streamed in batches; formula-like cells escaped."""
    import json

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    query = recent_events_query(criteria=criteria).execution_options(yield_per=1000)
    for event in db.session.scalars(query):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(v) for v in (
            event.at.strftime("%Y-%m-%d %H:%M:%S"), event.actor.email if event.actor else "command line / visitor",
            event.action, event.target, json.dumps(event.details, ensure_ascii=False, sort_keys=True))])
        yield buffer.getvalue()
