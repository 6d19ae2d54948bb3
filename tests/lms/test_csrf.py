"""CSRF tokens: a new one at sign-in (a token from before it is refused), a lifetime (an old form gets the "form
expired" page), and over HTTPS the session cookie takes the __Host- prefix (see test_auth for its flags)."""
from __future__ import annotations

import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.conftest import PASSWORD, csrf_token, login


def test_the_token_from_before_sign_in_is_refused_after_it(client, factory):
    person = factory.person()
    before = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"csrf_token": before, "email": person.email, "password": PASSWORD})
    assert response.status_code == 302
    after = csrf_token(client, "/auth/account")
    assert after != before
    response = client.post("/auth/logout", data={"csrf_token": before})
    assert response.status_code == 400 and "The form had expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200  # still signed in
    assert client.post("/auth/logout", data={"csrf_token": after}).status_code == 302


def test_a_form_older_than_the_time_limit_gets_the_form_expired_page(app, client, factory):
    assert app.config["WTF_CSRF_TIME_LIMIT"] == 4 * 3600
    login(client, factory.person())
    csrf_token(client, "/auth/account")  # the session now holds its raw token
    with client.session_transaction() as session:
        raw = session["csrf_token"]

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 4 * 3600 - 60

    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token", signer=Earlier).dumps(raw)
    response = client.post("/auth/logout", data={"csrf_token": old})
    assert response.status_code == 400
    assert "The form had expired or came from another site. Go back, reload and try again." in response.get_data(
        as_text=True)
    fresh = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(raw)
    assert client.post("/auth/logout", data={"csrf_token": fresh}).status_code == 302


def test_plain_http_development_keeps_the_plain_cookie_name(client, factory):
    response = login(client, factory.person())
    assert any(c.startswith("session=") for c in response.headers.getlist("Set-Cookie"))
