"""Sessions are server-side: a copied session or remember-me cookie stops working as soon as its session is ended
(logout, sign out everywhere, an admin, a password change or reset), and remember-me lasts 30 days by default."""
from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.auth.models import AuthSession
from lms.extensions import db
from lms.permissions import Permission
from lms.types import utcnow
from tests.conftest import PASSWORD, login, post_form


def raw_get(app, path: str, cookies: dict[str, str]):
    """A request from another browser that carries only the given (copied) cookies."""
    stranger = app.test_client(use_cookies=False)
    return stranger.get(path, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})


def signed_in(response) -> bool:
    return response.status_code == 200


def cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def test_a_copied_session_cookie_stops_working_at_logout(app, client, factory):
    person = factory.person()
    login(client, person)
    copied = {"session": cookie(client, "session")}
    assert signed_in(raw_get(app, "/", copied))
    post_form(client, "/auth/logout", {}, form_url="/")
    assert raw_get(app, "/", copied).status_code == 302
    assert client.get("/").status_code == 302


def test_a_copied_remember_cookie_stops_working_at_logout(app, client, factory):
    person = factory.person()
    post_form(client, "/auth/login", {"email": person.email, "password": PASSWORD, "remember": "y"})
    copied = {"remember_token": cookie(client, "remember_token")}
    assert signed_in(raw_get(app, "/", copied))  # from any browser, without the session cookie
    post_form(client, "/auth/logout", {}, form_url="/")
    assert raw_get(app, "/", copied).status_code == 302


def test_remember_me_lasts_30_days_by_default_and_follows_the_setting(make_app, factory):
    for days, app in ((30, make_app()), (7, make_app(LMS_REMEMBER_DAYS=7))):
        client = app.test_client()
        with app.app_context():
            person = factory.person()
            response = post_form(client, "/auth/login", {"email": person.email, "password": PASSWORD,
                                                         "remember": "y"})
            header = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
            expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header).group(1))
            assert abs(expires - (utcnow() + timedelta(days=days))) < timedelta(minutes=1)
            row = db.session.scalar(select(AuthSession).where(AuthSession.person_id == person.id))
            assert timedelta(days=days) - timedelta(minutes=1) < row.expires_at - utcnow() <= timedelta(days=days)
            assert row.remembered
            copied = {"remember_token": cookie(client, "remember_token")}
            row.expires_at = utcnow() - timedelta(seconds=1)  # the server-side end, whatever the cookie says
            db.session.commit()
            assert raw_get(app, "/", copied).status_code == 302


def test_sign_out_everywhere_ends_every_session_of_the_person(app, client, factory):
    person, other_person = factory.person(), factory.person()
    laptop, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    login(laptop, person)
    login(phone, person)
    login(colleague, other_person)
    page = phone.get("/auth/account").get_data(as_text=True)
    assert page.count("(this one)") == 1 and "Where you are signed in" in page
    response = post_form(phone, "/auth/sessions/end-all", {}, form_url="/auth/account", follow_redirects=True)
    assert "signed out everywhere (2 sessions ended)" in response.get_data(as_text=True)
    assert laptop.get("/").status_code == 302 and phone.get("/").status_code == 302
    assert colleague.get("/").status_code == 200


def test_an_admin_ends_a_persons_sessions(app, client, factory):
    admin = factory.person(permissions=(Permission.ADMIN,))
    person = factory.person()
    theirs = app.test_client()
    login(theirs, person)
    copied = {"session": cookie(theirs, "session")}
    login(client, admin)
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "is signed in on 1 device." in page
    response = post_form(client, f"/admin/people/{person.id}/sessions/end", {}, form_url=f"/admin/people/{person.id}")
    assert response.status_code == 302
    assert theirs.get("/").status_code == 302 and raw_get(app, "/", copied).status_code == 302
    assert client.get("/").status_code == 200  # the admin's own session is untouched
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.sessions_ended"))
    assert event.actor_id == admin.id and event.target == person.email and event.details == {"sessions": 1}


def test_a_password_reset_ends_every_session(app, client, factory, inbox):
    person = factory.person()
    elsewhere = app.test_client()
    login(elsewhere, person)
    post_form(client, "/auth/forgot", {"email": person.email})
    inbox.wait_for(1)
    link = re.search(r"http://localhost(/auth/reset/\S+)", inbox.text()).group(1)
    post_form(client, link, {"password": "a brand new password", "confirm": "a brand new password"})
    assert elsewhere.get("/").status_code == 302


def test_a_password_change_keeps_this_session_and_ends_copies_of_others(app, client, factory):
    person = factory.person()
    other = app.test_client()
    login(other, person)
    copied = {"session": cookie(other, "session")}
    login(client, person)
    mine = {"session": cookie(client, "session")}
    post_form(client, "/auth/account", {"current": PASSWORD, "password": "another password 1",
                                        "confirm": "another password 1"})
    assert raw_get(app, "/", copied).status_code == 302
    assert signed_in(raw_get(app, "/", mine))


def test_a_deactivated_persons_sessions_stop_working(app, client, factory):
    person = factory.person()
    login(client, person)
    person.active = False
    db.session.commit()
    assert client.get("/").status_code == 302
