"""Comms records: the mail layout, saved audiences, campaigns, people's category preferences and engagement.

A campaign's recipients are not stored here: starting a campaign writes one row per recipient in the host's
outbox (``lms.mail``, source ``campaign``, ``source_id`` the campaign's id), and that row is the delivery: its
status, attempts and the relay's answer. Engagement (opens, clicks, unsubscribes) is kept per delivery in
:class:`Engagement` when per-person tracking is on, and as campaign totals in :class:`Tally` always.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.types import UTCDateTime, utcnow

CATEGORIES = ("announcement", "newsletter", "reminder", "recognition", "survey", "coaching")
CAMPAIGN_CATEGORIES = ("announcement", "newsletter", "reminder", "recognition")
LEAVABLE = ("newsletter", "recognition")  # announcements and reminders about required training cannot be left
CATEGORY_LABELS = {"announcement": "Announcements", "newsletter": "Newsletters", "reminder": "Reminders",
                   "recognition": "Recognition", "survey": "Surveys", "coaching": "Coaching"}
STATUSES = ("draft", "scheduled", "running", "paused", "finished", "cancelled")


class Layout(db.Model):
    """The one mail layout (row id 1): the company's name, colour and logo around every comms mail."""

    __tablename__ = "comms_layout"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_name: Mapped[str] = mapped_column(String(120), default="")
    colour: Mapped[str] = mapped_column(String(7), default="#1f5fa8")
    logo_url: Mapped[str] = mapped_column(String(500), default="")
    footer: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Audience(db.Model):
    """A saved segment: a tree of conditions (see :mod:`comms.audiences`) evaluated when it is used."""

    __tablename__ = "comms_audience"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Campaign(db.Model):
    __tablename__ = "comms_campaign"
    __table_args__ = (Index("ix_comms_campaign_status_send_at", "status", "send_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    sender_name: Mapped[str | None] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    audience_id: Mapped[int | None] = mapped_column(ForeignKey("comms_audience.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # scheduled: when (UTC)
    timezone: Mapped[str] = mapped_column(String(60), default="UTC")  # the zone the time was chosen in
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # frozen when it started
    note: Mapped[str | None] = mapped_column(String(500))  # why a scheduled campaign did not start
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    audience: Mapped[Audience | None] = relationship(lazy="joined")

    @property
    def editable(self) -> bool:
        return self.status == "draft"


class OptOut(db.Model):
    """A person left a category (newsletters, recognition): later mail of it is skipped."""

    __tablename__ = "comms_opt_out"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    via_mail_id: Mapped[int | None] = mapped_column(Integer)  # the mail whose link or header was used


class Engagement(db.Model):
    """What one delivery's recipient did with it (only while per-person tracking is on)."""

    __tablename__ = "comms_engagement"
    __table_args__ = (Index("ix_comms_engagement_campaign_id", "campaign_id"),
                      Index("ix_comms_engagement_person_id", "person_id"))

    mail_id: Mapped[int] = mapped_column(ForeignKey("outgoing_mail.id", ondelete="CASCADE"), primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20))
    opens: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Tally(db.Model):
    """A campaign's engagement totals (events, not people): kept whether or not per-person tracking is on."""

    __tablename__ = "comms_tally"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("comms_campaign.id", ondelete="CASCADE"), primary_key=True)
    opens: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    unsubscribes: Mapped[int] = mapped_column(Integer, default=0)


class LinkClicks(db.Model):
    """Clicks per link of a campaign (totals)."""

    __tablename__ = "comms_link_clicks"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("comms_campaign.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    clicks: Mapped[int] = mapped_column(Integer, default=0)

from comms.models_lifecycle import AutoDay, AutoEvent, AutoLedger, AutoSetting, AutoTick, Kudos  # noqa: E402, F401 (lifecycle's tables)
