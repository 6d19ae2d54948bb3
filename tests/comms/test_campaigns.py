"""Campaigns end to end over HTTP and a real SMTP server: compose with a preview, send to an audience, follow the
mail's tracked links (a tampered one is refused), unsubscribe in one click, and read the report."""
from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from comms.models import Campaign, Engagement, OptOut
from lms.extensions import db
from lms.mail.delivery import deliver
from lms.mail.models import OutgoingMail
from tests.comms.conftest import act, save_audience, save_campaign
from tests.conftest import post_form
from tracking.models.statements import Statement

BODY = ("Dear {{ first_name }},\n\nThe CRM goes live on Monday for {{ department }}.\n\n"
        "Read [the go-live guide](https://intranet.example.com/go-live) before then.\n")


@pytest.fixture()
def org(factory):
    wave1, wave2 = factory.wave("Wave 1"), factory.wave("Wave 2")
    reps = [factory.person(name=f"Rep {n} Wave2", role="sales_rep", department="Sales", wave="Wave 2",
                           email=f"rep{n}@example.com") for n in range(3)]
    service = factory.person(name="Sam Service", role="service_agent", department="Service", wave="Wave 2",
                             email="sam@example.com")
    early = factory.person(name="Eli Early", role="sales_rep", department="Sales", wave="Wave 1",
                           email="eli@example.com")
    gone = factory.person(name="Gus Gone", role="sales_rep", department="Sales", wave="Wave 2", active=False,
                          email="gus@example.com")
    return {"reps": reps, "service": service, "early": early, "gone": gone, "wave1": wave1, "wave2": wave2,
            "rep_role": factory.job_role("sales_rep")}


def _links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]


def test_the_program_office_sends_an_announcement_and_follows_its_engagement(office_client, org, inbox, app):
    client = office_client
    audience = save_audience(client, "Wave 2 sales reps", job_roles=[org["rep_role"].id], waves=[org["wave2"].id])
    bad = post_form(client, "/comms/campaigns/new", {"subject": "Hi", "category": "announcement", "audience_id": "",
                                                     "body": "Dear {{ frist_name }}", "action": "save"})
    assert bad.status_code == 400 and "frist_name" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0
    campaign_id = save_campaign(client, name="Go-live", subject="Go-live for {{ first_name }}", body=BODY,
                                sender_name="CRM Program Office", audience_id=str(audience))
    page = client.get(f"/comms/campaigns/{campaign_id}").get_data(as_text=True)
    assert "Dear Olga," in page  # the plain-text preview, personalised for the person looking
    frame = client.get(f"/comms/campaigns/{campaign_id}/preview")
    assert "frame-ancestors 'self'" in frame.headers["Content-Security-Policy"] and 'style="' in frame.text

    assert act(client, campaign_id, "test").status_code == 302
    [test_mail] = inbox.wait_for(1)  # sent right after the response
    assert test_mail["Subject"] == "[Test] Go-live for Olga" and test_mail["To"] == "office@example.com"
    inbox.clear()

    assert act(client, campaign_id, "start").status_code == 302
    assert act(client, campaign_id, "start").status_code == 302  # a second click starts nothing more
    assert db.session.get(Campaign, campaign_id).recipients == 3
    assert deliver().sent == 3
    received = {m["To"]: m for m in inbox.messages}
    assert set(received) == {f"Rep {n} Wave2 <rep{n}@example.com>" for n in range(3)}  # not Gus, not Eli, not Sam
    mail = received["Rep 0 Wave2 <rep0@example.com>"]
    assert mail["Subject"] == "Go-live for Rep" and mail["From"] == "CRM Program Office <no-reply@rapport.invalid>"
    assert mail["List-Unsubscribe"] is None  # an announcement cannot be left
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "The CRM goes live on Monday for Sales." in html and "The CRM goes live on Monday for Sales." in text

    [guide] = [u for u in _links(html) if "/comms/l/" in u]
    assert guide in text  # the text part carries the same tracked link
    path = guide.replace("http://localhost", "")
    followed = client.get(path)
    assert followed.status_code == 302 and followed.headers["Location"] == "https://intranet.example.com/go-live"
    token = path.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    refused = client.get(f"/comms/l/{tampered}")
    assert refused.status_code == 404 and "Location" not in refused.headers
    forged_payload = client.get("/comms/l/WzEsImh0dHBzOi8vZXZpbC5leGFtcGxlLmNvbSJd.forged")
    assert forged_payload.status_code == 404

    [pixel] = re.findall(r'src="(http://localhost/comms/o/[^"]+)"', html)
    opened = client.get(pixel.replace("http://localhost", ""))
    assert opened.status_code == 200 and opened.mimetype == "image/gif"
    assert client.get("/comms/o/bogus.gif").status_code == 404

    row = db.session.scalar(select(Engagement))
    assert (row.opens, row.clicks) == (1, 1) and row.campaign_id == campaign_id
    verbs = Counter(db.session.scalars(select(Statement.verb_id).where(Statement.activity_id.like("%/comms/%"))))
    assert verbs == {"http://activitystrea.ms/schema/1.0/read": 1, "http://adlnet.gov/expapi/verbs/experienced": 1}
    activity = db.session.scalar(select(Statement.activity_id).where(Statement.activity_id.like("%/comms/%")))
    assert activity == f"http://localhost/xapi/activities/comms/campaign/{campaign_id}"

    from comms import api
    awareness = api.announcement_awareness([p.id for p in org["reps"]] + [org["early"].id])
    assert [awareness[p.id] for p in org["reps"]] == [api.Awareness(1, 1), api.Awareness(1, 0), api.Awareness(1, 0)]
    assert awareness[org["early"].id] == api.Awareness(0, 0)

    from comms.campaigns import start_due
    assert "finished" in start_due()
    report = client.get(f"/comms/campaigns/{campaign_id}/report").get_data(as_text=True)
    assert "By department" in report and "Wave 2" in report
    csv = client.get(f"/comms/campaigns/{campaign_id}/report.csv").get_data(as_text=True).splitlines()
    assert csv[0] == "grouping,group,recipients,delivered,failed,opened,clicked,unsubscribed"
    assert "total,All recipients,3,3,0,1,1,0" in csv and "department,Sales,3,3,0,1,1,0" in csv
    assert "wave,Wave 2,3,3,0,1,1,0" in csv


