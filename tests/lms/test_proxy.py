"""X-Forwarded-* headers count only from a trusted proxy (LMS_PROXY_FIX proxies, the nearest one in
LMS_TRUSTED_PROXIES): from anyone else they neither turn on https and HSTS nor choose the client address."""
from __future__ import annotations

import pytest

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Host": "lms.example"}


def get(app, peer: str):
    return app.test_client().get("/auth/login", headers=FORWARDED, environ_base={"REMOTE_ADDR": peer})


def test_without_a_proxy_setting_forwarded_headers_are_ignored(make_app):
    app = make_app()
    response = get(app, "127.0.0.1")
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize(("peer", "trusted"), [("198.51.100.9", False), ("10.0.0.5", True), ("127.0.0.1", False)])
def test_forwarded_headers_count_only_from_a_trusted_proxy(make_app, peer, trusted):
    app = make_app(LMS_PROXY_FIX=1, LMS_TRUSTED_PROXIES=["10.0.0.0/24"])
    seen = {}

    @app.after_request
    def remember(response):
        from flask import request

        seen.update(scheme=request.scheme, address=request.remote_addr, host=request.host)
        return response

    response = get(app, peer)
    assert ("Strict-Transport-Security" in response.headers) is trusted
    assert seen == ({"scheme": "https", "address": "203.0.113.7", "host": "lms.example"} if trusted else
                    {"scheme": "http", "address": peer, "host": "localhost"})


def test_sign_in_throttling_counts_the_forwarded_client_address(make_app, factory):
    from sqlalchemy import select

    from lms.auth.models import LoginAttempt
    from lms.extensions import db
    from tests.conftest import post_form

    app = make_app(LMS_PROXY_FIX=1)
    client = app.test_client()
    with app.app_context():
        post_form(client, "/auth/login", {"email": "nobody@example.com", "password": "wrong password!"},
                  headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert db.session.scalars(select(LoginAttempt.address)).all() == ["203.0.113.7"]
