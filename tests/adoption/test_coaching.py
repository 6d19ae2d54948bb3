"""Stewardship: coaching notes are read by their manager and the person only; the nudge, the pulse survey and the
weekly digest go out as real mail through comms (aiosmtpd), the digest never twice in a week."""
from __future__ import annotations

import re
from datetime import timedelta

from adoption import coaching
from adoption.models import DigestSent, PulseAnswer
from lms.extensions import db
from lms.mail.delivery import deliver
from lms.types import utcnow
from tests.adoption.conftest import as_, signout
from tests.conftest import login, post_form

SECRET = "Struggles with forecasting; pair with Ana on Tuesdays"


def _write_note(client, org):
    login(client, org.people["maria"])
    response = post_form(client, f"/adoption/team/{org.id('t1')}/notes", {"text": SECRET}, form_url="/adoption/team")
    assert response.status_code == 302


def test_coaching_notes_are_read_by_their_manager_and_the_person_only(org, client, factory):
    _write_note(client, org)
    assert SECRET in client.get("/adoption/team").get_data(as_text=True)
    as_(client, org.people["t1"])
    assert SECRET in client.get("/adoption/me").get_data(as_text=True)
    others = {"another manager": org.people["omar"],
              "program office": factory.person(permissions=["program_office", "manager", "learner"]),
              "sponsor": factory.person(permissions=["sponsor", "manager", "learner"]),
              "admin": factory.person(permissions=["admin", "manager", "learner"]),
              "a colleague": org.people["t2"]}
    for who, person in others.items():
        as_(client, person)
        for url in ("/adoption/team", "/adoption/me", "/adoption/", "/adoption/readiness", "/governance/"):
            page = client.get(url)
            assert SECRET not in page.get_data(as_text=True), f"{who} read the note on {url}"
        assert coaching.notes_for(person, org.id("t1")) == [], who


def test_a_manager_cannot_write_about_someone_elses_person(org, client):
    login(client, org.people["omar"])
    response = post_form(client, f"/adoption/team/{org.id('t1')}/notes", {"text": "x"}, form_url="/adoption/team")
    assert response.status_code == 404
    response = post_form(client, f"/adoption/team/{org.id('t1')}/nudge", {}, form_url="/adoption/team")
    assert response.status_code == 404
    assert coaching.notes_for(org.people["maria"], org.id("t1")) == []


def test_the_stewardship_page_shows_progress_idle_people_and_weak_questions(org, client):
    login(client, org.people["maria"])
    page = client.get("/adoption/team").get_data(as_text=True)
    assert "T2" in page and "Trained but not using" in page
    assert "Question 0?" in page  # the quiz's questions, with the lessons of their module
    assert "Lesson 1" in page


def test_nudge_mail_goes_through_comms(org, client, inbox):
    login(client, org.people["maria"])
    response = post_form(client, f"/adoption/team/{org.id('t2')}/nudge", {}, form_url="/adoption/team")
    assert response.status_code == 302
    [mail] = inbox.wait_for(1)
    assert mail["To"].addresses[0].addr_spec == "t2@example.com"
    assert "MARIA" in mail["Subject"]


def test_pulse_survey_links_answer_from_the_mail(org, client, inbox, factory):
    office = factory.person(permissions=["program_office"])
    login(client, office)
    response = post_form(client, "/adoption/pulse", {"question": "Ready for the CRM?", "audience": "required"})
    assert response.status_code == 302
    mails = inbox.wait_for(6)
    t2_mail = next(m for m in mails if m["To"].addresses[0].addr_spec == "t2@example.com")
    # Each answer is a link (click-tracked by comms, which then leads to the signed answer page).
    links = re.findall(r"\((http://localhost/[^\s)]+)\)", inbox.text(mails.index(t2_mail)))[:5]
    assert len(links) == 5
    signout(client)
    hop = client.get(links[3].removeprefix("http://localhost"))
    answer_4 = hop.headers["Location"].removeprefix("http://localhost") if hop.status_code == 302 else links[3]
    assert answer_4.startswith("/adoption/pulse/")
    page = client.get(answer_4)
    assert page.status_code == 200 and db.session.query(PulseAnswer).filter_by(person_id=org.id("t2")).count() == 0
    response = post_form(client, answer_4, {})
    assert response.status_code == 200
    assert db.session.query(PulseAnswer).filter_by(person_id=org.id("t2")).one().answer == 4
    assert client.get(answer_4[:-3] + "xyz").status_code == 400  # a changed link answers nothing


def test_weekly_digest_once_per_week(org, inbox):
    today = utcnow().date()
    assert coaching.send_digests(today) == "sent 2 coaching digest(s)"
    assert coaching.send_digests(today) is None
    deliver()  # what the worker does next with the outbox
    mails = inbox.wait_for(2)
    maria = next(m for m in mails if m["To"].addresses[0].addr_spec == "maria@example.com")
    assert "T2" in maria.get_body(("plain",)).get_content()
    assert db.session.query(DigestSent).count() == 2
    assert coaching.send_digests(today + timedelta(days=7)) == "sent 2 coaching digest(s)"


def test_the_digest_can_be_switched_off(org, client):
    from adoption.readmodel import settings

    settings().digest_on = False
    db.session.commit()
    assert coaching.send_digests(utcnow().date()) is None


def test_the_worker_names_adoption_once_on_each_line_it_prints(org, app, inbox):
    output = app.test_cli_runner().invoke(args=["lms", "worker", "--once"]).output
    lines = output.splitlines()
    assert "adoption: sent 2 coaching digest(s)" in lines
    assert any(line.startswith("adoption: refreshed ") for line in lines)
    assert not [line for line in lines if line.startswith("adoption: adoption:")]
