"""Outgoing mail: queue in the caller's transaction, deliver after commit, never twice, never for rolled-back work.

- :func:`queue_mail` writes one :class:`OutgoingMail` with its bodies (account mail, a test mail). The request's
  mail is handed to a background sender once the response is on its way (:mod:`lms.mail.kicker`), so sending
  never slows a request or tells anything by its timing; the worker is the backstop.
- :func:`queue_rendered` writes many rows without bodies (a campaign's recipients, in one INSERT ... SELECT); the
  renderer that the row's ``source`` names renders them when they are sent (see ``Plugin.mail_renderers``).
- :func:`deliver` (``flask lms worker``, any number of them) claims due rows with a lease, renders and sends them in
  rounds (:mod:`lms.mail.smtp`), and records each outcome: retries with backoff for temporary failures, a bounce
  (and the address suppressed) for permanent ones.
"""
from __future__ import annotations

import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, parseaddr
from functools import partial

from flask import current_app, g
from sqlalchemy import Select, case, func, insert, literal, select, update

from lms.extensions import db
from lms.mail import message as mime
from lms.mail.models import FINAL, MailSuppression, OutgoingMail
from lms.mail.rendering import MailToRender, NotSent, RenderedMail
from lms.mail.smtp import Envelope, Outcome, Pool, RateLimit, RelayUnavailable, Result, SmtpSettings, send_round
from lms.people.models import Person
from lms.types import utcnow

# A key of ``OutgoingMail.headers`` that is not sent as a header: the display name to use instead of the one in
# LMS_MAIL_SENDER (the address stays the configured one), for mail queued with its bodies.
SENDER_NAME = "X-Rapport-Sender-Name"
UNCONFIRMED_NOTE = "the relay did not confirm (worker stopped or connection lost at the end of the message)"


# --- queueing ------------------------------------------------------------------------------------------------------

def queue_mail(to_address: str, subject: str, text_body: str, html_body: str | None = None, *,
               person_id: int | None = None, category: str = "account", source: str = "account",
               source_id: int | None = None, headers: dict[str, str] | None = None) -> OutgoingMail:
    """Queue one mail in the current transaction; after the request's commit a background sender sends it."""
    mail = OutgoingMail(to_address=to_address.strip(), subject=subject, text_body=text_body, html_body=html_body,
                        person_id=person_id, category=category, source=source, source_id=source_id,
                        headers=headers or None, status="queued", attempts=0, next_attempt_at=utcnow())
    db.session.add(mail)
    db.session.flush()
    g.setdefault("lms_queued_mail_ids", []).append(mail.id)
    return mail


def queue_to_render(to_address: str, *, source: str, person_id: int | None = None, category: str = "account",
                    source_id: int | None = None) -> OutgoingMail:
    """Queue one mail without a body: the renderer of ``source`` writes it when it is sent (after the response)."""
    mail = OutgoingMail(to_address=to_address.strip(), person_id=person_id, category=category, source=source,
                        source_id=source_id, status="queued", attempts=0, next_attempt_at=utcnow())
    db.session.add(mail)
    db.session.flush()
    g.setdefault("lms_queued_mail_ids", []).append(mail.id)
    return mail


def queue_rendered(recipients: Select, *, source: str, source_id: int, category: str,
                   status: str = "queued") -> int:
    """One row per recipient of ``recipients`` (a select of ``person_id, to_address``), rendered when sent by the
    renderer registered for ``source``; returns how many rows were written."""
    now = utcnow()
    subquery = recipients.subquery()
    columns = ("person_id", "to_address", "category", "source", "source_id", "status", "attempts", "created_at",
               "next_attempt_at")
    chosen = select(subquery.c.person_id, subquery.c.to_address, literal(category), literal(source),
                    literal(source_id), literal(status), literal(0), literal(now, OutgoingMail.created_at.type),
                    literal(now, OutgoingMail.next_attempt_at.type))
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... SELECT in pipeline mode
    return len(db.session.scalars(insert(OutgoingMail).from_select(columns, chosen).returning(OutgoingMail.id)).all())


def hold(source: str, source_id: int) -> int:
    """Keep the queued mail of a source (a paused campaign) from being sent; mail being sent right now finishes."""
    return _move(source, source_id, ("queued",), "held")


def release(source: str, source_id: int) -> int:
    """Send held mail again (a resumed campaign)."""
    return _move(source, source_id, ("held",), "queued")


def cancel(source: str, source_id: int) -> int:
    """Never send the source's mail that has not gone yet."""
    return _move(source, source_id, ("queued", "held"), "cancelled")


