"""The mail log: every outgoing mail with its status, attempts and the relay's answer, and the checks an admin
runs from it (a test mail that shows the relay's answer; sending an unconfirmed mail again)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy import Select, func, or_, select

from lms.audit.services import record as audit
from lms.errors import DomainError, NotFound
from lms.extensions import db
from lms.mail.delivery import deliver
from lms.mail.models import OutgoingMail
from lms.mail.services import queue_mail, resend

STATUSES = ("queued", "held", "sending", "sent", "unconfirmed", "bounced", "failed", "skipped", "cancelled")


@dataclass(frozen=True)
class MailFilter:
    status: str = ""  # one of STATUSES, or "" for all
    source: str = ""
    search: str = ""  # part of the address or subject
    person_id: int | None = None


def log_query(f: MailFilter) -> Select:
    query = select(OutgoingMail).order_by(OutgoingMail.id.desc())
    if f.status == "unconfirmed":
        query = query.where(OutgoingMail.status == "sent", OutgoingMail.smtp_reply.is_(None))
    elif f.status:
        query = query.where(OutgoingMail.status == f.status)
    if f.source:
        query = query.where(OutgoingMail.source == f.source)
    if f.person_id:
        query = query.where(OutgoingMail.person_id == f.person_id)
    if f.search.strip():
        term = f"%{f.search.strip().lower()}%"
        query = query.where(or_(OutgoingMail.to_address.like(term), func.lower(OutgoingMail.subject).like(term)))
    return query


def sources() -> list[str]:
    return list(db.session.scalars(select(OutgoingMail.source).distinct().order_by(OutgoingMail.source)))


def status_counts() -> dict[str, int]:
    found = dict(db.session.execute(select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status)).all())
    found["unconfirmed"] = db.session.scalar(select(func.count()).select_from(OutgoingMail).where(
        OutgoingMail.status == "sent", OutgoingMail.smtp_reply.is_(None))) or 0
    return found


def get_mail(mail_id: int) -> OutgoingMail:
    mail = db.session.get(OutgoingMail, mail_id)
    if mail is None:
        raise NotFound("There is no such mail.")
    return mail


@dataclass(frozen=True)
class TestResult:
    ok: bool
    answer: str  # the relay's reply, or why no connection was made


def send_test_mail(to_address: str, *, actor_id: int) -> TestResult:
    """Send a test mail now, through the same path as all mail, and say what the relay answered. Commits."""
    site = current_app.config["LMS_SITE_NAME"]
    mail = queue_mail(to_address, f"{site}: test mail", f"This is a test mail from {site}.\n\nIf you can read "
                      "it, the mail settings work.", f"<p>This is a test mail from {site}.</p><p>If you can read it, "
                      "the mail settings work.</p>", source="test", person_id=actor_id)
    g.lms_queued_mail_ids.remove(mail.id)  # sent here, not after the response
    audit(actor_id, "mail.test", to_address)
    db.session.commit()
    report = deliver([mail.id], budget=30.0)
    db.session.expire_all()
    mail = db.session.get(OutgoingMail, mail.id)
    if mail.status == "sent" and mail.smtp_reply:
        return TestResult(True, mail.smtp_reply)
    return TestResult(False, report.relay_down or mail.last_error or mail.smtp_reply or f"status {mail.status}")


def send_again(mail: OutgoingMail, *, actor_id: int) -> OutgoingMail:
    """Queue a copy of a mail that was not confirmed, failed or bounced (an admin's decision)."""
    if mail.status in ("queued", "held", "sending") or (mail.status == "sent" and mail.smtp_reply):
        raise DomainError("Only a mail that failed, bounced or was not confirmed by the relay can be sent again.")
    copy = resend(mail)
    audit(actor_id, "mail.resend", mail.to_address, mail_id=mail.id, copy_id=copy.id)
    return copy
