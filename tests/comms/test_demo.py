"""The demo's comms are true of its records: a sent go-live announcement with opens and clicks (in the report, the
awareness counts and the LRS alike), a newsletter scheduled for Monday 09:00 Berlin time, a draft reminder to an
audience that finds Wave 2's sales reps who have not completed the sales course."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from comms import api, audiences
from comms.models import Audience, Campaign
from comms.report import campaign_report
from lms.extensions import db
from lms.mail.models import OutgoingMail
from tracking.models.statements import Statement


@pytest.fixture()
def app(demo_app):
    """The demo organisation, seeded once per session; each test here gets its own copy."""
    return demo_app


def test_the_demo_has_a_sent_announcement_a_scheduled_newsletter_and_a_draft_reminder(app):
    by_status = {}
    for campaign in db.session.scalars(select(Campaign).order_by(Campaign.id)):
        by_status.setdefault(campaign.status, []).append(campaign)
    assert [c.name for c in by_status["finished"]] == ["CRM rollout kick-off", "Wave 1 go-live"]
    kick_off, sent = by_status["finished"]
    report = campaign_report(sent)
    assert report.total.recipients == report.total.delivered == sent.recipients > 10
    assert 0 < report.total.clicked < report.total.opened < report.total.delivered
    read = db.session.scalar(select(func.count()).select_from(Statement).where(
        Statement.verb_id == "http://activitystrea.ms/schema/1.0/read"))
    assert read == report.open_events + campaign_report(kick_off).open_events
    people = list(db.session.scalars(select(OutgoingMail.person_id).where(OutgoingMail.source_id == kick_off.id)))
    awareness = api.announcement_awareness(people)  # everyone had the kick-off, Wave 1 the go-live too
    assert sum(a.received for a in awareness.values()) == kick_off.recipients + sent.recipients
    assert sum(a.opened for a in awareness.values()) == report.total.opened + campaign_report(kick_off).total.opened
    [scheduled] = by_status["scheduled"]
    local = scheduled.send_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert scheduled.timezone == "Europe/Berlin" and (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    [draft] = by_status["draft"]
    assert draft.audience.name == "Wave 2 sales reps without the sales course"
    estimate = audiences.estimate(draft.audience.rules)
    assert estimate.reachable > 0
    assert db.session.scalar(select(func.count()).select_from(Audience)) == 3
