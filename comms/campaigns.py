"""Campaigns: drafts, duplicates, test sends, starting (the recipient list is frozen then), scheduling in a time zone,
pausing, resuming, cancelling, and progress. Services flush; the boundary commits.

Starting writes one outbox row per recipient (``lms.mail.services.queue_rendered``, source ``campaign``) in one
INSERT ... SELECT; the workers render each mail when they send it (:mod:`comms.sending`). Pause, resume and cancel
move the rows that have not gone yet (``hold``, ``release``, ``cancel``); a mail being handed to the relay at that
moment still goes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func, select, update

from comms import audiences
from comms.compose import Message
from comms.mailing import composer, queue_composed, sample_recipient
from comms.models import CAMPAIGN_CATEGORIES, Campaign, Tally
from lms.audit.services import record as audit
from lms.errors import Conflict, DomainError, NotFound
from lms.extensions import db
from lms.mail import services as mail
from lms.mail.models import OutgoingMail
from lms.people.models import Person
from lms.types import utcnow

SOURCE = "campaign"
TEST_SOURCE = "campaign-test"


@dataclass(frozen=True)
class CampaignInfo:
    name: str
    subject: str
    category: str
    body: str
    sender_name: str | None = None
    audience_id: int | None = None


def get(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("There is no such campaign.")
    return campaign


def message(campaign: Campaign | CampaignInfo) -> Message:
    return Message(campaign.subject, campaign.body, campaign.category, campaign.sender_name)


def check_content(info: CampaignInfo | Campaign, sample: Person | None) -> None:
    """Raise TemplateProblem (or the renderer's DomainError) when the mail cannot be made for ``sample``."""
    composer(message(info)).check(sample_recipient(sample))


def save(info: CampaignInfo, *, campaign: Campaign | None, actor: Person) -> Campaign:
    """Create or change a draft; the subject and body must personalise (a form error names what is wrong)."""
    if campaign is not None and not campaign.editable:
        raise Conflict("Only a draft can be changed; this campaign has been scheduled or sent.")
    if info.category not in CAMPAIGN_CATEGORIES:
        raise DomainError(f"Choose a category: {', '.join(CAMPAIGN_CATEGORIES)}.", field="category")
    if not info.subject.strip():
        raise DomainError("A subject is required.", field="subject")
    if info.audience_id is not None and db.session.get(audiences.Audience, info.audience_id) is None:
        raise DomainError("That audience no longer exists.", field="audience_id")
    check_content(info, actor)
    if campaign is None:
        campaign = Campaign(created_by_id=actor.id, status="draft", recipients=0, timezone="UTC")
        db.session.add(campaign)
    campaign.name = " ".join(info.name.split()) or info.subject.strip()[:200]
    campaign.subject, campaign.category, campaign.body = info.subject.strip(), info.category, info.body
    campaign.sender_name = (info.sender_name or "").strip() or None
    campaign.audience_id = info.audience_id
    db.session.flush()
    return campaign


def duplicate(campaign: Campaign, *, actor: Person) -> Campaign:
    copy = Campaign(name=f"Copy of {campaign.name}"[:200], subject=campaign.subject, category=campaign.category,
                    body=campaign.body, sender_name=campaign.sender_name, audience_id=campaign.audience_id,
                    status="draft", recipients=0, timezone=campaign.timezone, created_by_id=actor.id)
    db.session.add(copy)
    db.session.flush()
    return copy


def delete_draft(campaign: Campaign, *, actor: Person) -> None:
    if campaign.status != "draft":
        raise Conflict("Only a draft can be deleted; a campaign that was scheduled or sent stays for its report.")
    audit(actor.id, "comms.campaign.delete", campaign.name, campaign_id=campaign.id)
    db.session.delete(campaign)
    db.session.flush()


def test_send(campaign: Campaign, *, actor: Person) -> int:
    """Send the campaign to the person asking, now, personalised for them, marked as a test."""
    if not actor.email or "@" not in actor.email:
        raise DomainError("You have no usable e-mail address to send a test to.")
    return queue_composed([actor], message(campaign), source=TEST_SOURCE, source_id=campaign.id,
                          subject_prefix="[Test] ")


def _claim(campaign: Campaign, old: tuple[str, ...], new: str, **values) -> bool:
    """Move the campaign from one of ``old`` to ``new`` only if nobody else did first (two clicks, two workers)."""
    result = db.session.execute(update(Campaign).where(Campaign.id == campaign.id, Campaign.status.in_(old))
                                .values(status=new, updated_at=utcnow(), **values),
                                execution_options={"synchronize_session": False})
    db.session.refresh(campaign)
    return bool(result.rowcount)


def start(campaign: Campaign, *, actor_id: int | None) -> int:
    """Freeze the recipient list and queue one delivery per recipient; returns how many."""
    if campaign.status not in ("draft", "scheduled"):
        raise Conflict(f"This campaign is {campaign.status}; it cannot be started again.")
    if campaign.audience is None:
        raise DomainError("Choose an audience before sending.", field="audience_id")
    check_content(campaign, db.session.get(Person, actor_id) if actor_id else None)
    rules = campaign.audience.rules
    audiences.check(rules)
    reachable = db.session.scalar(select(func.count()).select_from(
        audiences.recipients(rules, campaign.category).order_by(None).subquery()))
    if not reachable:
        raise DomainError("Nobody in this audience can be mailed (they are deactivated, have no usable address, "
                          "or left this category).")
    if not _claim(campaign, ("draft", "scheduled"), "running", started_at=utcnow()):
        raise Conflict("This campaign was started already.")
    count = mail.queue_rendered(audiences.recipients(rules, campaign.category), source=SOURCE,
                                source_id=campaign.id, category=campaign.category)
    campaign.recipients = count
    if db.session.get(Tally, campaign.id) is None:
        db.session.add(Tally(campaign_id=campaign.id, opens=0, clicks=0, unsubscribes=0))
    audit(actor_id, "comms.campaign.start", campaign.name, campaign_id=campaign.id, recipients=count)
    db.session.flush()
    return count


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(f"Unknown time zone {name!r}; use a name such as Europe/Berlin or America/New_York.",
                          field="timezone") from None


def schedule(campaign: Campaign, local: datetime, timezone: str, *, actor: Person) -> datetime:
    """Send at ``local`` (a wall-clock time without zone) in ``timezone``; returns the moment in UTC."""
    if campaign.status != "draft":
        raise Conflict("Only a draft can be scheduled.")
    if campaign.audience is None:
        raise DomainError("Choose an audience before scheduling.", field="audience_id")
    check_content(campaign, actor)
    at = local.replace(tzinfo=zone(timezone)).astimezone(UTC)
    if at <= utcnow():
        raise DomainError("Choose a time in the future.", field="send_at")
    campaign.status, campaign.send_at, campaign.timezone, campaign.note = "scheduled", at, timezone, None
    audit(actor.id, "comms.campaign.schedule", campaign.name, campaign_id=campaign.id, at=at.isoformat())
    db.session.flush()
    return at


def unschedule(campaign: Campaign) -> None:
    if not _claim(campaign, ("scheduled",), "draft", send_at=None):
        raise Conflict("This campaign is not scheduled (it may have started already).")


def pause(campaign: Campaign) -> int:
    if not _claim(campaign, ("running",), "paused"):
        raise Conflict("Only a campaign that is sending can be paused.")
    return mail.hold(SOURCE, campaign.id)


def resume(campaign: Campaign) -> int:
    if not _claim(campaign, ("paused",), "running"):
        raise Conflict("Only a paused campaign can be resumed.")
    return mail.release(SOURCE, campaign.id)


def cancel(campaign: Campaign, *, actor: Person) -> int:
    if not _claim(campaign, ("scheduled", "running", "paused"), "cancelled", finished_at=utcnow()):
        raise Conflict("Only a scheduled, sending or paused campaign can be cancelled.")
    audit(actor.id, "comms.campaign.cancel", campaign.name, campaign_id=campaign.id)
    return mail.cancel(SOURCE, campaign.id)


@dataclass(frozen=True)
class Progress:
    recipients: int
    sent: int
    failed: int  # failed and bounced
    skipped: int
    cancelled: int
    remaining: int
    per_second: float  # over the last minute

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped + self.cancelled

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.recipients) if self.recipients else 0


