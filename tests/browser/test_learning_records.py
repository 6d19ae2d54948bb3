"""The admin's learning records in a real Chromium: filter the statement log by person and verb, open one
statement's JSON, and see forwarding and derivation status; no console errors (CSP)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_people_admin import expect
from tests.tracking.conftest import Xapi, make_client, statement

pytestmark = pytest.mark.browser


def test_admin_filters_the_records_and_opens_a_statement(page, client, factory, artifacts):
    lrs = Xapi(client, *make_client())
    factory.person(email="nora@example.com", employee_id="E-7", name="Nora Quinn")
    nora = {"objectType": "Agent", "name": "Nora Quinn", "account": {"homePage": "http://localhost", "name": "E-7"}}
    passed = statement(verb="passed", activity="quiz-qualifying-leads", result={"score": {"scaled": 0.9},
                                                                                 "success": True})
    viewed = statement(verb="experienced", activity="lesson-qualifying-leads")
    passed["actor"] = viewed["actor"] = nora
    others = [statement(email=f"rep{n}@example.com", verb="passed", activity="quiz-qualifying-leads")
              for n in range(3)]
    assert lrs.post_statements([viewed, passed, *others]).status_code == 200
    admin = factory.person(permissions=["admin"], email="admin@example.com")
    sign_in(page, admin.email)
    page.goto("/tracking/")
    table = page.locator("#statements")
    expect(table.locator("tbody tr")).to_have_count(5)
    page.get_by_label("Person").fill("E-7")
    page.get_by_label("Verb").fill("passed")
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    row = table.locator("tbody tr").first
    expect(row).to_contain_text("Nora Quinn")
    expect(row).to_contain_text("90% passed")
    page.screenshot(path=str(artifacts / "learning-records.png"), full_page=True)
    row.get_by_role("link", name="JSON").click()
    expect(page.locator("pre")).to_contain_text(passed["id"])
    expect(page.locator("pre")).to_contain_text('"name": "E-7"')
    page.go_back()
    page.get_by_label("Person").fill("nobody-here")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Nobody has the email or employee id 'nobody-here'.")).to_be_visible()
    assert page.problems.all() == []