def _move(source: str, source_id: int, old: tuple[str, ...], new: str) -> int:
    result = db.session.execute(update(OutgoingMail).where(
        OutgoingMail.source == source, OutgoingMail.source_id == source_id, OutgoingMail.status.in_(old))
        .values(status=new, next_attempt_at=utcnow()), execution_options={"synchronize_session": False})
    return result.rowcount or 0


@dataclass(frozen=True)
class MailCounts:
    total: int = 0
    queued: int = 0  # queued, held or being sent
    sent: int = 0
    unconfirmed: int = 0  # part of ``sent``
    failed: int = 0
    bounced: int = 0
    skipped: int = 0
    cancelled: int = 0

    @property
    def remaining(self) -> int:
        return self.queued


def counts(source: str, source_ids: Iterable[int]) -> dict[int, MailCounts]:
    """Per source id, how its mail stands."""
    ids = list(source_ids)
    if not ids:
        return {}
    unconfirmed = case((OutgoingMail.smtp_reply.is_(None), 1), else_=0)
    rows = db.session.execute(
        select(OutgoingMail.source_id, OutgoingMail.status, func.count(), func.sum(unconfirmed))
        .where(OutgoingMail.source == source, OutgoingMail.source_id.in_(ids))
        .group_by(OutgoingMail.source_id, OutgoingMail.status))
    found: dict[int, Counter] = defaultdict(Counter)
    for source_id, status, count, not_confirmed in rows:
        bucket = status if status in FINAL else "queued"
        found[source_id][bucket] += count
        found[source_id]["total"] += count
        if status == "sent":
            found[source_id]["unconfirmed"] += int(not_confirmed or 0)
    return {source_id: MailCounts(**found[source_id]) for source_id in ids}


# --- suppression -----------------------------------------------------------------------------------------------------

def suppressed(addresses: Iterable[str]) -> set[str]:
    wanted = {a.strip().lower() for a in addresses}
    found: set[str] = set()
    chunk = list(wanted)
    for start in range(0, len(chunk), 500):
        found |= set(db.session.scalars(select(MailSuppression.email).where(
            MailSuppression.email.in_(chunk[start:start + 500]))))
    return found


def suppression_for(address: str) -> MailSuppression | None:
    return db.session.get(MailSuppression, address.strip().lower())


def unsuppressed(address_column) -> object:
    """A SQL condition: the address is not suppressed (for audience queries)."""
    return ~select(MailSuppression.email).where(MailSuppression.email == func.lower(address_column)).exists()


def clear_suppression(address: str) -> bool:
    row = suppression_for(address)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


# --- delivering --------------------------------------------------------------------------------------------------

@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    bounced: int = 0
    skipped: int = 0
    unconfirmed: int = 0
    relay_down: str | None = None
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return bool(self.sent or self.retried or self.failed or self.bounced or self.skipped)

    def __str__(self) -> str:
        parts = [f"{self.sent} sent"] + [f"{n} {k}" for k, n in (
            ("retried", self.retried), ("failed", self.failed), ("bounced", self.bounced), ("skipped", self.skipped),
            ("unconfirmed", self.unconfirmed)) if n]
        if self.relay_down:
            parts.append(f"relay unavailable: {self.relay_down}")
        return ", ".join(parts)


def _settings() -> dict:
    cfg = current_app.config
    return {"batch": int(cfg.get("LMS_MAIL_BATCH") or 200), "lease": float(cfg.get("LMS_MAIL_LEASE") or 60),
            "rate": float(cfg.get("LMS_MAIL_RATE") or 0), "retry": float(cfg.get("LMS_MAIL_RETRY_BASE") or 30),
            "attempts": int(cfg.get("LMS_MAIL_MAX_ATTEMPTS") or 8)}


def deliver(ids: list[int] | None = None, *, budget: float = 10.0) -> DeliveryReport:
    """Send due mail (or exactly ``ids``) for up to ``budget`` seconds, in claimed batches; commits as it goes."""
    opts = _settings()
    report = DeliveryReport()
    started = time.monotonic()
    smtp = SmtpSettings.from_config(current_app.config)
    rate = RateLimit(opts["rate"])
    batch = opts["batch"] if not opts["rate"] else max(1, min(opts["batch"], int(opts["rate"] * opts["lease"] / 2)))
    with Pool(smtp) as pool:
        while time.monotonic() - started < budget:
            token, rows = _claim(batch, opts["lease"], ids)
            if not rows:
                break
            envelopes = _prepare(rows, report)
            try:
                for start in range(0, len(envelopes), smtp.connections):
                    chunk = envelopes[start:start + smtp.connections]
                    rate.wait(len(chunk))
                    results = send_round(pool, chunk, partial(_hand_over, token=token))
                    _record(results, opts, report)
            except RelayUnavailable as exc:
                report.relay_down = str(exc)
                _release(token, str(exc), opts)
                break
            if ids is not None:
                break
    report.seconds = time.monotonic() - started
    return report


