"""Invitations over the real SMTP server: the welcome mail's link sets a first password once; an expired, reused,
replaced or tampered link gets a page saying why; invitations on import, from the form, in bulk and again."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select, update

from lms.auth.models import Invitation
from lms.extensions import db
from lms.mail import kicker
from lms.people.models import Person
from lms.permissions import Permission
from lms.types import utcnow
from tests.conftest import csrf_token, login, post_form

NEW_PASSWORD = "a fine first password"


def _link(inbox, index: int = -1) -> str:
    match = re.search(r"http://localhost(/auth/welcome/\S+)", inbox.text(index))
    assert match, inbox.text(index)
    return match.group(1)


def _admin(factory):
    return factory.person(permissions=[Permission.ADMIN, Permission.LEARNER], name="Alice Admin",
                          email="alice@example.com")


def test_admin_invites_from_the_person_page_and_the_link_sets_a_password_once(app, client, factory, inbox):
    admin = _admin(factory)
    newcomer = factory.person(password=None, name="Nina Newcomer", email="nina@example.com")
    login(client, admin)
    page = client.get(f"/admin/people/{newcomer.id}").get_data(as_text=True)
    assert "has no password yet" in page and "Invite by mail" in page
    response = post_form(client, f"/admin/people/{newcomer.id}/invite", {}, form_url=f"/admin/people/{newcomer.id}")
    assert response.status_code == 302
    mail = inbox.wait_for(1)[0]
    assert mail["To"].addresses[0].addr_spec == "nina@example.com"
    assert mail["Subject"] == "You are invited to Rapport: set your password"
    assert "Alice Admin invited you" in inbox.text()
    link = _link(inbox)
    assert link in inbox.html().replace("&amp;", "&")
    assert "Invited" in client.get(f"/admin/people/{newcomer.id}").get_data(as_text=True)

    visitor = app.test_client()
    form = visitor.get(link)
    assert form.status_code == 200 and "Welcome to Rapport, Nina Newcomer" in form.get_data(as_text=True)
    response = post_form(visitor, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert visitor.get("/").status_code == 200  # signed in
    fresh = app.test_client()
    login(fresh, newcomer, NEW_PASSWORD)

    again = app.test_client().get(link)
    assert again.status_code == 410
    assert "already used to set a password" in again.get_data(as_text=True)
    listing = client.get("/admin/people").get_data(as_text=True)
    assert "invitation-accepted" in listing


def test_an_expired_link_is_refused_with_a_clear_page(app, client, factory, inbox):
    admin = _admin(factory)
    newcomer = factory.person(password=None)
    login(client, admin)
    post_form(client, f"/admin/people/{newcomer.id}/invite", {}, form_url=f"/admin/people/{newcomer.id}")
    inbox.wait_for(1)
    link = _link(inbox)
    db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = app.test_client().get(link)
    assert response.status_code == 410
    body = response.get_data(as_text=True)
    assert "This invitation has expired. Ask your administrator to send you a new invitation." in body
    # The POST is refused too, and sets nothing.
    visitor = app.test_client()
    token = csrf_token(visitor, "/auth/login")
    response = visitor.post(link, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410
    db.session.expire_all()
    assert db.session.get(Person, newcomer.id).password_hash is None
    assert "expired" in client.get(f"/admin/people/{newcomer.id}").get_data(as_text=True)


def test_resend_replaces_the_older_link_and_a_tampered_one_is_refused(app, client, factory, inbox):
    admin = _admin(factory)
    newcomer = factory.person(password=None)
    login(client, admin)
    url = f"/admin/people/{newcomer.id}/invite"
    post_form(client, url, {}, form_url=f"/admin/people/{newcomer.id}")
    inbox.wait_for(1)
    first = _link(inbox)
    assert "Resend the invitation" in client.get(f"/admin/people/{newcomer.id}").get_data(as_text=True)
    post_form(client, url, {}, form_url=f"/admin/people/{newcomer.id}")
    inbox.wait_for(2)
    second = _link(inbox, 1)
    assert first != second
    old = app.test_client().get(first)
    assert old.status_code == 410 and "A newer invitation was sent to you" in old.get_data(as_text=True)
    tampered = app.test_client().get(second[:-3] + ("AAA" if not second.endswith("AAA") else "BBB"))
    assert tampered.status_code == 410 and "not valid" in tampered.get_data(as_text=True)
    assert app.test_client().get(second).status_code == 200


def test_bulk_invite_from_the_people_list_skips_people_who_have_a_password(app, client, factory, inbox):
    admin = _admin(factory)
    a = factory.person(password=None, name="Aaron New")
    b = factory.person(password=None, name="Bea New")
    has = factory.person(name="Carl Hasone")
    login(client, admin)
    assert "not invited" in client.get("/admin/people").get_data(as_text=True)
    response = post_form(client, "/admin/people/invite", {"person_id": [str(a.id), str(b.id), str(has.id)]},
                         form_url="/admin/people", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "2 invitations sent" in body and "Carl Hasone (already has a password)" in body
    inbox.wait_for(2)
    kicker.drain(app)
    assert sorted(m["To"].addresses[0].addr_spec for m in inbox.messages) == sorted([a.email, b.email])


def test_roster_import_and_the_person_form_can_invite(app, client, factory, inbox):
    admin = _admin(factory)
    login(client, admin)
    csv = b"email,name\nrosa@example.com,Rosa Roster\nsven@example.com,Sven Roster\n"
    token = csrf_token(client, "/admin/people/import")
    response = client.post("/admin/people/import", data={"csrf_token": token, "invite": "y",
                                                         "roster": (io.BytesIO(csv), "roster.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "2 invitations sent" in response.get_data(as_text=True)
    inbox.wait_for(2)
    response = post_form(client, "/admin/people/new", {"name": "Fiona Form", "email": "fiona@example.com",
                                                       "permissions": ["learner"], "invite": "y"})
    assert response.status_code == 302
    inbox.wait_for(3)
    kicker.drain(app)
    assert sorted(m["To"].addresses[0].addr_spec for m in inbox.messages) == [
        "fiona@example.com", "rosa@example.com", "sven@example.com"]
    # Not ticking the box sends nothing.
    post_form(client, "/admin/people/new", {"name": "Quiet Person", "email": "quiet@example.com",
                                            "permissions": ["learner"]})
    kicker.drain(app)
    assert len(inbox.messages) == 3
    assert db.session.scalar(select(Person.id).where(Person.email == "quiet@example.com"))


def test_cli_invites_by_email_and_refuses_unknown_addresses(app, factory, inbox):
    newcomer = factory.person(password=None, email="cli@example.com")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "people", "invite", "nobody@example.com", newcomer.email])
    assert result.exit_code != 0 and "nobody@example.com" in result.output
    assert db.session.scalar(select(Invitation.id)) is None
    result = runner.invoke(args=["lms", "people", "invite", newcomer.email])
    assert result.exit_code == 0 and "1 invitation sent" in result.output
    result = runner.invoke(args=["lms", "worker", "--once"])
    inbox.wait_for(1)
    assert "/auth/welcome/" in inbox.text()