def test_a_newsletter_is_left_in_one_click_and_the_next_one_skips_that_person(office_client, org, inbox, client):
    audience = save_audience(office_client, "Everyone in wave 2", waves=[org["wave2"].id])
    first = save_campaign(office_client, subject="News", category="newsletter", body="News for {{ first_name }}",
                          audience_id=str(audience))
    act(office_client, first, "start")
    deliver()
    sam = next(m for m in inbox.messages if "sam@example.com" in m["To"])
    unsubscribe = sam["List-Unsubscribe"].strip()[1:-1].replace("http://localhost", "")
    assert sam["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    anonymous = client.application.test_client()
    assert anonymous.get(unsubscribe).status_code == 200  # asking does not unsubscribe (link scanners)
    assert db.session.scalar(select(func.count()).select_from(OptOut)) == 0
    one_click = anonymous.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})  # no session, no CSRF token
    assert one_click.status_code == 200 and "Unsubscribed from newsletters" in one_click.text
    assert db.session.scalar(select(OptOut.person_id)) == org["service"].id
    assert anonymous.post(unsubscribe[:-2] + "xx", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    csv = office_client.get(f"/comms/campaigns/{first}/report.csv").text
    assert "department,Service,1,1,0,0,0,1" in csv

    inbox.clear()
    second = act(office_client, first, "duplicate")
    second_id = int(re.search(r"/comms/campaigns/(\d+)", second.headers["Location"]).group(1))
    act(office_client, second_id, "start")
    deliver()
    assert "sam@example.com" not in {m["To"] for m in inbox.messages} and len(inbox.messages) == 3

    preferences = re.search(r"(/comms/preferences/[^\s]+)", inbox.text(0)).group(1)
    page = anonymous.get(preferences)
    assert page.status_code == 200 and 'name="newsletter"' in page.text
    saved = post_form(anonymous, preferences, {"recognition": "y"})  # newsletters unticked: left
    assert saved.status_code == 200 and "preferences are saved" in saved.text
    assert db.session.scalar(select(func.count()).select_from(OptOut)) == 2


def test_drafts_are_duplicated_and_deleted_but_a_sent_campaign_is_kept(office_client, org, inbox):
    audience = save_audience(office_client, "Wave 1", waves=[org["wave1"].id])
    draft = save_campaign(office_client, subject="Reminder", category="reminder", body="Finish {{ due }}",
                          audience_id=str(audience))
    act(office_client, draft, "duplicate")
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 2
    assert act(office_client, draft, "delete").headers["Location"].endswith("/comms/")
    [copy] = db.session.scalars(select(Campaign)).all()
    assert copy.name == "Copy of Reminder" and copy.status == "draft"
    act(office_client, copy.id, "start")
    page = act(office_client, copy.id, "delete")
    assert db.session.get(Campaign, copy.id) is not None
    assert "Only a draft can be deleted" in office_client.get(page.headers["Location"]).text
    changed = post_form(office_client, f"/comms/campaigns/{copy.id}", {"subject": "Changed", "category": "reminder",
                                                                      "body": "x", "action": "save"})
    assert changed.status_code == 302 and db.session.get(Campaign, copy.id).subject == "Reminder"
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 1
