"""The outbox rows' side of delivering (see :mod:`lms.mail.delivery`): claiming due rows with a lease, preparing
their messages (rendering those queued without a body), recording hand-overs and outcomes, giving claims back.
"""
from __future__ import annotations

import random
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, parseaddr

from flask import current_app
from sqlalchemy import Row, bindparam, select, update

from lms.extensions import db
from lms.mail import message as mime
from lms.mail.models import MailSuppression, OutgoingMail
from lms.mail.rendering import MailToRender, NotSent, RenderedMail
from lms.mail.services import SENDER_NAME, suppressed, suppression_for
from lms.mail.smtp import Envelope, Outcome, Result
from lms.people.models import Person
from lms.types import utcnow

UNCONFIRMED_NOTE = "the relay did not confirm (worker stopped or connection lost at the end of the message)"


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

    def add(self, other: DeliveryReport) -> None:
        for name in ("sent", "retried", "failed", "bounced", "skipped", "unconfirmed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


# This process's writers (the thread reading ahead, the senders) take turns here rather than in SQLite's busy
# handler, which sleeps for milliseconds at a time; other processes still meet in the database's own locks.
WRITING = threading.Lock()


_COLUMNS = (OutgoingMail.id, OutgoingMail.to_address, OutgoingMail.person_id, OutgoingMail.category,
            OutgoingMail.source, OutgoingMail.source_id, OutgoingMail.subject, OutgoingMail.text_body,
            OutgoingMail.html_body, OutgoingMail.headers, OutgoingMail.message_id)


def claim(limit: int, lease: float, ids: list[int] | None) -> tuple[str, list[Row]]:
    """Claim up to ``limit`` due rows (and rows whose claimant's lease ran out before it handed them over)."""
    now = utcnow()
    token = uuid.uuid4().hex
    with WRITING:
        claimed = _claim_rows(limit, lease, ids, token, now)
    if not claimed:
        return token, []
    rows = list(db.session.execute(select(*_COLUMNS).where(OutgoingMail.claimed_by == token,
                                                           OutgoingMail.status == "sending")
                                   .order_by(OutgoingMail.id)))
    return token, rows


def _claim_rows(limit: int, lease: float, ids: list[int] | None, token: str, now) -> list[int]:
    due = (OutgoingMail.status == "queued") & (OutgoingMail.next_attempt_at <= now)
    stale = (OutgoingMail.status == "sending") & (OutgoingMail.claimed_until < now)
    claimed: list[int] = []
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
    return claimed


_SETTLE = (update(OutgoingMail.__table__).where(OutgoingMail.__table__.c.id == bindparam("key"),
                                                 OutgoingMail.__table__.c.claimed_by == bindparam("token"))
           .values(status=bindparam("status"), last_error=bindparam("error"), next_attempt_at=bindparam("next"),
                   claimed_by=None, claimed_until=None))


def prepare(rows: list[Row], token: str, report: DeliveryReport) -> list[Envelope]:
    """Render what needs rendering and build each message; rows that will not be sent are settled here."""
    cfg = current_app.config
    sender = cfg["LMS_MAIL_SENDER"]
    envelope_from = parseaddr(sender)[1]
    blocked = suppressed(r.to_address for r in rows if r.source != "test")
    inactive = set(db.session.scalars(select(Person.id).where(
        Person.id.in_({r.person_id for r in rows if r.person_id}), Person.active.is_(False))))
    rendered = render_rows([r for r in rows if r.subject is None])
    envelopes, settled, now = [], [], utcnow()
    for row in rows:
        outcome = rendered.get(row.id)
        if row.to_address.lower() in blocked:
            outcome = NotSent("skipped", "the address bounced before; an admin can clear it on the person's page")
        elif row.person_id in inactive and row.category != "account":
            outcome = NotSent("skipped", "the person is deactivated")
        elif not row.to_address.isascii() or "@" not in row.to_address:
            outcome = NotSent("failed", "the address cannot be used")
        if isinstance(outcome, NotSent):
            settled.append({"key": row.id, "token": token, "status": outcome.status, "error": outcome.reason,
                            "next": now})
            setattr(report, outcome.status, getattr(report, outcome.status) + 1)
            continue
        if outcome is None and row.subject is None:  # no renderer answered (its plugin is disabled?)
            settled.append({"key": row.id, "token": token, "status": "queued", "next": now + timedelta(hours=1),
                            "error": f"nothing renders mail of {row.source!r} (is its plugin enabled?)"})
            continue
        if isinstance(outcome, RenderedMail):
            subject, text, html, headers, to_name = (outcome.subject, outcome.text, outcome.html,
                                                     dict(outcome.headers), outcome.to_name)
            headers[SENDER_NAME] = outcome.sender_name or ""
        else:
            subject, text, html, headers, to_name = row.subject, row.text_body or "", row.html_body, \
                dict(row.headers or {}), None
        name = headers.pop(SENDER_NAME, None)
        # the same row always gets the same id (written when it is handed over), so a resend can be told apart
        message_id = row.message_id or mime.message_id(row.id, sender, cfg["SECRET_KEY"])
        data = mime.build(mime.Mail(formataddr((name, envelope_from)) if name else sender, row.to_address, to_name,
                                    subject, text, html, now, message_id, headers))
        envelopes.append(Envelope(row.id, envelope_from, row.to_address, mime.smtp_data(data), message_id))
    if settled:
        with WRITING:
            db.session.execute(_SETTLE, settled)
            db.session.commit()
    else:
        db.session.commit()  # ends the read
    return envelopes


def render_rows(rows: list[Row]) -> dict[int, RenderedMail | NotSent]:
    renderers: dict[str, Callable] = current_app.extensions["lms"].mail_renderers
    by_source: dict[str, list[Row]] = defaultdict(list)
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


_MESSAGE_ID = (update(OutgoingMail.__table__).where(OutgoingMail.__table__.c.id == bindparam("key"))
               .values(message_id=bindparam("message_id")))


def hand_over(keys: list[int], token: str, message_ids: dict[int, str]) -> set[int]:
    """Record a round as sent (the caller commits, before its final "." goes out); only rows still ours."""
    owned = db.session.scalars(update(OutgoingMail).where(
        OutgoingMail.id.in_(keys), OutgoingMail.claimed_by == token, OutgoingMail.status == "sending")
        .values(status="sent", sent_at=utcnow(), attempts=OutgoingMail.attempts + 1, claimed_by=None,
                claimed_until=None).returning(OutgoingMail.id),
        execution_options={"synchronize_session": False}).all()
    if owned:
        db.session.execute(_MESSAGE_ID, [{"key": key, "message_id": message_ids[key]} for key in owned])
    return set(owned)


_CONFIRMED = (update(OutgoingMail.__table__).where(OutgoingMail.__table__.c.id == bindparam("key"))
              .values(smtp_reply=bindparam("reply"), last_error=bindparam("error")))


def write_outcomes(results: list[Result], token: str, opts: dict, report: DeliveryReport) -> None:
    """Write the outcomes of a round of the claim ``token`` in the current transaction (the caller commits): the
    relay's reply of each sent message in one statement; retries, bounces and failures one by one (they are few),
    each only if the row is still this claim's (a row whose lease ran out may have been sent by another worker
    since: it must not be queued again)."""
    if not results:
        return
    replies = []
    others = []
    for result in results:
        if result.outcome is Outcome.SENT:
            replies.append({"key": result.key, "reply": result.reply, "error": None})
            report.sent += 1
        elif result.outcome is Outcome.UNCONFIRMED:
            replies.append({"key": result.key, "reply": None, "error": f"{UNCONFIRMED_NOTE}: {result.reply}"})
            report.sent += 1
            report.unconfirmed += 1
        elif result.outcome is not Outcome.LOST_CLAIM:
            others.append(result)
    if replies:  # handed over by this claim: "sent" rows nobody else touches
        db.session.execute(_CONFIRMED, replies)
    for result in others:
        _write_refusal(result, token, opts, report)


def _write_refusal(result: Result, token: str, opts: dict, report: DeliveryReport) -> None:
    table = OutgoingMail.__table__
    # before the hand-over the row is ours while the claim is; after it, it is the "sent" row we made
    ours = (table.c.status == "sent") if result.handed_over else \
        ((table.c.status == "sending") & (table.c.claimed_by == token))
    row = db.session.execute(select(table.c.attempts, table.c.to_address, table.c.source)
                             .where(table.c.id == result.key, ours)).first()
    if row is None:
        return
    attempts = row.attempts + (0 if result.handed_over else 1)
    values = {"attempts": attempts, "claimed_by": None, "claimed_until": None, "sent_at": None,
              "last_error": result.reply}
    if result.outcome is Outcome.TEMPORARY:
        if attempts >= opts["attempts"]:
            values["status"], counted = "failed", "failed"
        else:
            values["status"], counted = "queued", "retried"
            values["next_attempt_at"] = utcnow() + timedelta(seconds=_backoff(opts["retry"], attempts))
    else:  # a permanent refusal
        values["smtp_reply"] = result.reply
        values["status"] = counted = "bounced" if result.outcome is Outcome.PERMANENT else "failed"
    if db.session.execute(update(table).where(table.c.id == result.key, ours).values(**values)
                          .returning(table.c.id)).first() is None:
        return
    setattr(report, counted, getattr(report, counted) + 1)
    if counted == "bounced" and row.source != "test" and suppression_for(row.to_address) is None:
        db.session.add(MailSuppression(email=row.to_address.lower(), reason="bounce", detail=result.reply,
                                       mail_id=result.key))
        db.session.flush()


def _backoff(base: float, attempts: int) -> float:
    """Seconds before the next try: doubling from ``base``, capped at an hour, with jitter against herds."""
    return min(3600.0, base * 2 ** max(attempts - 1, 0)) * random.uniform(0.8, 1.2)  # noqa: S311 (not a secret)


def release(token: str, reason: str, opts: dict) -> None:
    """Give claimed rows back (the relay is down, the worker stops): not counted as attempts, the mail is not at
    fault."""
    with WRITING:
        db.session.execute(update(OutgoingMail).where(OutgoingMail.claimed_by == token,
                                                      OutgoingMail.status == "sending")
                           .values(status="queued", claimed_by=None, claimed_until=None, last_error=reason,
                                   next_attempt_at=utcnow() + timedelta(seconds=min(opts["retry"], 60))),
                           execution_options={"synchronize_session": False})
        db.session.commit()
