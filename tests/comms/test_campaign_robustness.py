"""A 2,000-recipient campaign sent by worker processes (two at once) through a relay that refuses connections for
a while and answers 451 for a while, with one worker SIGKILLed in the middle and another started: every recipient
gets exactly one mail, personalised for them (on SQLite, and on PostgreSQL with LMS_TEST_DATABASE_URL).

The relay and the worker processes are those of tests/lms/test_mail_robustness.py."""
from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import func, insert, select

from comms import audiences, campaigns
from comms.models import Audience, Campaign
from lms.extensions import db
from lms.mail.models import OutgoingMail
from lms.people.models import Person
from lms.types import utcnow
from tests.lms.test_mail_robustness import Relay, Workers, _open_rows, _wait

TOTAL = 2000


def test_a_campaign_reaches_every_recipient_exactly_once_through_outages_and_a_killed_worker(app, base_config,
                                                                                              factory):
    wave = factory.wave("Wave 2")
    office = factory.person(name="Olga Office", role=None, wave=None)
    now = utcnow()
    db.session.execute(insert(Person), [
        {"email": f"person{n:04d}@example.com", "name": f"Reader{n:04d} Example", "employee_id": f"R{n:05d}",
         "wave_id": wave.id, "active": True, "created_at": now, "updated_at": now} for n in range(TOTAL)])
    audience = Audience(name="Wave 2", rules={"field": "wave", "ids": [wave.id]})
    db.session.add(audience)
    db.session.flush()
    campaign = campaigns.save(campaigns.CampaignInfo("Go-live", "Go-live, {{ first_name }}", "announcement",
                                                     "Hello {{ first_name }}, we go live on Monday.",
                                                     audience_id=audience.id), campaign=None, actor=office)
    assert campaigns.start(campaign, actor_id=office.id) == TOTAL
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(audiences.members(audience.rules).subquery())) == TOTAL

    inbox = relay = Relay()
    workers = relay.workers = Workers(base_config, relay.port, senders=1)
    relay.kill_at_data = 1000
    relay.start()
    try:
        workers.start()
        workers.start()
        _wait(lambda: len(inbox.messages) >= 300, 90, "the first 300 mails")
        relay.go_down()  # connections refused, open sessions ended with 421
        time.sleep(1.5)
        relay.come_back()
        _wait(lambda: len(inbox.messages) >= 700, 90, "700 mails")
        relay.temporary = True  # 451 to every recipient for a while
        time.sleep(1.0)
        relay.temporary = False
        _wait(lambda: "data" in relay.killed, 90, "the kill")
        workers.start()  # a replacement for the killed worker
        _wait(lambda: _open_rows() == 0, 180, "every mail to be settled")
    finally:
        workers.stop_all()
        if relay.controller:
            relay.controller.stop()
    received = Counter(rcpts[0] for _, rcpts in inbox.envelopes)
    assert len(inbox.messages) == TOTAL
    assert set(received) == {f"person{n:04d}@example.com" for n in range(TOTAL)}
    assert max(received.values()) == 1
    subjects = {m["To"]: m["Subject"] for m in inbox.messages}
    assert subjects["Reader0042 Example <person0042@example.com>"] == "Go-live, Reader0042"
    assert len(set(subjects.values())) == TOTAL  # each personalised
    statuses = Counter(db.session.scalars(select(OutgoingMail.status).where(OutgoingMail.source == "campaign")))
    assert statuses == {"sent": TOTAL}
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail).where(OutgoingMail.attempts > 1)) > 0
    campaigns.start_due()  # settles the campaign, unless a worker's own step has done it already
    assert db.session.get(Campaign, campaign.id).status == "finished"
    progress = campaigns.progress(db.session.get(Campaign, campaign.id))
    assert (progress.recipients, progress.sent, progress.remaining) == (TOTAL, TOTAL, 0)
