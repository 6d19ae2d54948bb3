from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.types import UTCDateTime, utcnow


class LoginThrottle(db.Model):
    """Sign-in attempts on one account (the email as typed, normalised) in the current window, and the one-time
    sign-in link mailed when the account needs a proof (see :mod:`lms.auth.throttle`)."""

    __tablename__ = "login_throttle"

    account: Mapped[str] = mapped_column(String(254), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    link_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(db.Model):
    """An account tried from a client address without success yet (made-up accounts too): the per-address rule
    counts accounts, not failures."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_address_at", "address", "at"),)

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    account: Mapped[str] = mapped_column(String(254), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthSession(db.Model):
    """One sign-in on one device, kept server-side: its random token (only a hash is stored) is what the session
    cookie and the remember-me cookie carry, and every request checks it here, so revoking the row ends the
    session everywhere it was copied to."""

    __tablename__ = "auth_session"
    __table_args__ = (Index("ix_auth_session_person_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the token, hex
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    remembered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))


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


class Invitation(db.Model):
    """A mail inviting a person to set their first password. Its link is signed (itsdangerous) and names this row
    and its nonce; it works until ``expires_at``, once (``accepted_at``), and not after a newer invitation to the
    same person replaced it (``replaced_at``): "resend" is a new row."""

    __tablename__ = "invitation"
    __table_args__ = (Index("ix_invitation_person_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(32))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status(self) -> str:
        """``accepted``, ``replaced`` (a newer one was sent), ``expired`` or ``invited`` (waiting)."""
        if self.accepted_at:
            return "accepted"
        if self.replaced_at:
            return "replaced"
        if self.expires_at <= utcnow():
            return "expired"
        return "invited"
