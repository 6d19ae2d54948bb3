"""People and admin journeys in a real Chromium: sign-in and menus by permission, roster import (success and
an invalid row), a manager's team page, security headers and a clean console."""
from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.people.models import Person
from lms.permissions import Permission
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

HEADER = ["employee_id", "email", "name", "job_role", "department", "manager", "hire_date", "wave"]


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def write_roster(path, rows) -> str:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return str(path)


def main_menu(page):
    return page.get_by_role("navigation", name="Main")


def people_count() -> int:
    db.session.rollback()  # end any read transaction the test holds, to see what the server committed
    return db.session.scalar(select(func.count(Person.id)))


def make_admin(factory) -> Person:
    admin = factory.person(name="Alex Admin", email="admin@example.com",
                           permissions=(Permission.ADMIN, Permission.LEARNER))
    factory.job_role("sales_manager")
    db.session.commit()
    return admin


def open_import_page(page):
    main_menu(page).get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Import roster").click()
    expect(page.get_by_role("heading", name="Import a roster")).to_be_visible()


def test_learner_sees_learning_but_not_the_staff_menus(page, factory):
    learner = factory.person(name="Lee Learner", email="lee@example.com")

    sign_in(page, learner.email)

    menu = main_menu(page)
    expect(menu.get_by_role("link", name="My learning")).to_be_visible()
    for label in ("Admin", "Communications", "Governance", "My team"):
        expect(menu.get_by_role("link", name=label, exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Lee Learner")).to_be_visible()


def test_admin_imports_a_roster_with_the_manager_after_the_reports(page, factory, tmp_path, artifacts):
    admin = make_admin(factory)
    roster = write_roster(tmp_path / "roster.csv", [  # the manager, E2000, comes after both reports
        ["E2001", "rita.rep@example.com", "Rita Rep", "sales_rep", "Sales", "E2000", "2026-01-12", "Wave 1"],
        ["E2002", "sven@example.com", "Sven Seller", "sales_rep", "Sales", "E2000", "2026-02-02", "Wave 1"],
        ["E2000", "mona@example.com", "Mona Manager", "sales_manager", "Sales", "", "2019-05-01", "Wave 1"],
    ])

    sign_in(page, admin.email)
    expect(main_menu(page).get_by_role("link", name="Admin", exact=True)).to_be_visible()
    open_import_page(page)
    page.get_by_label("Roster CSV file").set_input_files(roster)
    page.get_by_role("button", name="Import").click()

    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Roster imported: 3 rows: created 3")
    people_table = page.locator("table#people")
    for name in ("Rita Rep", "Sven Seller", "Mona Manager"):
        expect(people_table.get_by_role("link", name=name)).to_be_visible()
    expect(people_table.get_by_role("row").filter(has_text="Rita Rep")).to_contain_text("Wave 1")
    page.screenshot(path=str(artifacts / "people-list-after-import.png"), full_page=True)

    db.session.rollback()
    imported = Person.employee_id.in_(["E2000", "E2001", "E2002"])
    managers = dict(db.session.execute(select(Person.name, Person.manager_id).where(imported)).all())
    mona = db.session.scalar(select(Person.id).where(Person.employee_id == "E2000"))
    assert managers == {"Rita Rep": mona, "Sven Seller": mona, "Mona Manager": None}


def test_admin_sees_the_bad_row_and_nothing_is_imported(page, factory, tmp_path, artifacts):
    admin = make_admin(factory)
    roster = write_roster(tmp_path / "bad.csv", [
        ["E3001", "ok.one@example.com", "Okay One", "sales_rep", "Sales", "", "2026-01-12", "Wave 1"],
        ["E3002", "ok.two@example.com", "Okay Two", "sales_rep", "Sales", "", "2026-01-12", "Wave 1"],
        ["E3003", "not-an-email", "Bad Row", "sales_rep", "Sales", "", "2026-01-12", "Wave 1"],
        ["E3004", "ok.four@example.com", "Okay Four", "sales_rep", "Sales", "", "2026-01-12", "Wave 1"],
    ])
    before = people_count()

    sign_in(page, admin.email)
    open_import_page(page)
    page.get_by_label("Roster CSV file").set_input_files(roster)
    page.get_by_role("button", name="Import").click()

    report = page.locator("#import-report")
    expect(report.get_by_role("heading")).to_have_text("Nothing was imported: 1 problem")
    rows = report.get_by_role("row").filter(has_text="not-an-email")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("cell").first).to_have_text("4")  # header is line 1, the bad row line 4
    expect(rows).to_contain_text("'not-an-email' is not valid")
    page.screenshot(path=str(artifacts / "import-error.png"), full_page=True)

    assert people_count() == before
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="People").click()
    people_rows = page.locator("table#people tbody tr")
    expect(people_rows).to_have_count(1)
    expect(people_rows).to_contain_text("Alex Admin")


def test_manager_sees_their_team(page, factory):
    manager = factory.person(name="Maria Manager", email="maria@example.com", role="sales_manager",
                             permissions=(Permission.MANAGER, Permission.LEARNER))
    factory.person(name="Rob Report", manager=manager, wave="Wave 2")
    factory.person(name="Ria Report", manager=manager)
    factory.person(name="Nina Nobody")

    sign_in(page, manager.email)
    main_menu(page).get_by_role("link", name="My team").click()

    expect(page.get_by_role("heading", name="My team")).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text="Rob Report")).to_contain_text("Wave 2")
    expect(table).to_contain_text("Ria Report")
    expect(table).not_to_contain_text("Nina Nobody")
    expect(main_menu(page).get_by_role("link", name="Admin", exact=True)).to_have_count(0)


def test_pages_send_a_csp_and_log_no_console_errors(page, factory):
    admin = make_admin(factory)

    sign_in(page, admin.email)
    response = page.goto("/admin/people/import")

    assert response.status == 200
    csp = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp, csp
    expect(page.get_by_role("heading", name="Import a roster")).to_be_visible()
    page.goto("/admin/people")
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
    problems = page.problems.all()
    assert problems == []


def test_browser_finds_a_favicon(page, factory):
    learner = factory.person()

    sign_in(page, learner.email)

    icon = page.locator("link[rel~='icon']")
    href = icon.first.get_attribute("href") if icon.count() else "/favicon.ico"
    assert href.startswith("data:") or page.request.get(href).ok, f"the page's icon {href} does not load"
