"""Admin pages: LRS clients, recent statements with their JSON, forwarding status."""
from __future__ import annotations

import re

from tests.conftest import login, post_form
from tests.tracking.conftest import SITE, Xapi, statement


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
    assert re.search(r"Awaiting derivation</dt><dd>0 statement", page)  # reading the log derived it first
    assert f"/tracking/statements/{sent['id']}" in page
    json_page = client.get(f"/tracking/statements/{sent['id']}").get_data(as_text=True)
    assert sent["id"] in json_page and "&#34;mbox&#34;: &#34;mailto:ann@example.com&#34;" in json_page
    assert client.get("/tracking/statements/no-such-statement").status_code == 404


def test_forwarding_status_says_when_no_external_lrs_is_set(client, factory):
    login(client, factory.person(permissions=["admin"]))
    page = client.get("/tracking/outbox").get_data(as_text=True)
    assert "No external LRS is configured" in page and "No dead letters" in page


def _listed(client, **params) -> list[str]:
    """The statement ids the records page lists for these filters, in page order."""
    response = client.get("/tracking/", query_string=params)
    assert response.status_code == 200
    return re.findall(r'href="/tracking/statements/([0-9a-f-]{36})"', response.get_data(as_text=True))


def test_records_filter_by_person_verb_and_activity(lrs, client, factory):
    nora = factory.person(email="nora@example.com", employee_id="E-1")
    account = {"objectType": "Agent", "account": {"homePage": "http://localhost", "name": "E-1"}}
    hers = statement(verb="completed", activity="course-1/lesson-2",
                     context={"contextActivities": {"parent": [{"id": SITE + "course-1"}]}})
    hers["actor"] = account
    viewed = statement(verb="experienced", activity="course-1/lesson-2")
    viewed["actor"] = account
    other = statement(email="outsider@example.com", verb="completed", activity="lesson-9")
    from_crm = statement(email="nora@example.com", verb="launched", activity="crm")  # the CRM knows her mailbox
    lrs.post_statements([hers, viewed, other, from_crm])
    login(client, factory.person(permissions=["admin"]))
    assert set(_listed(client)) == {hers["id"], viewed["id"], other["id"], from_crm["id"]}
    for who in ("nora@example.com", "NORA@example.com", "E-1"):
        assert set(_listed(client, person=who)) == {hers["id"], viewed["id"], from_crm["id"]}, who
    assert _listed(client, person=nora.email, verb="completed") == [hers["id"]]
    assert _listed(client, verb="http://adlnet.gov/expapi/verbs/completed", activity=SITE + "course-1") == [
        hers["id"]]  # a course finds the statements of the lessons inside it
    assert _listed(client, person="outsider@example.com") == [other["id"]]  # an email Rapport does not know
    page = client.get("/tracking/", query_string={"person": "E-404"}).get_data(as_text=True)
    assert "Nobody has the email or employee id" in page and "/tracking/statements/" not in page
    page = client.get("/tracking/", query_string={"activity": "not an iri"}).get_data(as_text=True)
    assert "is not an absolute IRI" in page
    assert "No statements match these filters" in client.get(
        "/tracking/", query_string={"verb": "attempted"}).get_data(as_text=True)


def test_records_page_by_page_with_voided_ones_marked(lrs, client, factory):
    sent = [statement(activity=f"lesson-{n}") for n in range(55)]
    lrs.post_statements(sent)
    voiding = statement(verb="voided")
    voiding["object"] = {"objectType": "StatementRef", "id": sent[0]["id"]}
    lrs.post_statements(voiding)
    login(client, factory.person(permissions=["admin"]))
    first = client.get("/tracking/").get_data(as_text=True)
    older = re.search(r'href="(/tracking/\?older=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    seen = _listed(client) + re.findall(r'href="/tracking/statements/([0-9a-f-]{36})"', second)
    assert len(seen) == 56 and set(seen) == {s["id"] for s in sent} | {voiding["id"]}
    assert "Older statements" not in second and re.search(r"voided</span>", second)
    foreign = client.get(older.replace("/tracking/?", "/tracking/?verb=completed&")).get_data(as_text=True)
    assert "That page belongs to another filter" in foreign
