"""Sign-in throttling never refuses the owner's right password outright: past the limits it mails a one-time sign-in
link (the proof), the per-address rule counts accounts tried rather than failures, attempts are counted before they
are checked (so parallel guesses get no more checks than the limit, on a real served app), an admin sees and lifts
locks, and sign-ins, failures and locks are audited."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from lms.audit.models import AuditEvent
from lms.auth.models import LoginThrottle
from lms.extensions import db
from lms.mail import kicker
from lms.permissions import Permission
from lms.types import utcnow
from tests.conftest import PASSWORD, login, post_form
from tests.tracking.peer import serve

WRONG = "not the password at all"


def attempt(client, email: str, password: str, **kwargs):
    return post_form(client, "/auth/login", {"email": email, "password": password}, form_url="/auth/login", **kwargs)


def link_in(inbox) -> str:
    inbox.wait_for(1)  # mail is sent after the response, in the background
    match = re.search(r"http://localhost(/auth/link/\S+)", inbox.text())
    assert match, inbox.text()
    return match.group(1)


def allow_next_check(email: str) -> None:
    """As if the throttled account's delay had passed."""
    db.session.execute(update(LoginThrottle).where(LoginThrottle.account == email)
                       .values(next_check_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def actions() -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(e.action, e.target) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_after_five_failures_the_right_password_mails_a_sign_in_link(client, factory, inbox):
    person = factory.person()
    for _ in range(5):
        assert attempt(client, person.email, WRONG).status_code == 401
    response = attempt(client, person.email, PASSWORD)
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and "one-time sign-in link" in page
    assert client.get("/").status_code == 302  # not signed in yet: the proof is the mail
    link = link_in(inbox)
    assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == person.email
    assert "Finish signing in" in client.get(link).get_data(as_text=True)  # GET alone uses nothing up
    response = post_form(client, link, {})
    assert response.status_code == 302 and client.get("/").status_code == 200
    post_form(client, "/auth/logout", {}, form_url="/")
    used = client.get(link, follow_redirects=True)  # it works once only
    assert "expired or was already used" in used.get_data(as_text=True) and client.get("/").status_code == 302
    assert attempt(client, person.email, PASSWORD).status_code == 302  # the count was reset
    assert ("auth.locked", person.email) in actions()
    assert ("auth.sign_in_link_sent", person.email) in actions()


def test_past_the_limit_right_and_wrong_passwords_get_the_same_answer_and_checks_are_spaced(client, factory,
                                                                                           inbox):
    person = factory.person()
    for _ in range(5):
        attempt(client, person.email, WRONG)
    wrong = attempt(client, person.email, WRONG)
    soon = attempt(client, person.email, PASSWORD)
    assert soon.status_code == 429 and 1 <= int(soon.headers["Retry-After"]) <= 30
    kicker.drain(client.application)
    assert "Wait" in soon.get_data(as_text=True) and inbox.messages == []
    allow_next_check(person.email)
    right = attempt(client, person.email, PASSWORD)
    kicker.drain(client.application)
    assert wrong.status_code == right.status_code == 401
    message = re.compile(r'<div class="form-errors" role="alert">(.*?)</div>', re.S)
    assert message.search(wrong.get_data(as_text=True)).group(1) == message.search(
        right.get_data(as_text=True)).group(1)
    assert len(inbox.messages) == 1


def test_made_up_emails_from_one_address_do_not_lock_out_the_others(make_app, factory, inbox):
    app = make_app(LMS_LOGIN_MAX_ACCOUNTS_PER_ADDRESS=3)
    client, elsewhere = app.test_client(), app.test_client()
    with app.app_context():
        person = factory.person()
        for n in range(3):
            attempt(client, f"made-up-{n}@example.com", WRONG)
        response = attempt(client, person.email, PASSWORD)  # the fourth account tried from this address
        assert response.status_code == 401 and "one-time sign-in link" in response.get_data(as_text=True)
        assert post_form(client, link_in(inbox), {}).status_code == 302 and client.get("/").status_code == 200
        # From another address the rule does not apply at all.
        other = factory.person()
        assert attempt(elsewhere, other.email, PASSWORD, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 302
        assert ("auth.address_flagged", "127.0.0.1") in actions()


def test_the_address_rule_counts_accounts_not_failures(make_app, factory):
    app = make_app(LMS_LOGIN_MAX_ACCOUNTS_PER_ADDRESS=3)
    client = app.test_client()
    with app.app_context():
        victim, colleague = factory.person(), factory.person()
        for _ in range(12):
            attempt(client, victim.email, WRONG)
        assert attempt(client, colleague.email, PASSWORD).status_code == 302


def test_an_admin_sees_and_lifts_a_lock(app, client, factory):
    person = factory.person()
    stranger = app.test_client()
    for _ in range(6):
        attempt(stranger, person.email, WRONG)
    admin = factory.person(permissions=(Permission.ADMIN,))
    login(client, admin)
    page = client.get("/admin/sign-in-locks").get_data(as_text=True)
    assert person.email in page and "6 attempts" in page
    response = post_form(client, "/admin/sign-in-locks/lift", {"kind": "account", "key": person.email},
                         form_url="/admin/sign-in-locks", follow_redirects=True)
    assert "The lock on" in response.get_data(as_text=True)
    assert person.email not in client.get("/admin/sign-in-locks").get_data(as_text=True)
    assert attempt(stranger, person.email, PASSWORD).status_code == 302
    assert ("auth.unlocked", person.email) in actions()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.unlocked"))
    assert event.actor_id == admin.id


def test_sign_ins_and_failures_are_audited(client, factory):
    person = factory.person()
    attempt(client, person.email, WRONG)
    attempt(client, "nobody@example.com", WRONG)
    attempt(client, person.email, PASSWORD)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("auth.%"))
                                .order_by(AuditEvent.id)).all()
    assert [(e.action, e.target, e.details.get("reason")) for e in events] == [
        ("auth.sign_in_failed", person.email, "wrong password"),
        ("auth.sign_in_failed", "nobody@example.com", "no such active account"),
        ("auth.sign_in", person.email, None),
    ]
    assert events[-1].actor_id == person.id and events[-1].details["address"] == "127.0.0.1"


def test_parallel_guesses_get_no_more_checks_than_the_limit(make_app, factory):
    """20 guesses at once against a served app (threads, real HTTP; SQLite or PostgreSQL as configured)."""
    app = make_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        person = factory.person()
        email = person.email
    results: list[tuple[int, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(20)
    with serve(app) as url:
        def guess():
            with httpx.Client(base_url=url, timeout=60) as http:
                start.wait()
                response = http.post("/auth/login", data={"email": email, "password": WRONG})
            with lock:
                results.append((response.status_code, response.text))

        threads = [threading.Thread(target=guess) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
    assert len(results) == 20
    checked = [status for status, text in results if "do not match" in text]
    assert len(checked) == 5, sorted(status for status, _ in results)
    assert all(status in (401, 429) for status, _ in results)
    with app.app_context():
        failures = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).all()
        assert sum(e.details["reason"] == "wrong password" for e in failures) == 5
        assert db.session.get(LoginThrottle, email).attempts == 20


def test_an_attacker_guessing_without_pause_cannot_keep_the_owner_out(app, client, factory, inbox):
    person = factory.person()
    attacker = app.test_client()
    for _ in range(8):  # the check slot is always taken by the attacker's guesses
        attempt(attacker, person.email, WRONG)
    assert attempt(client, person.email, PASSWORD).status_code == 429  # the owner's password must wait...
    response = post_form(client, "/auth/link", {"email": person.email}, follow_redirects=True)
    assert "a one-time sign-in link is on its way" in response.get_data(as_text=True)
    assert len(inbox.wait_for(1)) == 1  # ...but the mailed link needs no password check at all
    assert post_form(client, link_in(inbox), {}).status_code == 302 and client.get("/").status_code == 200
    # An account that is not locked gets no link (it signs in with its password, or resets it); same answer.
    inbox.clear()
    other = factory.person()
    response = post_form(app.test_client(), "/auth/link", {"email": other.email}, follow_redirects=True)
    kicker.drain(app)
    assert "a one-time sign-in link is on its way" in response.get_data(as_text=True) and inbox.messages == []
