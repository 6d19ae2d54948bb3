"""The one outbox every outgoing mail goes through: account mail, campaigns, automatic messages, test mails.

A row is written in the transaction that causes the mail and sent after commit by ``flask lms worker`` (or, for a
single account mail, right after the response). Mail of a campaign is rendered when it is sent (by the renderer
its ``source`` names, see :class:`lms.plugins.Plugin`), so a 100,000-recipient campaign stores 100,000 small rows,
not 100,000 bodies.

Statuses: ``queued`` (waiting for ``next_attempt_at``), ``held`` (its campaign is paused), ``sending`` (claimed by a
worker until ``claimed_until``; not handed to the relay yet, so safe to send again if the worker dies), ``sent``
(handed to the relay: ``smtp_reply`` holds the relay's answer, or is empty when the worker stopped before the relay
confirmed), ``bounced`` (refused for good, 5xx: the address is suppressed), ``failed`` (could not be sent: too many
temporary failures, a template error, an address that cannot be used), ``skipped`` (not sent on purpose: a
suppressed address, a deactivated person, an unsubscribed category) and ``cancelled``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.types import UTCDateTime, utcnow

FINAL = ("sent", "bounced", "failed", "skipped", "cancelled")


class OutgoingMail(db.Model):
    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_status_next_attempt_at", "status", "next_attempt_at"),
                      Index("ix_outgoing_mail_source_source_id_status", "source", "source_id", "status"),
                      Index("ix_outgoing_mail_person_id", "person_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # account (password reset, invitation, sign-in link: never unsubscribable) or a comms category
    category: Mapped[str] = mapped_column(String(20), default="account", server_default="account")
    # what made it: password_reset, invitation, test, campaign, automatic, ... (and renders it, when no body)
    source: Mapped[str] = mapped_column(String(40), default="account", server_default="account")
    source_id: Mapped[int | None] = mapped_column(Integer)
    subject: Mapped[str | None] = mapped_column(String(300))  # None: rendered when sent
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # extra headers, e.g. List-Unsubscribe
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    smtp_reply: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(250))
    claimed_by: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def unconfirmed(self) -> bool:
        """Handed to the relay, but the worker stopped (or the connection broke) before the relay confirmed."""
        return self.status == "sent" and not self.smtp_reply


class MailSuppression(db.Model):
    """An address the relay refused for good: later mail to it is skipped until an admin clears it."""

    __tablename__ = "mail_suppression"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    reason: Mapped[str] = mapped_column(String(20), default="bounce")  # bounce | manual
    detail: Mapped[str] = mapped_column(Text, default="")
    mail_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
