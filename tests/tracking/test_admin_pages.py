"""Admin pages: LRS clients, recent statements with their JSON, forwarding status."""
from __future__ import annotations

import re

from tests.conftest import login, post_form
from tests.tracking.conftest import Xapi, statement


def test_admin_creates_a_client_sees_the_secret_once_and_can_revoke_it(client, factory):
    login(client, factory.person(permissions=["admin"]))
    page = post_form(client, "/tracking/clients", {"name": "CRM", "scopes": ["write"]})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "shown only this once" in html
    key = re.search(r'id="new-key">([^<]+)<', html).group(1)
    secret = re.search(r'id="new-secret">([^<]+)<', html).group(1)
    crm = Xapi(client, key, secret)
    assert crm.post_statements(statement()).status_code == 200
    assert crm.get("statements").status_code == 403  # write only
    listing = client.get("/tracking/clients").get_data(as_text=True)
    assert key in listing and secret not in listing
    client_id = re.search(r'/tracking/clients/(\d+)/revoke', listing).group(1)
    response = post_form(client, f"/tracking/clients/{client_id}/revoke", {}, form_url="/tracking/clients")
    assert response.status_code == 302
    assert "is revoked" in client.get("/tracking/clients").get_data(as_text=True)
    assert crm.post_statements(statement()).status_code == 401
    audit = client.get("/admin/audit").get_data(as_text=True)  # who issued and who revoked the credentials
    assert "lrs_client.create" in audit and "lrs_client.revoke" in audit and key in audit
    assert secret not in audit


def test_client_form_needs_a_name_and_a_scope(client, factory):
    login(client, factory.person(permissions=["admin"]))
    html = post_form(client, "/tracking/clients", {"name": "", "scopes": []}).get_data(as_text=True)
    assert "This field is required" in html and "new-secret" not in html


def test_recent_statements_link_to_their_json(lrs, client, factory):
    sent = statement(email="ann@example.com", verb="completed", activity="lesson-7")
    lrs.post_statements(sent)
    login(client, factory.person(permissions=["admin"]))
    page = client.get("/tracking/").get_data(as_text=True)
    assert "Ann" in page and "completed" in page and "lesson-7" in page
    assert re.search(r"Awaiting derivation</dt><dd>1 statement", page)
    assert f"/tracking/statements/{sent['id']}" in page
    json_page = client.get(f"/tracking/statements/{sent['id']}").get_data(as_text=True)
    assert sent["id"] in json_page and "&#34;mbox&#34;: &#34;mailto:ann@example.com&#34;" in json_page
    assert client.get("/tracking/statements/no-such-statement").status_code == 404


def test_forwarding_status_says_when_no_external_lrs_is_set(client, factory):
    login(client, factory.person(permissions=["admin"]))
    page = client.get("/tracking/outbox").get_data(as_text=True)
    assert "No external LRS is configured" in page and "No dead letters" in page
