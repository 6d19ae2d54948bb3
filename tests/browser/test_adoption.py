"""Adoption in Chromium, as its people use it: the manager's stewardship page (a coaching note), the program office's
adoption report and readiness view, and a badge's public verification page; screenshots in test-artifacts/."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from adoption import incentives
from adoption.models import Award
from lms.extensions import db
from tests.adoption.conftest import build_org
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture()
def org(app, factory, client):
    return build_org(factory, client)


def _no_problems(page) -> None:
    assert page.problems.all() == []


def test_manager_page_report_readiness_and_badge_verification(org, page, artifacts, factory):
    from playwright.sync_api import expect

    sign_in(page, "maria@example.com")
    page.goto("/adoption/team")
    expect(page.get_by_role("heading", name="Stewardship: your team")).to_be_visible()
    page.locator(f"#person-{org.id('t2')} summary").click()  # the notes open on demand: one row per person
    page.get_by_label("New note about T2").fill("Trained, not using it: shadow Ana for a day")
    page.locator(f"#person-{org.id('t2')}").get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Only you and this person can read it.").first).to_be_visible()
    expect(page.locator(f"#person-{org.id('t2')}")).to_contain_text("shadow Ana")
    expect(page.locator("table.readiness-table td.barrier")).to_contain_text("2")
    page.screenshot(path=str(artifacts / "adoption-manager.png"), full_page=True)
    _no_problems(page)

    factory.person(permissions=["program_office", "learner"], email="office@example.com")
    page.context.clear_cookies()
    sign_in(page, "office@example.com")
    page.goto("/adoption/")
    expect(page.locator("#kpi-adoption")).to_have_text("50%")
    expect(page.locator("#idle-list")).to_contain_text("T2")
    expect(page.locator("#untrained-list")).to_contain_text("T3")
    page.screenshot(path=str(artifacts / "adoption-report.png"), full_page=True)
    page.goto("/adoption/readiness")
    expect(page.locator("tr[data-team='MARIA']")).to_contain_text("Desire")
    expect(page.locator("tr[data-team='OMAR']")).to_contain_text("Reinforcement")
    page.screenshot(path=str(artifacts / "adoption-readiness.png"), full_page=True)
    _no_problems(page)

    from courses import api as courses_api

    path = next(p for p in courses_api.catalogue().paths if p.slug == "sales")
    incentives.save_rule(incentives.RuleInfo("Sales path finisher", "", "path", path_id=path.id))
    incentives.award_due()
    db.session.commit()
    award = db.session.scalar(select(Award).where(Award.person_id == org.id("t1")))
    page.context.clear_cookies()
    page.goto(f"/badges/credentials/{award.uid}")  # signed out: the page is public
    expect(page.locator("#verify-status")).to_contain_text("Valid")
    expect(page.get_by_role("heading", name="Sales path finisher")).to_be_visible()
    page.screenshot(path=str(artifacts / "adoption-badge-verification.png"), full_page=True)
    _no_problems(page)
