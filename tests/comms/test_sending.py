"""Sending controls: scheduling in a time zone (started by the worker), pause, resume and cancel, progress, the
per-person tracking switch, the CSV's escaped cells, and what a learner may not see."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from comms import api
from comms import campaigns as service
from comms.models import Campaign, Engagement
from lms.extensions import db
from lms.mail.delivery import deliver
from lms.mail.models import OutgoingMail
from lms.permissions import Permission
from tests.comms.conftest import act, save_audience, save_campaign
from tests.conftest import login, post_form
from tracking.models.statements import Statement


@pytest.fixture()
def crowd(factory):
    factory.wave("Wave 2")
    return [factory.person(name=f"=HYPERLINK Person {n}", department="+Sales", wave="Wave 2",
                           email=f"p{n}@example.com") for n in range(5)]


def _campaign(client, crowd, **fields) -> int:
    audience = save_audience(client, "Wave 2", waves=[crowd[0].wave_id])
    return save_campaign(client, subject="Hello", body="Hi {{ first_name }} [x](https://example.com/x)",
                         audience_id=str(audience), **fields)


def test_schedule_in_a_time_zone_then_the_worker_starts_it(office_client, crowd, inbox, app):
    campaign_id = _campaign(office_client, crowd, category="newsletter")
    local = datetime.now(UTC).astimezone(service.zone("Asia/Tokyo")) + timedelta(hours=2)
    response = act(office_client, campaign_id, "schedule", send_at=local.strftime("%Y-%m-%dT%H:%M"),
                   timezone="Asia/Tokyo")
    assert response.status_code == 302
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign.status == "scheduled" and campaign.timezone == "Asia/Tokyo"
    expected = local.replace(second=0, microsecond=0).astimezone(UTC)
    assert campaign.send_at == expected  # 2 hours from now, wherever the server is
    page = office_client.get(f"/comms/campaigns/{campaign_id}").text
    assert f"{local:%d %b %Y %H:%M} Asia/Tokyo" in page
    assert service.start_due() is None  # not yet
    campaign.send_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    lines = app.test_cli_runner().invoke(args=["lms", "worker", "--once"]).output.splitlines()
    assert any(line.startswith("comms: started") for line in lines)
    assert "mail: 5 sent" in lines  # the round that started the campaign sends it too
    assert sorted(m["To"].addresses[0].addr_spec for m in inbox.wait_for(5)) == [f"p{n}@example.com"
                                                                                  for n in range(5)]
    assert deliver().sent == 0
    bad = act(office_client, _campaign_copy(office_client, campaign_id), "schedule", send_at="2020-01-01T10:00",
              timezone="Mars/Olympus")
    assert "Unknown time zone" in office_client.get(bad.headers["Location"]).text


def _campaign_copy(client, campaign_id: int) -> int:
    response = act(client, campaign_id, "duplicate")
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_pause_resume_and_cancel_move_what_has_not_gone(office_client, crowd, inbox):
    campaign_id = _campaign(office_client, crowd)
    act(office_client, campaign_id, "start")
    act(office_client, campaign_id, "pause")
    assert db.session.get(Campaign, campaign_id).status == "paused"
    assert deliver().sent == 0 and inbox.messages == []
    progress = office_client.get(f"/comms/campaigns/{campaign_id}/progress.json").json
    assert progress["remaining"] == 5 and progress["status"] == "paused"
    act(office_client, campaign_id, "resume")
    first_two = list(db.session.scalars(select(OutgoingMail.id).order_by(OutgoingMail.id).limit(2)))
    assert deliver(first_two).sent == 2  # as if a worker had sent two when the office cancels
    act(office_client, campaign_id, "cancel")
    assert deliver().sent == 0
    progress = office_client.get(f"/comms/campaigns/{campaign_id}/progress.json").json
    assert (progress["sent"], progress["cancelled"], progress["remaining"], progress["status"]) == (2, 3, 0,
                                                                                                  "cancelled")
    assert len(inbox.messages) == 2
    assert "Only a campaign that is sending can be paused" in office_client.get(
        act(office_client, campaign_id, "pause").headers["Location"]).text


def test_with_per_person_tracking_off_mail_has_no_tracking_and_counts_stay_totals(make_app, factory, inbox):
    app = make_app(LMS_COMMS_TRACK_PEOPLE=False)
    client = app.test_client()
    with app.app_context():
        factory.wave("Wave 2")
        people = [factory.person(wave="Wave 2", email=f"q{n}@example.com") for n in range(2)]
        office = factory.person(role=None, permissions=(Permission.PROGRAM_OFFICE,))
        login(client, office)
        campaign_id = save_campaign(client, subject="Go-live", body="[guide](https://example.com/g)",
                                    audience_id=str(save_audience(client, "W2", waves=[people[0].wave_id])))
        act(client, campaign_id, "start")
        deliver()
        html = inbox.html(0)
        assert 'href="https://example.com/g"' in html and "/comms/o/" not in html and "/comms/l/" not in html
        assert db.session.scalar(select(func.count()).select_from(Engagement)) == 0
        assert db.session.scalar(select(func.count()).select_from(Statement)) == 0
        assert api.announcement_awareness([people[0].id]) == {people[0].id: api.Awareness(1, None)}
        report = client.get(f"/comms/campaigns/{campaign_id}/report").text
        assert "Per-person tracking is off" in report


def test_the_csv_escapes_cells_a_spreadsheet_would_run(office_client, crowd, inbox):
    campaign_id = _campaign(office_client, crowd)
    act(office_client, campaign_id, "start")
    deliver()
    lines = office_client.get(f"/comms/campaigns/{campaign_id}/report.csv").text.splitlines()
    assert "department,'+Sales,5,5,0,0,0,0" in lines


def test_a_learner_cannot_see_campaigns_audiences_or_reports(client, factory, office, crowd):
    login(client, office)
    campaign_id = _campaign(client, crowd)
    learner = factory.person(name="Lea Learner")
    client = client.application.test_client()
    login(client, learner)
    for url in ("/comms/", "/comms/audiences", "/comms/audiences/new", f"/comms/campaigns/{campaign_id}",
                f"/comms/campaigns/{campaign_id}/report", f"/comms/campaigns/{campaign_id}/report.csv",
                f"/comms/campaigns/{campaign_id}/preview", "/comms/layout"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/comms/campaigns/{campaign_id}/start").status_code in (400, 403)
    assert "Communications" not in client.get("/").text
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0


def test_the_layout_is_used_by_every_mail(office_client, crowd, inbox):
    bad = post_form(office_client, "/comms/layout", {"company_name": "Acme", "colour": "red", "logo_url": "",
                                                     "footer": ""})
    assert bad.status_code == 400 and "Use a colour like" in bad.text
    post_form(office_client, "/comms/layout", {"company_name": "Acme Corp", "colour": "#aa3300",
                                               "logo_url": "https://cdn.example.com/logo.png", "footer": "1 Main St"})
    api.send_to_people([crowd[0].id], subject="S", body_markdown="B", category="reminder", source="t")
    db.session.commit()
    deliver()
    html = inbox.html()
    assert "Acme Corp" in html and "#aa3300" in html and 'src="https://cdn.example.com/logo.png"' in html
    assert "1 Main St" in inbox.text()
