"""Forwarding to the external LRS: deliver outbox rows in batches, exactly once per statement.

Rows are claimed with a token and a lease (``due_at`` moves past the lease), with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; the claim re-checks ``due_at`` so two workers never hold one row, and a worker that died leaves rows
that fall due again when the lease runs out. Statement ids are fixed, so a re-send after a crash is a no-op or a
409 there, which is resolved by fetching the statement back and comparing.
"""
from __future__ import annotations

import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from flask import current_app
from sqlalchemy import delete, func, select, update

from lms.audit.services import record as audit
from lms.extensions import db
from lms.types import utcnow
from tracking.models import ForwardCounter, OutboxEntry, Statement
from tracking.services import attachments_for, multipart_mixed
from tracking.xapi_data import same_statement

BACKOFF_BASE = 2.0  # seconds, doubled per attempt
BACKOFF_CAP = 600.0
DEAD_STATUSES = {400, 401, 403, 413}


@dataclass
class ForwardReport:
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.delivered or self.retrying or self.dead)


def http_client() -> httpx.Client:
    """A pooled client for the external LRS, with timeouts (tincan's RemoteLRS has neither)."""
    config = current_app.config
    auth = None
    if config.get("LMS_LRS_FORWARD_USERNAME") is not None:
        auth = (config["LMS_LRS_FORWARD_USERNAME"], config.get("LMS_LRS_FORWARD_PASSWORD") or "")
    timeout = float(config.get("LMS_LRS_FORWARD_TIMEOUT") or 10)
    return httpx.Client(base_url=config["LMS_LRS_FORWARD_URL"].rstrip("/") + "/", auth=auth,
                        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
                        limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
                        headers={"X-Experience-API-Version": "1.0.3"})


def lease() -> timedelta:
    """How long a claim holds: longer than one batch can take (a few requests, each within the timeout)."""
    return timedelta(seconds=10 * float(current_app.config.get("LMS_LRS_FORWARD_TIMEOUT") or 10) + 5)


