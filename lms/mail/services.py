"""Outgoing mail through an outbox.

:func:`queue_mail` writes an :class:`OutgoingMail` row in the caller's transaction. After the request (or
command) commits, :func:`deliver` sends what it queued; ``flask lms worker`` retries failures with backoff.
A rolled-back transaction leaves no row, so nothing is ever sent for work that did not happen.
"""
from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, g
from sqlalchemy import select

from lms.extensions import db
from lms.mail.models import OutgoingMail
from lms.types import utcnow

MAX_ATTEMPTS = 8


def queue_mail(to_address: str, subject: str, text_body: str, html_body: str | None = None) -> OutgoingMail:
    """Queue a mail in the current transaction; it is sent after commit."""
    mail = OutgoingMail(to_address=to_address, subject=subject, text_body=text_body, html_body=html_body)
    db.session.add(mail)
    db.session.flush()
    g.setdefault("lms_queued_mail_ids", []).append(mail.id)
    return mail


def deliver_queued_after_request() -> None:
    """Send the mails this request queued (the view has committed by now)."""
    ids = g.pop("lms_queued_mail_ids", None)
    if ids:
        deliver(ids)


def deliver(ids: list[int] | None = None, limit: int = 100) -> tuple[int, int]:
    """Send queued mails that are due (or exactly ``ids``); returns (sent, failed). Commits each result."""
    query = select(OutgoingMail).where(OutgoingMail.status == "queued")
    query = query.where(OutgoingMail.id.in_(ids)) if ids else query.where(OutgoingMail.next_attempt_at <= utcnow())
    mails = db.session.scalars(query.order_by(OutgoingMail.id).limit(limit)).all()
    sent = failed = 0
    if not mails:
        return sent, failed
    try:
        smtp = _connect()
    except (OSError, smtplib.SMTPException) as exc:
        for mail in mails:
            _record_failure(mail, exc)
        db.session.commit()
        return 0, len(mails)
    with smtp:
        for mail in mails:
            try:
                smtp.send_message(_message(mail))
            except (OSError, smtplib.SMTPException) as exc:
                _record_failure(mail, exc)
                failed += 1
            else:
                mail.status, mail.sent_at, mail.attempts = "sent", utcnow(), mail.attempts + 1
                sent += 1
            db.session.commit()
    return sent, failed


def _connect() -> smtplib.SMTP:
    cfg = current_app.config
    smtp = smtplib.SMTP(cfg["LMS_SMTP_HOST"], cfg["LMS_SMTP_PORT"], timeout=cfg["LMS_SMTP_TIMEOUT"])
    if cfg["LMS_SMTP_STARTTLS"]:
        smtp.starttls()
    if cfg["LMS_SMTP_USERNAME"]:
        smtp.login(cfg["LMS_SMTP_USERNAME"], cfg["LMS_SMTP_PASSWORD"] or "")
    return smtp


def _message(mail: OutgoingMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["LMS_MAIL_SENDER"]
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(idstring=f"rapport-{mail.id}")
    message.set_content(mail.text_body)
    if mail.html_body:
        message.add_alternative(mail.html_body, subtype="html")
    return message


def _record_failure(mail: OutgoingMail, exc: Exception) -> None:
    mail.attempts += 1
    mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if mail.attempts >= MAX_ATTEMPTS:
        mail.status = "failed"
    else:
        mail.next_attempt_at = utcnow() + timedelta(seconds=30 * 2 ** (mail.attempts - 1))
    current_app.logger.warning("mail %s to %s not sent: %s", mail.id, mail.to_address, mail.last_error)
