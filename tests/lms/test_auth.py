"""Sign-in, sign-out, throttling, password reset over real SMTP, account page."""
from __future__ import annotations

import re
import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from lms.extensions import db
from lms.mail import kicker
from tests.conftest import PASSWORD, csrf_token, login, post_form


def test_sign_in_and_out(client, factory):
    person = factory.person()
    response = login(client, person)
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert person.name.split()[0] in page.get_data(as_text=True)
    response = post_form(client, "/auth/logout", {}, form_url="/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


def test_wrong_password_is_refused_with_a_message(client, factory):
    person = factory.person()
    response = post_form(client, "/auth/login", {"email": person.email, "password": "not the password"})
    assert response.status_code == 401
    assert "do not match an active account" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_inactive_person_cannot_sign_in(client, factory):
    person = factory.person(active=False)
    response = post_form(client, "/auth/login", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 401


def test_next_parameter_never_leaves_the_site(client, factory):
    person = factory.person()
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login?next=//evil.example/x",
                           data={"csrf_token": token, "email": person.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_login_requires_csrf_token(client, factory):
    person = factory.person()
    response = client.post("/auth/login", data={"email": person.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True) or "expired" in response.get_data(as_text=True)


def _reset_link(inbox) -> str:
    assert len(inbox.wait_for(1)) == 1
    match = re.search(r"http://localhost(/auth/reset/\S+)", inbox.text())
    assert match, inbox.text()
    return match.group(1)


def test_password_reset_by_mail(client, factory, inbox):
    person = factory.person(password=None)
    response = post_form(client, "/auth/forgot", {"email": person.email.upper()})
    assert response.status_code == 302
    assert inbox.wait_for(1)[0]["To"].addresses[0].addr_spec == person.email
    link = _reset_link(inbox)
    response = post_form(client, link, {"password": "a brand new password", "confirm": "a brand new password"})
    assert response.status_code == 302
    login(client, person, "a brand new password")
    # The link is single-use.
    response = client.get(link)
    assert response.status_code == 302
    assert "/auth/forgot" in response.headers["Location"]


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(client, factory, inbox):
    response = post_form(client, "/auth/forgot", {"email": "nobody@example.com"}, follow_redirects=True)
    assert "If that address belongs to an account" in response.get_data(as_text=True)
    kicker.drain(client.application)
    assert inbox.messages == []


def test_expired_reset_link_is_refused(app, client, factory):
    person = factory.person()
    age = app.config["LMS_PASSWORD_RESET_MAX_AGE"] + 5

    class OldSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="lms.password-reset", signer=OldSigner)
    token = serializer.dumps({"id": person.id, "h": person.password_hash[-12:]})
    response = client.get(f"/auth/reset/{token}", follow_redirects=True)
    assert "expired" in response.get_data(as_text=True)


def test_tampered_reset_link_is_refused(client, factory):
    response = client.get("/auth/reset/not-a-real-token", follow_redirects=True)
    assert "not valid" in response.get_data(as_text=True)


def test_short_new_password_is_refused(client, factory, inbox):
    person = factory.person()
    post_form(client, "/auth/forgot", {"email": person.email})
    link = _reset_link(inbox)
    response = post_form(client, link, {"password": "short", "confirm": "short"})
    assert response.status_code == 400
    assert "at least 10" in response.get_data(as_text=True)


def test_change_password_ends_other_sessions(app, client, factory):
    person = factory.person()
    other = app.test_client()
    login(other, person)
    login(client, person)
    response = post_form(client, "/auth/account", {"current": PASSWORD, "password": "another password 1",
                                                   "confirm": "another password 1"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302  # the old session no longer works


def test_passwords_are_stored_as_argon2_hashes(factory):
    person = factory.person()
    db.session.refresh(person)
    assert person.password_hash.startswith("$argon2id$")
    assert PASSWORD not in person.password_hash


def test_session_cookie_flags(make_app, factory):
    app = make_app(LMS_ENV="production")
    client = app.test_client()
    person = factory.person()
    with app.app_context():
        token = csrf_token(client, "/auth/login")
        response = client.post("/auth/login", data={"csrf_token": token, "email": person.email,
                                                    "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("__Host-session=", "__Host-remember_token="):
        cookie = next(c for c in cookies if c.startswith(name))
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
        assert "Domain=" not in cookie


def test_next_is_only_ever_a_path_on_this_site_and_never_a_500(client, factory):
    person = factory.person()
    cases = {
        "/%09/evil.example": "/", "/%0a/evil.example": "/", "/%0d%0aSet-Cookie:%20x=1": "/", "/%00": "/",
        "//evil.example": "/", "/\\evil.example": "/", "/%5Cevil.example": "/", "\\\\evil.example": "/",
        "https://evil.example/": "/", "javascript:alert(1)": "/", "http:/evil.example": "/", "%20//evil.example": "/",
        "/%20/evil.example": "/", "/%E2%80%83/evil.example": "/", "/%7F/x": "/",
        "/learning/?tab=done": "/learning/?tab=done", "/caf%C3%A9": "/caf%C3%A9", "/a%2F%2Fb": "/a//b",
    }
    for target, expected in cases.items():
        with client.session_transaction() as session:
            session.clear()
        token = csrf_token(client, "/auth/login")
        response = client.post(f"/auth/login?next={target}",
                               data={"csrf_token": token, "email": person.email, "password": PASSWORD})
        assert response.status_code == 302, (target, response.status_code)
        assert response.headers["Location"] == expected, (target, response.headers["Location"])


def test_reset_mail_is_sent_after_the_response_for_known_and_unknown_addresses_alike(client, factory, inbox):
    """The request never waits for the relay (here: a relay that holds every message until released), and a known
    and an unknown address take the same path: a request row and an outbox row each; only the background sender
    finds that one address has no account."""
    import hashlib
    import threading

    from sqlalchemy import func, select

    from lms.auth.models import PasswordResetRequest
    from lms.mail.models import OutgoingMail

    person = factory.person()
    release = threading.Event()
    inbox.rcpt_reply = lambda address: None if release.wait(20) else "451 4.3.0 held too long"
    for email in (person.email, "nobody@example.com"):
        response = post_form(client, "/auth/forgot", {"email": email})
        assert response.status_code == 302  # answered while the relay still holds the message
    assert inbox.messages == []
    assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 2
    targets = set(db.session.scalars(select(PasswordResetRequest.target)))
    assert hashlib.sha256(b"nobody@example.com").hexdigest() in targets  # the typed address only as a digest
    release.set()
    assert [m["To"].addresses[0].addr_spec for m in inbox.wait_for(1)] == [person.email]
    kicker.drain(client.application)
    statuses = dict(db.session.execute(select(OutgoingMail.to_address, OutgoingMail.status)).all())
    assert statuses == {person.email: "sent", "nobody@example.com": "skipped"}  # nothing to nobody


def test_reset_requests_cannot_flood_a_mailbox(client, factory, inbox):
    person = factory.person()
    for _ in range(10):
        post_form(client, "/auth/forgot", {"email": person.email})
    kicker.drain(client.application)
    assert len(inbox.messages) == 3  # LMS_RESET_MAX_PER_TARGET per hour


def test_reset_requests_from_one_client_address_are_limited(make_app, factory, inbox):
    app = make_app(LMS_RESET_MAX_PER_CLIENT=4)
    client = app.test_client()
    with app.app_context():
        emails = [factory.person().email for _ in range(6)]
        for email in emails:
            post_form(client, "/auth/forgot", {"email": email})
        kicker.drain(app)
    assert sorted(m["To"].addresses[0].addr_spec for m in inbox.messages) == sorted(emails[:4])