def claim(batch_size: int, now: datetime | None = None) -> tuple[str, list[OutboxEntry]]:
    """Claim up to ``batch_size`` due rows for this worker and commit the claim."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    due = (select(OutboxEntry.id).where(OutboxEntry.status == "queued", OutboxEntry.due_at <= now)
           .order_by(OutboxEntry.id).limit(batch_size))
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    db.session.execute(update(OutboxEntry).where(OutboxEntry.id.in_(due.scalar_subquery()),
                                                 OutboxEntry.status == "queued", OutboxEntry.due_at <= now)
                       .values(claim_token=token, due_at=now + lease()),
                       execution_options={"synchronize_session": False})
    db.session.commit()
    rows = list(db.session.scalars(select(OutboxEntry).where(OutboxEntry.claim_token == token)
                                   .order_by(OutboxEntry.id)))
    return token, rows


def forward_due(http: httpx.Client | None = None, *, batch_size: int = 100) -> ForwardReport:
    """Deliver one batch of due statements; the worker calls this in a loop. Commits its own work."""
    report = ForwardReport()
    if not current_app.config.get("LMS_LRS_FORWARD_URL"):
        return report
    owned = http is None
    http = http or http_client()
    try:
        token, rows = claim(batch_size)
        if rows:
            bodies = dict(db.session.execute(select(Statement.seq, Statement.body).where(
                Statement.seq.in_([r.statement_seq for r in rows]))).all())
            _deliver(http, token, [(row, json.loads(bodies[row.statement_seq])) for row in rows], report)
            db.session.commit()
    finally:
        if owned:
            http.close()
    return report


def _payload(bodies: list | dict) -> dict:
    """Request arguments: JSON, or multipart/mixed carrying the attachments' data (the spec forbids pushing
    statements without the attachment data received)."""
    statements = bodies if isinstance(bodies, list) else [bodies]
    attachments = attachments_for(statements)  # a SubStatement's attachments included
    if not attachments:
        return {"json": bodies}
    boundary = "rapport-" + secrets.token_hex(12)
    return {"content": multipart_mixed(json.dumps(bodies), attachments, boundary),
            "headers": {"Content-Type": f'multipart/mixed; boundary="{boundary}"'}}


def _deliver(http: httpx.Client, token: str, items: list[tuple[OutboxEntry, dict]], report: ForwardReport) -> None:
    try:
        response = http.post("statements", **_payload([body for _, body in items]))
    except httpx.HTTPError as exc:
        _retry([row for row, _ in items], f"{type(exc).__name__}: {exc}", report)
        return
    status = response.status_code
    if status in (200, 204):
        _delivered(token, [row for row, _ in items], report)
    elif status == 429 or status >= 500:
        _retry([row for row, _ in items], f"HTTP {status}: {response.text[:300]}", report,
               retry_after=_retry_after(response) if status == 429 else None)
    elif len(items) > 1 and status in (409, 400, 413):
        for index, item in enumerate(items):  # find out which statement it is about
            if not _deliver_one(http, token, item, report):
                _retry([row for row, _ in items[index + 1:]], "not tried: the external LRS stopped answering",
                       report)
                return
    elif status == 409:
        _deliver_one(http, token, items[0], report)
    else:
        _dead([row for row, _ in items], f"HTTP {status}: {response.text[:500]}", report)


def _deliver_one(http: httpx.Client, token: str, item: tuple[OutboxEntry, dict], report: ForwardReport) -> bool:
    """Send one statement with PUT; False when the external LRS is failing (stop sending the rest)."""
    row, body = item
    try:
        response = http.put("statements", params={"statementId": body["id"]}, **_payload(body))
        if response.status_code == 409:
            there = http.get("statements", params={"statementId": body["id"]})
            if there.status_code == 200 and same_statement(_without_lrs_fields(body), there.json()):
                _delivered(token, [row], report)
            elif there.status_code == 200:
                _dead([row], "The external LRS holds a different statement with this id (409).", report)
            else:
                _retry([row], f"409, then HTTP {there.status_code} fetching it back", report)
                return False
            return True
    except (httpx.HTTPError, ValueError) as exc:
        _retry([row], f"{type(exc).__name__}: {exc}", report)
        return False
    status = response.status_code
    if status in (200, 204):
        _delivered(token, [row], report)
    elif status == 429 or status >= 500:
        _retry([row], f"HTTP {status}: {response.text[:300]}", report,
               retry_after=_retry_after(response) if status == 429 else None)
        return False
    else:
        _dead([row], f"HTTP {status}: {response.text[:500]}", report)
    return True


def _without_lrs_fields(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("stored", "authority", "version")}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max((parsedate_to_datetime(value) - utcnow()).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


def _delivered(token: str, rows: list[OutboxEntry], report: ForwardReport) -> None:
    ids = [row.id for row in rows]
    done = db.session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(ids), OutboxEntry.claim_token == token),
                              execution_options={"synchronize_session": False}).rowcount
    counter = db.session.get(ForwardCounter, 1)
    if counter is None:
        counter = ForwardCounter(id=1, delivered=0)
        db.session.add(counter)
    counter.delivered += done
    counter.last_delivery_at = utcnow()
    report.delivered += done


def _retry(rows: list[OutboxEntry], reason: str, report: ForwardReport, retry_after: float | None = None) -> None:
    for row in rows:
        row.attempts += 1
        delay = retry_after if retry_after is not None else min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (row.attempts - 1))
        delay *= random.uniform(1.0, 1.5) if retry_after is not None else random.uniform(0.5, 1.5)  # noqa: S311
        row.due_at = utcnow() + timedelta(seconds=delay)
        row.last_error = reason
        row.claim_token = None
    report.retrying += len(rows)
    report.errors.append(reason)


def _dead(rows: list[OutboxEntry], reason: str, report: ForwardReport) -> None:
    for row in rows:
        row.status = "dead"
        row.attempts += 1
        row.last_error = reason
        row.claim_token = None
    report.dead += len(rows)
    report.errors.append(reason)


def run_forwarder(*, once: bool, interval: float, echo: Callable[[str], None], batch_size: int = 100) -> None:
    """Deliver until stopped (or, with ``once``, until nothing is due)."""
    if not current_app.config.get("LMS_LRS_FORWARD_URL"):
        echo("LMS_LRS_FORWARD_URL is not set: nothing to forward.")
        return
    with http_client() as http:
        while True:
            report = forward_due(http, batch_size=batch_size)
            if report:
                echo(f"forward: {report.delivered} delivered, {report.retrying} to retry, {report.dead} dead")
            db.session.remove()
            if not report.delivered:
                if once:
                    return
                time.sleep(interval)


@dataclass(frozen=True)
class ForwardStatus:
    configured: bool
    queued: int
    dead: int
    delivered: int
    oldest_queued_at: datetime | None
    last_delivery_at: datetime | None

    @property
    def lag_seconds(self) -> float | None:
        return (utcnow() - self.oldest_queued_at).total_seconds() if self.oldest_queued_at else None


def forward_status() -> ForwardStatus:
    counts = dict(db.session.execute(select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)).all())
    oldest = db.session.scalar(select(func.min(OutboxEntry.created_at)).where(OutboxEntry.status == "queued"))
    counter = db.session.get(ForwardCounter, 1)
    return ForwardStatus(bool(current_app.config.get("LMS_LRS_FORWARD_URL")), counts.get("queued", 0),
                         counts.get("dead", 0), counter.delivered if counter else 0, oldest,
                         counter.last_delivery_at if counter else None)


def dead_letters(limit: int = 200) -> list[tuple[OutboxEntry, str]]:
    """Dead-lettered rows with their statement id, newest first."""
    return [tuple(row) for row in db.session.execute(
        select(OutboxEntry, Statement.id).join(Statement, Statement.seq == OutboxEntry.statement_seq)
        .where(OutboxEntry.status == "dead").order_by(OutboxEntry.id.desc()).limit(limit))]


def retry_dead(entry_id: int | None = None, *, actor_id: int | None = None) -> int:
    """Queue dead-lettered rows again (one, or all); return how many. ``actor_id``: the admin, for the audit log."""
    stmt = update(OutboxEntry).where(OutboxEntry.status == "dead")
    if entry_id is not None:
        stmt = stmt.where(OutboxEntry.id == entry_id)
    count = db.session.execute(stmt.values(status="queued", due_at=utcnow(), attempts=0, claim_token=None),
                               execution_options={"synchronize_session": False}).rowcount
    if count:
        audit(actor_id, "outbox.retry", "all" if entry_id is None else str(entry_id), statements=count)
    return count
