"""LRS clients: the key and secret other tools use (HTTP Basic) to talk to the embedded LRS."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, true
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.types import UTCDateTime, utcnow


class LrsClient(db.Model):
    """Only a keyed hash of the secret is stored (HMAC-SHA256 with ``salt``); the secret is shown once."""

    __tablename__ = "xapi_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scope_list: Mapped[str] = mapped_column(String(200))  # space-separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whether its statements feed the progress projections (and so the reports), or are only stored and served:
    # a CRM's usage statements count toward adoption, not toward course completion. An admin decides.
    counts_toward_progress: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope_list.split())

    @property
    def active(self) -> bool:
        return self.revoked_at is None
