"""Comms records of recognition and automatic messages.

- :class:`Kudos`: a few words of recognition about a person or a team (a manager's reports), shown on the
  recognition wall.
- Automatic messages: :class:`AutoSetting` per kind (switched on or off, its subject and body templates, for the
  reminder its number of days); :class:`AutoEvent` what signals left to send (a new hire's welcome, a completed
  path); :class:`AutoLedger` every item ever mailed, unique per person, kind and key, so that the same reminder is
  never sent twice (two workers racing insert the same row; one wins); :class:`AutoDay` at most one automatic mail
  per person per day, unique on (person, day).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.types import UTCDateTime, utcnow

AUTO_KINDS = ("welcome", "reminder", "overdue", "digest", "congrats")


class Kudos(db.Model):
    __tablename__ = "comms_kudos"
    __table_args__ = (Index("ix_comms_kudos_created_at", "created_at"),
                      Index("ix_comms_kudos_person_id", "person_id"),
                      Index("ix_comms_kudos_team_manager_id", "team_manager_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))  # about a person
    team_manager_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))  # or a team
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AutoSetting(db.Model):
    """One kind of automatic message as the program office set it (no row: the defaults, switched off)."""

    __tablename__ = "comms_auto_setting"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    days: Mapped[int] = mapped_column(Integer, default=3)  # the reminder: this many days before the due date
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AutoEvent(db.Model):
    """Something a signal asked to mail about (welcome, congratulations), waiting for the next tick."""

    __tablename__ = "comms_auto_event"
    __table_args__ = (Index("ix_comms_auto_event_kind", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AutoLedger(db.Model):
    """An item that an automatic mail carried: never carried again."""

    __tablename__ = "comms_auto_ledger"
    __table_args__ = (UniqueConstraint("person_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(120))
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AutoDay(db.Model):
    """The one automatic mail a person got on a day."""

    __tablename__ = "comms_auto_day"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    mail_id: Mapped[int | None] = mapped_column(Integer)
    kinds: Mapped[str] = mapped_column(String(120), default="")  # what it merged, e.g. "reminder,digest"


class AutoTick(db.Model):
    """When the automatic messages last ran (row id 1), so the worker runs them every few minutes, not every round."""

    __tablename__ = "comms_auto_tick"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