def progress(campaign: Campaign) -> Progress:
    counts = mail.counts(SOURCE, [campaign.id])[campaign.id]
    since = utcnow() - timedelta(seconds=60)
    recent = db.session.scalar(select(func.count()).select_from(OutgoingMail).where(
        OutgoingMail.source == SOURCE, OutgoingMail.source_id == campaign.id, OutgoingMail.status == "sent",
        OutgoingMail.sent_at >= since)) or 0
    first = campaign.started_at or since
    window = max(1.0, min(60.0, (utcnow() - first).total_seconds()))
    return Progress(counts.total, counts.sent, counts.failed + counts.bounced, counts.skipped, counts.cancelled,
                    counts.remaining, round(recent / window, 1))


def settle(campaign: Campaign) -> bool:
    """Mark a sending campaign finished once nothing is left to send (pages call this, so does the worker)."""
    if campaign.status != "running" or mail.counts(SOURCE, [campaign.id])[campaign.id].remaining:
        return False
    return _claim(campaign, ("running",), "finished", finished_at=utcnow())


def start_due() -> str | None:
    """Worker step: start scheduled campaigns whose time has come, and mark finished those with nothing left."""
    now = utcnow()
    started, finished = [], []
    for campaign in db.session.scalars(select(Campaign).where(Campaign.status == "scheduled",
                                                              Campaign.send_at <= now).order_by(Campaign.id)):
        try:
            count = start(campaign, actor_id=None)
        except DomainError as exc:
            db.session.rollback()  # back to a draft that says why, for the program office to fix
            if _claim(campaign, ("scheduled",), "draft", send_at=None, note=f"Not sent at the scheduled time: "
                                                                           f"{exc.message}"[:500]):
                audit(None, "comms.campaign.not_started", campaign.name, campaign_id=campaign.id, reason=exc.message)
            db.session.commit()
            continue
        db.session.commit()
        started.append(f"{campaign.name} ({count})")
    running = list(db.session.scalars(select(Campaign).where(Campaign.status == "running")))
    if running:
        counts = mail.counts(SOURCE, [c.id for c in running])
        for campaign in running:
            if counts[campaign.id].remaining == 0 and _claim(campaign, ("running",), "finished", finished_at=now):
                finished.append(campaign.name)
        db.session.commit()
    parts = ([f"started {', '.join(started)}"] if started else []) + (
        [f"finished {', '.join(finished)}"] if finished else [])
    return "; ".join(parts) or None


def common_zones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
