"""The statement log: each statement's canonical JSON plus the columns and keys its queries need."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.types import UTCDateTime


class Statement(db.Model):
    """One stored statement. ``body`` is the statement exactly as Rapport returns it (``exact`` format).

    ``seq`` is the arrival order; results are ordered by (``stored``, ``seq``), which also makes the paging cursor.
    """

    __tablename__ = "xapi_statement"
    __table_args__ = (
        Index("ix_xapi_statement_stored_seq", "stored", "seq"),
        Index("ix_xapi_statement_target_id", "target_id"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    stored: Mapped[datetime] = mapped_column(UTCDateTime)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_key: Mapped[str] = mapped_column(String(600))
    verb_id: Mapped[str] = mapped_column(String(600))
    activity_id: Mapped[str | None] = mapped_column(String(600))  # object, when it is an Activity
    registration: Mapped[str | None] = mapped_column(String(36))
    target_id: Mapped[str | None] = mapped_column(String(36))  # object, when it is a StatementRef
    voiding: Mapped[bool] = mapped_column(Boolean, default=False)  # verb is .../voided
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    has_attachments: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float | None] = mapped_column(Float)  # result.score.scaled, or raw scaled by min and max
    success: Mapped[bool | None] = mapped_column(Boolean)
    completion: Mapped[bool | None] = mapped_column(Boolean)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("xapi_client.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)


class StatementKey(db.Model):
    """What a statement can be found by: a 64-bit hash of ``kind|value`` (agent, verb, activity, registration and
    their ``related_*`` variants, including those of the statement a StatementRef targets), with ``stored``
    copied (in microseconds since the epoch) so one index range answers a filter in result order."""

    __tablename__ = "xapi_statement_key"
    __table_args__ = (
        Index("ix_xapi_statement_key_key_stored_us_seq", "key", "stored_us", "seq"),
        {"sqlite_with_rowid": False},
    )

    seq: Mapped[int] = mapped_column(ForeignKey("xapi_statement.seq", ondelete="CASCADE"), primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    stored_us: Mapped[int] = mapped_column(BigInteger)


class Activity(db.Model):
    """The canonical definition of an activity, merged from the statements that mention it."""

    __tablename__ = "xapi_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(600), unique=True)
    definition: Mapped[str] = mapped_column(Text)  # JSON object


class Attachment(db.Model):
    """Raw attachment data, shared by every statement that names it by its SHA-2."""

    __tablename__ = "xapi_attachment"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(255))
    length: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class PendingStatement(db.Model):
    """A statement stored and acknowledged but not yet derived (query keys, activity definitions, progress).

    Written in the statement's own transaction, deleted in the transaction that derives it: a crash between the
    two leaves the row here, and the next deriver takes it."""

    __tablename__ = "xapi_pending"
    __table_args__ = ({"sqlite_with_rowid": False},)

    seq: Mapped[int] = mapped_column(ForeignKey("xapi_statement.seq", ondelete="CASCADE"), primary_key=True)


class DeriveFailure(db.Model):
    """A statement that could not be derived (a bug, or data this version cannot read): moved out of
    ``xapi_pending`` so that it does not hold up the others, with the error; an admin can send it back."""

    __tablename__ = "xapi_derive_failure"

    seq: Mapped[int] = mapped_column(ForeignKey("xapi_statement.seq", ondelete="CASCADE"), primary_key=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text)
