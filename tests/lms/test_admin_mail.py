"""Admin > Mail: the log of every outgoing mail, the test mail that shows the relay's answer, sending a mail again,
and clearing a bounced address."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.extensions import db
from lms.mail.delivery import deliver
from lms.mail.models import MailSuppression, OutgoingMail
from lms.mail.services import queue_mail
from lms.permissions import Permission
from lms.types import utcnow
from tests.conftest import login, post_form


def _admin(factory):
    return factory.person(permissions=[Permission.ADMIN, Permission.LEARNER], email="root@example.com")


def test_the_log_lists_each_mail_with_its_status_and_the_relays_answer(client, factory, inbox):
    inbox.rcpt_reply = lambda address: "550 5.1.1 No such user" if address.startswith("gone") else None
    queue_mail("gone@example.com", "Welcome aboard", "Hi")
    queue_mail("here@example.com", "Your course is due", "Hi")
    db.session.commit()
    deliver()
    login(client, _admin(factory))
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Welcome aboard" in page and "550 5.1.1 No such user" in page and "bounced" in page
    assert "Your course is due" in page and "250 Message accepted" in page
    only_bounced = client.get("/admin/mail?status=bounced").get_data(as_text=True)
    assert "Welcome aboard" in only_bounced and "Your course is due" not in only_bounced
    searched = client.get("/admin/mail?q=here@").get_data(as_text=True)
    assert "Your course is due" in searched and "Welcome aboard" not in searched


def test_a_test_mail_goes_out_now_and_shows_what_the_relay_answered(client, factory, inbox):
    login(client, _admin(factory))
    response = post_form(client, "/admin/mail", {"test-to_address": "ops@example.com"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The relay accepted it" in page and "250 Message accepted" in page
    assert [m["To"] for m in inbox.messages] == ["ops@example.com"]
    assert db.session.scalar(select(OutgoingMail.source)) == "test"


def test_a_test_mail_to_an_unreachable_relay_says_why(make_app, factory):
    app = make_app(LMS_SMTP_PORT=1)
    client = app.test_client()
    with app.app_context():
        login(client, _admin(factory))
        response = post_form(client, "/admin/mail", {"test-to_address": "ops@example.com"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Not sent" in page and "Connection refused" in page


def test_an_unconfirmed_mail_can_be_sent_again_and_a_confirmed_one_cannot(client, factory, inbox):
    mail = queue_mail("a@example.com", "Go-live", "Hi")
    db.session.commit()
    mail.status, mail.sent_at, mail.attempts = "sent", utcnow(), 1  # the relay never confirmed it
    db.session.commit()
    login(client, _admin(factory))
    assert "sent, not confirmed" in client.get(f"/admin/mail/{mail.id}").get_data(as_text=True)
    response = post_form(client, f"/admin/mail/{mail.id}/again", {}, form_url=f"/admin/mail/{mail.id}")
    assert response.status_code == 302
    inbox.wait_for(1)
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 2
    confirmed = db.session.scalar(select(OutgoingMail).where(OutgoingMail.id != mail.id))
    response = post_form(client, f"/admin/mail/{confirmed.id}/again", {}, form_url=f"/admin/mail/{mail.id}",
                         follow_redirects=True)
    assert "Only a mail that failed, bounced or was not confirmed" in response.get_data(as_text=True)


def test_the_person_page_shows_a_bounce_and_clears_it(client, factory, inbox):
    person = factory.person(email="gone@example.com")
    db.session.add(MailSuppression(email="gone@example.com", reason="bounce", detail="550 5.1.1 No such user"))
    db.session.commit()
    login(client, _admin(factory))
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "Mail to this address bounced" in page and "550 5.1.1 No such user" in page
    response = post_form(client, f"/admin/people/{person.id}/suppression", {}, form_url=f"/admin/people/{person.id}")
    assert response.status_code == 302
    assert db.session.get(MailSuppression, "gone@example.com") is None
    assert "Mail to this address bounced" not in client.get(f"/admin/people/{person.id}").get_data(as_text=True)