def _claim(limit: int, lease: float, ids: list[int] | None) -> tuple[str, list[OutgoingMail]]:
    """Claim up to ``limit`` due rows (and rows whose claimant's lease ran out before it handed them over)."""
    now = utcnow()
    token = uuid.uuid4().hex
    due = (OutgoingMail.status == "queued") & (OutgoingMail.next_attempt_at <= now)
    stale = (OutgoingMail.status == "sending") & (OutgoingMail.claimed_until < now)
    claimed = []
    for condition in (stale, due):
        query = select(OutgoingMail.id).where(condition)
        if ids is not None:
            query = query.where(OutgoingMail.id.in_(ids))
        query = query.order_by(OutgoingMail.id).limit(limit - len(claimed))
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        claimed += db.session.scalars(update(OutgoingMail).where(OutgoingMail.id.in_(query.scalar_subquery()),
                                                                 condition)
                                      .values(status="sending", claimed_by=token,
                                              claimed_until=now + timedelta(seconds=lease))
                                      .returning(OutgoingMail.id), execution_options={"synchronize_session": False}
                                      ).all()
        if len(claimed) >= limit:
            break
    db.session.commit()
    if not claimed:
        return token, []
    rows = list(db.session.scalars(select(OutgoingMail).where(OutgoingMail.claimed_by == token,
                                                              OutgoingMail.status == "sending")
                                   .order_by(OutgoingMail.id)))
    return token, rows


def _prepare(rows: list[OutgoingMail], report: DeliveryReport) -> list[Envelope]:
    """Render what needs rendering and build each message; rows that will not be sent are settled here."""
    cfg = current_app.config
    sender = cfg["LMS_MAIL_SENDER"]
    envelope_from = parseaddr(sender)[1]
    blocked = suppressed(r.to_address for r in rows if r.source != "test")
    inactive = set(db.session.scalars(select(Person.id).where(
        Person.id.in_({r.person_id for r in rows if r.person_id}), Person.active.is_(False))))
    rendered = _render([r for r in rows if r.subject is None])
    envelopes, now = [], utcnow()
    for row in rows:
        outcome = rendered.get(row.id)
        if row.to_address.lower() in blocked:
            outcome = NotSent("skipped", "the address bounced before; an admin can clear it on the person's page")
        elif row.person_id in inactive and row.category != "account":
            outcome = NotSent("skipped", "the person is deactivated")
        elif not row.to_address.isascii() or "@" not in row.to_address:
            outcome = NotSent("failed", "the address cannot be used")
        if isinstance(outcome, NotSent):
            row.status, row.last_error, row.claimed_by = outcome.status, outcome.reason, None
            setattr(report, outcome.status, getattr(report, outcome.status) + 1)
            continue
        if outcome is None and row.subject is None:  # no renderer answered (its plugin is disabled?)
            row.status, row.claimed_by = "queued", None
            row.last_error = f"nothing renders mail of {row.source!r} (is its plugin enabled?)"
            row.next_attempt_at = now + timedelta(hours=1)
            continue
        if isinstance(outcome, RenderedMail):
            subject, text, html, headers, to_name = (outcome.subject, outcome.text, outcome.html,
                                                     dict(outcome.headers), outcome.to_name)
            headers[SENDER_NAME] = outcome.sender_name or ""
        else:
            subject, text, html, headers, to_name = row.subject, row.text_body or "", row.html_body, \
                dict(row.headers or {}), None
        name = headers.pop(SENDER_NAME, None)
        row.message_id = row.message_id or mime.message_id(row.id, sender, cfg["SECRET_KEY"])
        data = mime.build(mime.Mail(formataddr((name, envelope_from)) if name else sender, row.to_address, to_name,
                                    subject, text, html, now, row.message_id, headers))
        envelopes.append(Envelope(row.id, envelope_from, row.to_address, mime.smtp_data(data)))
    db.session.commit()
    return envelopes


