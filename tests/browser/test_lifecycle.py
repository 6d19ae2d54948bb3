"""Lifecycle journeys in a real Chromium: an admin invites a new hire, who sets a password from the demo mailbox;
the program office writes kudos on the recognition wall and switches on automatic messages. Screenshots go to
test-artifacts/."""
from __future__ import annotations

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from courses.enrolment import enrol, today
from lms.extensions import db
from lms.mail.demo_mailbox import FolderHandler
from lms.permissions import Permission
from tests.browser.conftest import sign_in
from tests.conftest import free_port
from tests.courses.builders import build_course

pytestmark = pytest.mark.browser


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture()
def app(make_app, tmp_path):
    """The app with the demo's own SMTP server (mail kept as .eml files) and its mailbox page."""
    folder = tmp_path / "demo-mail"
    controller = Controller(FolderHandler(folder), hostname="127.0.0.1", port=free_port())
    controller.start()
    app = make_app(LMS_SMTP_PORT=controller.port, LMS_DEMO_MAILBOX=str(folder))
    with app.app_context():
        yield app
        db.session.remove()
    controller.stop()


def test_an_invited_new_hire_sets_a_password_from_the_demo_mailbox(app, app_server, page, browser, factory,
                                                                  artifacts):
    app.config["LMS_BASE_URL"] = app_server  # mail links point at the port served, as in the demo
    factory.person(name="Alex Admin", email="admin@example.com", permissions=(Permission.ADMIN, Permission.LEARNER))
    sign_in(page, "admin@example.com")
    page.goto("/admin/people/new")
    page.get_by_label("Full name").fill("Nina Newcomer")
    page.get_by_label("Email").fill("nina@example.com")
    expect(page.get_by_label("Invite by mail")).to_be_checked()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("1 invitation sent")).to_be_visible()
    expect(page.locator("#invitation")).to_contain_text("Invited")
    page.screenshot(path=str(artifacts / "lifecycle-invitation-person.png"), full_page=True)

    page.get_by_role("link", name="Demo mailbox").click()
    row = page.get_by_role("link", name="You are invited to Rapport: set your password")
    for _ in range(50):  # the mail is sent in the background right after the response
        if row.count():
            break
        page.wait_for_timeout(200)
        page.reload()
    row.click()
    expect(page.frame_locator("iframe.mail-frame").get_by_role("link", name="Choose your password")).to_be_visible()
    page.screenshot(path=str(artifacts / "lifecycle-demo-mailbox.png"), full_page=True)
    link = page.locator("#mail-links a").first.get_attribute("href")
    assert link.startswith(app_server + "/auth/welcome/")

    newcomer = browser.new_context(base_url=app_server).new_page()
    newcomer.goto(link)
    expect(newcomer.get_by_role("heading", name="Welcome to Rapport, Nina Newcomer")).to_be_visible()
    newcomer.get_by_label("New password", exact=True).fill("nina's first password")
    newcomer.get_by_label("Repeat the new password").fill("nina's first password")
    newcomer.screenshot(path=str(artifacts / "lifecycle-welcome-set-password.png"), full_page=True)
    newcomer.get_by_role("button", name="Set my password").click()
    expect(newcomer.get_by_text("Your password is set and you are signed in")).to_be_visible()
    newcomer.goto(link)  # the link worked once
    expect(newcomer.get_by_text("already used to set a password")).to_be_visible()
    newcomer.screenshot(path=str(artifacts / "lifecycle-invitation-used.png"), full_page=True)
    newcomer.context.close()

    page.goto("/admin/people")
    expect(page.locator("#people")).to_contain_text("accepted")
    assert page.problems.all() == []


def test_the_program_office_writes_kudos_and_switches_on_automatic_messages(app, app_server, page, factory,
                                                                            artifacts):
    factory.person(name="Priya Office", email="office@example.com",
                   permissions=(Permission.PROGRAM_OFFICE, Permission.LEARNER))
    boss = factory.person(name="Maria Manager", email="maria@example.com", role="sales_manager",
                          permissions=(Permission.MANAGER, Permission.LEARNER))
    rep = factory.person(name="Rita Rep", email="rita@example.com", manager=boss)
    enrol(rep, build_course("crm-basics"), due_date=today() + timedelta(days=2))
    db.session.commit()
    sign_in(page, "office@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Recognition").click()
    page.get_by_role("link", name="Write kudos").click()
    person = page.get_by_label("About a person")
    person.press_sequentially("rita")  # suggestions come from the people search as it is typed
    expect(page.locator("#kudos-people option")).to_have_count(1)
    assert page.locator("#kudos-people option").get_attribute("value") == "Rita Rep (rita@example.com)"
    person.fill("Rita Rep (rita@example.com)")  # what choosing the suggestion puts in the field
    page.get_by_label("Kudos").fill("Logged every opportunity of the week in the CRM, with next steps.")
    page.get_by_role("button", name="Post kudos").click()
    expect(page.get_by_text("Your kudos is on the recognition wall.")).to_be_visible()
    page.get_by_role("link", name="Write kudos").click()
    page.get_by_label("… or about a team").select_option(label="Maria Manager's team")
    page.get_by_label("Kudos").fill("First wave live on the CRM. Thank you!")
    page.get_by_role("button", name="Post kudos").click()
    wall = page.locator("#kudos-wall li")
    expect(wall).to_have_count(2)
    expect(wall.first).to_contain_text("Maria Manager's team")
    page.screenshot(path=str(artifacts / "lifecycle-recognition-wall.png"), full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Automatic messages").click()
    reminder = page.locator("section.auto-kind", has_text="Reminder before a due date")
    reminder.get_by_role("link", name="Edit the template").click()
    page.get_by_label("Switched on").check()
    page.get_by_label("Days before the due date").fill("4")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("saved and switched on")).to_be_visible()
    expect(page.frame_locator("iframe.mail-frame").get_by_text("Lead to cash")).to_be_visible()
    page.screenshot(path=str(artifacts / "lifecycle-automatic-edit.png"), full_page=True)
    page.locator("iframe.mail-frame").screenshot(path=str(artifacts / "lifecycle-automatic-preview.png"))
    page.goto("/comms/automatic/")
    page.locator("section.auto-kind", has_text="Daily digest").get_by_role("button", name="Switch on").click()
    expect(page.locator("section.auto-kind", has_text="Daily digest")).to_contain_text("On")
    page.screenshot(path=str(artifacts / "lifecycle-automatic-settings.png"), full_page=True)
    assert page.problems.all() == []
