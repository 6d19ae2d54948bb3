"""Governance in a real Chromium: the sponsor's dashboard, the gap report drilled down to a person, a goal's page
and the meeting page; the program office records a value and a decision; a manager sees their own team only.
Screenshots go to test-artifacts/; no console errors (the strict CSP holds with the charts on the pages)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from governance import services_board as board
from governance import services_goals as goals
from governance import services_meetings as meetings
from lms.extensions import db
from lms.types import utcnow
from tests.browser.conftest import sign_in
from tests.browser.test_people_admin import expect
from tests.governance.conftest import build_org, void
from tests.governance.test_pages import _goal

pytestmark = pytest.mark.browser


def _story(factory, client):
    org = build_org(factory, client)
    void(org, org.voided_statement)
    sponsor = factory.person(permissions=["sponsor", "learner"], email="sponsor@example.com", name="Sam Sponsor")
    office = factory.person(permissions=["program_office", "learner"], email="office@example.com",
                            name="Priya Office")
    seats = {role.code: role for role in board.ensure_default_roles()}
    board.assign(seats["executive_sponsor"], sponsor.id, actor_id=None)
    board.assign(seats["program_lead"], office.id, actor_id=None)
    board.assign(seats["process_sme"], org.id("maria"), actor_id=None)
    board.assign(seats["people_sme"], office.id, actor_id=None)
    goal = _goal(org)
    today = utcnow().date()
    goals.record_values(goal, [goals.ValueInfo(today - timedelta(days=50), 27),
                               goals.ValueInfo(today - timedelta(days=20), 24)], source="api")
    held = meetings.schedule(today - timedelta(days=85), "Governance board, Q3", actor_id=None)
    meetings.add_decision(held, "Sales managers coach forecasts weekly.", actor_id=None)
    meetings.hold(held, today - timedelta(days=85), {}, actor_id=None)
    meetings.reschedule(meetings.next_meeting(), today + timedelta(days=5), actor_id=None)
    meetings.add_action(meetings.ActionInfo("Name a technology SME", sponsor.id, today - timedelta(days=10),
                                            None, held.id), actor_id=None)
    db.session.commit()
    return org, sponsor, office, goal


def test_the_sponsor_walks_dashboard_gaps_to_a_person_a_goal_and_the_meeting(page, factory, client, artifacts):
    org, sponsor, _office, goal = _story(factory, client)
    sign_in(page, sponsor.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Governance").click()
    expect(page.get_by_role("heading", name="Governance dashboard")).to_be_visible()
    expect(page.get_by_role("alert").first).to_contain_text("The Technology SME seat is vacant.")
    expect(page.locator(".kpi").first).to_contain_text("25%")
    expect(page.get_by_text("Name a technology SME — Sam Sponsor")).to_be_visible()
    page.wait_for_load_state("networkidle")
    for chart in page.locator(".charts img").all():
        assert chart.evaluate("img => img.complete && img.naturalWidth > 100"), chart.get_attribute("src")
    page.screenshot(path=str(artifacts / "governance-dashboard.png"), full_page=True)

    page.get_by_role("link", name="Training gaps", exact=True).first.click()
    table = page.locator("#gap-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    sales = table.locator("tbody tr", has_text="Sales")
    expect(sales).to_contain_text("Forecasts within 10%")
    page.screenshot(path=str(artifacts / "governance-gaps.png"), full_page=True)
    sales.get_by_role("link", name="Sales").click()  # department -> job role
    expect(page.get_by_text("Department: Sales")).to_be_visible()
    expect(page.get_by_role("heading", name="By job role")).to_be_visible()
    table.get_by_role("link", name="Sales rep").click()  # job role -> wave
    expect(page.get_by_role("heading", name="By rollout wave")).to_be_visible()
    table.get_by_role("link", name="W1").click()  # wave -> manager
    expect(page.get_by_role("heading", name="By manager")).to_be_visible()
    table.get_by_role("link", name="MARIA").click()  # manager -> people
    expect(page.get_by_role("heading", name="By person")).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(2)  # S3 and S1, in W1
    page.get_by_role("link", name="S3").click()
    expect(page.get_by_role("heading", name="S3")).to_be_visible()
    expect(page.locator("#person-requirements tbody tr")).to_have_count(2)
    expect(page.locator("#person-requirements")).to_contain_text("Overdue")
    page.screenshot(path=str(artifacts / "governance-gap-person.png"), full_page=True)

    page.get_by_role("link", name="Goals", exact=True).click()
    page.get_by_role("link", name="Forecasts within 10%").click()
    expect(page.get_by_role("heading", name="Forecasts within 10%")).to_be_visible()
    expect(page.locator(".gov-rule")).to_contain_text("On track: the trend of the recorded values")
    expect(page.locator("#goal-values tbody tr")).to_have_count(2)
    page.wait_for_load_state("networkidle")
    assert page.locator("figure img").evaluate("img => img.complete && img.naturalWidth > 100")
    page.screenshot(path=str(artifacts / "governance-goal.png"), full_page=True)

    page.get_by_role("link", name="Meetings & actions").click()
    page.locator("#meetings").get_by_role("link").first.click()  # the next meeting, planned
    expect(page.get_by_role("heading", name="Agenda")).to_be_visible()
    expect(page.locator(".agenda")).to_contain_text("Largest training gaps")
    expect(page.locator("#open-actions")).to_contain_text("overdue")
    page.screenshot(path=str(artifacts / "governance-meeting.png"), full_page=True)
    assert page.problems.all() == []


def test_the_program_office_records_a_value_and_a_decision(page, factory, client, artifacts):
    _org, _sponsor, office, goal = _story(factory, client)
    sign_in(page, office.email)
    page.goto(f"/governance/goals/{goal.id}")
    page.get_by_label("Measured on").fill(utcnow().date().isoformat())
    page.get_by_label("Value", exact=True).fill("21.5")
    page.get_by_role("button", name="Record value").click()
    expect(page.get_by_text("21.5% recorded")).to_be_visible()
    expect(page.locator("#goal-values tbody tr")).to_have_count(3)
    page.goto("/governance/meetings")
    page.locator("#meetings").get_by_role("link").first.click()
    page.get_by_role("textbox", name="Decision").fill("Wave 2 goes live as planned.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#decisions")).to_contain_text("Wave 2 goes live as planned.")
    page.screenshot(path=str(artifacts / "governance-meeting-office.png"), full_page=True)
    assert page.problems.all() == []


def test_a_manager_sees_their_team_only(page, factory, client, artifacts):
    org, *_ = _story(factory, client)
    sign_in(page, "omar@example.com")  # a manager, not on the board
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Training gaps").click()
    expect(page.get_by_role("heading", name="Training gaps: OMAR's team")).to_be_visible()
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Governance").count() == 0
    page.get_by_label("Group by").select_option("person")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("#gap-table tbody tr")
    expect(rows).to_have_count(3)
    assert sorted(rows.locator("th a").all_inner_texts()) == ["C1", "V1", "V2"]
    page.screenshot(path=str(artifacts / "governance-manager.png"), full_page=True)
    page.goto(f"/governance/gaps/people/{org.id('s1')}")  # Maria's report, not Omar's
    expect(page.get_by_role("heading", name="404")).to_be_visible()
    assert all("404" in problem for problem in page.problems.all())  # only the refused page itself
