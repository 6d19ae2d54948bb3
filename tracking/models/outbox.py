"""The forwarding outbox: one row per statement still to deliver to the external LRS."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.types import UTCDateTime, utcnow


class OutboxEntry(db.Model):
    """Written in the statement's transaction; deleted once the external LRS holds the statement.

    ``status`` is ``queued`` or ``dead`` (dead-lettered, with ``last_error``). A worker claims due rows by setting
    ``claim_token`` and ``lease_until``; a row whose lease ran out (its worker died) is due again.
    """

    __tablename__ = "xapi_outbox"
    __table_args__ = (Index("ix_xapi_outbox_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_seq: Mapped[int] = mapped_column(ForeignKey("xapi_statement.seq", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)


class ForwardCounter(db.Model):
    """How many statements were delivered, for the admin page (one row, id 1)."""

    __tablename__ = "xapi_forward_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    last_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
