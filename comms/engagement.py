"""Engagement: an open (the pixel loaded) or a click (a tracked link followed), counted per delivery and sent as
``lms.signals.mail_opened`` / ``mail_clicked`` (tracking records them as xAPI statements).

With per-person tracking off (``LMS_COMMS_TRACK_PEOPLE = False``) mail carries no pixel and no tracked links, and
anything that still arrives (an older mail) only adds to the campaign's totals: no per-person row, no signal.
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from comms.mailing import tracking_people
from comms.models import Campaign, Engagement, LinkClicks, Tally
from lms import signals
from lms.extensions import db
from lms.mail.models import OutgoingMail
from lms.people.models import Person
from lms.signals import LearnerRef, MailEvent
from lms.types import utcnow

CAMPAIGN_SOURCE = "campaign"
TEST_SOURCE = "campaign-test"


def _tally(campaign_id: int, **increments: int) -> None:
    db.session.execute(update(Tally).where(Tally.campaign_id == campaign_id).values(
        **{name: getattr(Tally, name) + n for name, n in increments.items()}),
        execution_options={"synchronize_session": False})


def _engagement(mail: OutgoingMail) -> Engagement:
    row = db.session.get(Engagement, mail.id)
    if row is not None:
        return row
    row = Engagement(mail_id=mail.id, campaign_id=mail.source_id if mail.source == CAMPAIGN_SOURCE else None,
                     person_id=mail.person_id, category=mail.category, opens=0, clicks=0)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same mail opened twice at once: the other request made it
        row = db.session.get(Engagement, mail.id)
    return row


def record(mail_id: int, kind: str, url: str | None = None) -> bool:
    """Count an open or a click of this outbox row; False when there is no such mail (the link is stale)."""
    mail = db.session.get(OutgoingMail, mail_id)
    if mail is None:
        return False
    if mail.source == TEST_SOURCE:  # the program office trying its own test mail: not engagement
        return True
    now = utcnow()
    campaign_id = mail.source_id if mail.source == CAMPAIGN_SOURCE else None
    if campaign_id is not None:
        _tally(campaign_id, **({"opens": 1} if kind == "open" else {"clicks": 1}))
        if kind == "click" and url:
            _count_link(campaign_id, url)
    if not tracking_people():
        return True
    row = _engagement(mail)
    if kind == "open":
        row.opens += 1
        row.first_opened_at = row.first_opened_at or now
    else:
        row.clicks += 1
        row.first_clicked_at = row.first_clicked_at or now
    db.session.flush()
    person = db.session.get(Person, mail.person_id) if mail.person_id else None
    if person is not None:
        campaign = db.session.get(Campaign, campaign_id) if campaign_id is not None else None
        event = MailEvent(LearnerRef(person.id, person.name, person.email, person.employee_id), mail.id, campaign_id,
                          campaign.subject if campaign else (mail.subject or ""), mail.category, mail.source, now,
                          url if kind == "click" else None)
        (signals.mail_opened if kind == "open" else signals.mail_clicked).send(None, event=event)
    return True


def _count_link(campaign_id: int, url: str) -> None:
    url = url[:1000]
    done = db.session.execute(update(LinkClicks).where(LinkClicks.campaign_id == campaign_id, LinkClicks.url == url)
                              .values(clicks=LinkClicks.clicks + 1), execution_options={"synchronize_session": False})
    if not done.rowcount:
        try:
            with db.session.begin_nested():
                db.session.add(LinkClicks(campaign_id=campaign_id, url=url, clicks=1))
        except IntegrityError:
            db.session.execute(update(LinkClicks).where(LinkClicks.campaign_id == campaign_id, LinkClicks.url == url)
                               .values(clicks=LinkClicks.clicks + 1), execution_options={"synchronize_session": False})


def unsubscribed(mail_id: int | None) -> None:
    """Note on the delivery and its campaign that its recipient left the category through it."""
    mail = db.session.get(OutgoingMail, mail_id) if mail_id else None
    if mail is None:
        return
    if mail.source == CAMPAIGN_SOURCE and mail.source_id is not None:
        _tally(mail.source_id, unsubscribes=1)
    if tracking_people():
        row = _engagement(mail)
        row.unsubscribed_at = row.unsubscribed_at or utcnow()
        db.session.flush()
