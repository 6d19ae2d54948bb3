from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.types import UTCDateTime, utcnow


class LoginFailure(db.Model):
    """One failed sign-in, keyed by account (``account:<email>``) and by address (``address:<ip>``)."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PasswordResetRequest(db.Model):
    """One "forgot password" request, known address or not (so both cost the same), for rate limits per target
    and per client address. The target is kept as a digest: unknown addresses people typed are not stored."""

    __tablename__ = "password_reset_request"
    __table_args__ = (Index("ix_password_reset_request_target_at", "target", "at"),
                      Index("ix_password_reset_request_address_at", "address", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(64))  # sha256 hex of the lower-case email
    address: Mapped[str] = mapped_column(String(64))  # the client's address
    mailed: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
