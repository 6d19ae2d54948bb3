"""State, activity profile and agent profile documents."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.types import UTCDateTime


class Document(db.Model):
    """One document. ``scope_key`` hashes what the document belongs to (activity and/or agent); ``registration``
    is "" when none was given, so the unique constraint holds on every database."""

    __tablename__ = "xapi_document"
    __table_args__ = (UniqueConstraint("kind", "scope_key", "registration", "doc_id",
                                       name="uq_xapi_document_kind_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # state, activity_profile, agent_profile
    scope_key: Mapped[str] = mapped_column(String(64))
    registration: Mapped[str] = mapped_column(String(36), default="")
    doc_id: Mapped[str] = mapped_column(String(600))
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(40))
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
