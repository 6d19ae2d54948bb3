"""Outgoing mail: queue in the caller's transaction, deliver after commit, never twice, never for rolled-back work.

- :func:`queue_mail` writes one :class:`OutgoingMail` with its bodies (account mail, a test mail). The request's
  mail is handed to a background sender once the response is on its way (:mod:`lms.mail.kicker`), so sending
  never slows a request or tells anything by its timing; the worker is the backstop.
- :func:`queue_rendered` writes many rows without bodies (a campaign's recipients, in one INSERT ... SELECT); the
  renderer that the row's ``source`` names renders them when they are sent (see ``Plugin.mail_renderers``).
- :func:`lms.mail.delivery.deliver` (``flask lms worker``, any number of them) claims due rows with a lease,
  renders and sends them in rounds, and records each outcome.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flask import g
from sqlalchemy import Select, case, func, insert, literal, select, update

from lms.extensions import db
from lms.mail.models import FINAL, MailSuppression, OutgoingMail
from lms.types import utcnow

# A key of ``OutgoingMail.headers`` that is not sent as a header: the display name to use instead of the one in
# LMS_MAIL_SENDER (the address stays the configured one), for mail queued with its bodies.
SENDER_NAME = "X-Rapport-Sender-Name"


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