def _render(rows: list[OutgoingMail]) -> dict[int, RenderedMail | NotSent]:
    renderers: dict[str, Callable] = current_app.extensions["lms"].mail_renderers
    by_source: dict[str, list[OutgoingMail]] = defaultdict(list)
    for row in rows:
        by_source[row.source].append(row)
    found: dict[int, RenderedMail | NotSent] = {}
    for source, group in by_source.items():
        render = renderers.get(source)
        if render is None:
            continue
        try:
            found.update(render([MailToRender(r.id, r.person_id, r.to_address, r.source, r.source_id, r.category)
                                 for r in group]))
        except Exception as exc:  # a renderer bug must not stop other mail; these rows wait and say why
            current_app.logger.exception("rendering %s mail failed", source)
            for row in group:
                found[row.id] = NotSent("failed", f"could not be rendered: {type(exc).__name__}: {exc}")
    return found


def _hand_over(keys: list[int], token: str) -> set[int]:
    """Record a round as sent, in one commit, just before its final "." goes out; only rows still ours."""
    owned = db.session.scalars(update(OutgoingMail).where(
        OutgoingMail.id.in_(keys), OutgoingMail.claimed_by == token, OutgoingMail.status == "sending")
        .values(status="sent", sent_at=utcnow(), attempts=OutgoingMail.attempts + 1, claimed_by=None,
                claimed_until=None).returning(OutgoingMail.id),
        execution_options={"synchronize_session": False}).all()
    db.session.commit()
    return set(owned)


def _record(results: list[Result], opts: dict, report: DeliveryReport) -> None:
    now = utcnow()
    by_key = {r.key: r for r in results}
    bounced = []
    for row in db.session.scalars(select(OutgoingMail).where(OutgoingMail.id.in_(list(by_key)))):
        result = by_key[row.id]
        if result.outcome is Outcome.LOST_CLAIM:
            continue
        if result.outcome is Outcome.SENT:
            row.smtp_reply, row.last_error = result.reply, None
            report.sent += 1
        elif result.outcome is Outcome.UNCONFIRMED:
            row.last_error = f"{UNCONFIRMED_NOTE}: {result.reply}"
            report.sent += 1
            report.unconfirmed += 1
        elif result.outcome is Outcome.TEMPORARY:
            if row.status == "sending":
                row.attempts += 1
            row.claimed_by, row.claimed_until, row.sent_at = None, None, None
            row.last_error = result.reply
            if row.attempts >= opts["attempts"]:
                row.status = "failed"
                report.failed += 1
            else:
                row.status = "queued"
                row.next_attempt_at = now + timedelta(seconds=_backoff(opts["retry"], row.attempts))
                report.retried += 1
        else:  # a permanent refusal
            if row.status == "sending":
                row.attempts += 1
            row.claimed_by, row.claimed_until, row.sent_at = None, None, None
            row.smtp_reply = result.reply
            row.last_error = result.reply
            if result.outcome is Outcome.PERMANENT:
                row.status = "bounced"
                bounced.append(row)
                report.bounced += 1
            else:
                row.status = "failed"
                report.failed += 1
    for row in bounced:
        if suppression_for(row.to_address) is None and row.source != "test":
            db.session.add(MailSuppression(email=row.to_address.lower(), reason="bounce", detail=row.smtp_reply or "",
                                           mail_id=row.id))
        db.session.flush()
    db.session.commit()


def _backoff(base: float, attempts: int) -> float:
    """Seconds before the next try: doubling from ``base``, capped at an hour, with jitter against herds."""
    return min(3600.0, base * 2 ** max(attempts - 1, 0)) * random.uniform(0.8, 1.2)  # noqa: S311 (not a secret)


def _release(token: str, reason: str, opts: dict) -> None:
    """The relay cannot be reached: give the claimed rows back (not counted as attempts: the mail is not at fault)."""
    db.session.execute(update(OutgoingMail).where(OutgoingMail.claimed_by == token,
                                                  OutgoingMail.status == "sending")
                       .values(status="queued", claimed_by=None, claimed_until=None, last_error=reason,
                               next_attempt_at=utcnow() + timedelta(seconds=min(opts["retry"], 60))),
                       execution_options={"synchronize_session": False})
    db.session.commit()


def resend(mail: OutgoingMail) -> OutgoingMail:
    """Queue a copy of a mail (one whose relay never confirmed it, say); the copy gets its own Message-ID."""
    copy = OutgoingMail(to_address=mail.to_address, person_id=mail.person_id, category=mail.category,
                        source=mail.source, source_id=mail.source_id, subject=mail.subject, text_body=mail.text_body,
                        html_body=mail.html_body, headers=mail.headers, status="queued", attempts=0,
                        next_attempt_at=utcnow())
    db.session.add(copy)
    db.session.flush()
    g.setdefault("lms_queued_mail_ids", []).append(copy.id)
    return copy
