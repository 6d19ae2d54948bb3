"""Headers, CSRF on every form, templates without inline script."""
from __future__ import annotations

import re
from pathlib import Path

from lms.permissions import Permission
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


def test_pages_send_a_strict_content_security_policy(client, factory):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_signed_in_pages_are_not_cached(client, factory):
    login(client, factory.person())
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_scripts_or_event_handlers():
    offenders = []
    for template in ROOT.glob("*/**/templates/**/*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text):
            offenders.append(str(template.relative_to(ROOT)))
        if "style=" in text:
            offenders.append(f"{template.relative_to(ROOT)} (inline style)")
    assert offenders == []


# POST routes that cannot carry a CSRF token, each with what it answers to a forged request instead.
# RFC 8058 one-click unsubscribe: the mail client POSTs the link without a session or a form; the signed link is
# the token, and a link that is not one of ours is a 404.
CSRF_EXEMPT = {"/comms/unsubscribe/x": 404}


def test_every_post_route_requires_a_csrf_token(app, client, factory):
    admin = factory.person(permissions=list(Permission))
    login(client, admin)
    refused = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        args = {name: (admin.id if name.endswith("_id") else "departments" if name == "kind" else "x")
                for name in rule.arguments}
        url = rule.build(args, append_unknown=False)[1]
        response = client.post(url, data={"name": "x"})
        if response.status_code != CSRF_EXEMPT.get(url, 400):
            refused.append(f"{url}: {response.status_code}")
    assert refused == []
    assert client.get("/").status_code == 200  # still signed in: the logout POST was refused too


def test_errors_are_pages_not_tracebacks(client, factory):
    login(client, factory.person())
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is no page at this address" in response.get_data(as_text=True)
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json["status"] == 404
