"""Progress projections: per agent (person) and activity, kept up to date as statements arrive."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.types import UTCDateTime


class Progress(db.Model):
    """What reports read instead of the statement log. ``person_id`` is set when the agent is a Rapport person."""

    __tablename__ = "xapi_progress"
    __table_args__ = (UniqueConstraint("agent_key", "activity_id", name="uq_xapi_progress_agent_activity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_key: Mapped[str] = mapped_column(String(600))
    activity_id: Mapped[str] = mapped_column(String(600))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12))  # attempted, completed, failed, passed
    best_score: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # What attempts is made of, so that new statements merge into the row: starts, or without any the statements
    # that were assessed. NULL on rows from before revision tracking_0003: such a row is recomputed when next touched.
    starts: Mapped[int | None] = mapped_column(Integer)
    assessed: Mapped[int | None] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who sent the statements the row is made of: "Rapport" (its own learning events) and/or LRS client names,
    # comma-separated. NULL on rows from before revision tracking_0005: recomputed when next touched.
    source: Mapped[str | None] = mapped_column(String(300))
