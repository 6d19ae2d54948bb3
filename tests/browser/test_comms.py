"""Comms in a real Chromium: the program office builds the audience "sales reps in wave 2 who have not completed
the pipeline course", sees its live count and sample, writes the mail and previews it, sends it, and watches the
progress and the report. Screenshots of the composer, the preview and the report go to test-artifacts/; no
console errors (the strict CSP holds with the live preview and counts)."""
from __future__ import annotations

import re

import pytest

from courses import learning
from courses.enrolment import enrol
from lms.extensions import db
from lms.mail.delivery import deliver
from lms.permissions import Permission
from tests.browser.conftest import sign_in
from tests.browser.test_people_admin import expect
from tests.courses.builders import build_course

pytestmark = pytest.mark.browser


def _org(factory):
    course = build_course("pipeline-basics")
    reps = [factory.person(name=f"Rep{n} Wavetwo", role="sales_rep", wave="Wave 2", email=f"rep{n}@example.com")
            for n in range(4)]
    factory.person(name="Early Bird", role="sales_rep", wave="Wave 1", email="early@example.com")
    factory.person(name="Sam Service", role="service_agent", department="Service", wave="Wave 2")
    enrolments = [enrol(rep, course, source="manual") for rep in reps]
    done = enrolments[0]  # Rep0 has completed the course: not in the audience
    for lesson in course.modules[0].lessons:
        learning.complete_lesson(done, lesson.key)
    quiz = course.modules[0].quizzes[0]
    learning.submit_attempt(learning.start_attempt(done, quiz.key), {q.key: [0] for q in quiz.questions})
    office = factory.person(name="Olga Office", role=None, department="Program Office", email="office@example.com",
                            permissions=(Permission.PROGRAM_OFFICE, Permission.LEARNER))
    db.session.commit()
    return office


def test_the_program_office_builds_an_audience_writes_previews_sends_and_reads_the_report(page, factory, artifacts):
    office = _org(factory)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, office.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Communications").click()
    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
    page.get_by_role("link", name="New audience").first.click()

    page.get_by_label("Audience name").fill("Wave 2 reps without the pipeline course")
    page.get_by_label("Job role").select_option(label="Sales rep")
    page.get_by_label("Rollout wave").select_option(label="Wave 2")
    page.get_by_label("Course", exact=True).select_option(label="Pipeline Basics")
    page.get_by_label("Status in the course").select_option(label="completed")
    page.locator("fieldset", has_text="Course").get_by_label("exclude (is not)").check()
    estimate = page.locator(".estimate")
    expect(estimate.locator('[data-field="reachable"]')).to_have_text("3")  # live, without saving
    expect(estimate.locator(".sample")).to_contain_text("Rep1 Wavetwo")
    expect(estimate.locator(".sample")).not_to_contain_text("Rep0 Wavetwo")
    page.screenshot(path=str(artifacts / "comms-audience.png"), full_page=True)
    page.get_by_role("button", name="Save audience").click()
    expect(page.locator(".flash-success")).to_contain_text("saved")

    page.get_by_role("navigation", name="Communications").get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Campaign name").fill("Pipeline reminder")
    page.get_by_label("Subject").fill("{{ first_name }}, the pipeline course is waiting")
    page.get_by_label("Sender name").fill("CRM Program Office")
    page.get_by_label("Category").select_option(label="Reminder")
    page.get_by_label("Audience").select_option(label="Wave 2 reps without the pipeline course")
    page.get_by_label("Message (Markdown)").fill(
        "Hello {{ first_name }},\n\nYour courses:\n\n{{ due }}\n\nOpen [My learning]({{ my_learning_url }}).")
    preview = page.locator("#preview")
    expect(preview.locator('[data-field="preview-text"]')).to_contain_text("Hello Olga,")  # live, before saving
    expect(preview.locator('[data-field="preview-subject"]')).to_have_text("Olga, the pipeline course is waiting")
    frame = page.frame_locator("iframe[name=mail-preview]")
    expect(frame.locator("body")).to_contain_text("Hello Olga,")
    page.get_by_label("Message (Markdown)").fill("Hello {{ frist_name }}")
    expect(preview.locator('[data-field="preview-error"]')).to_contain_text("frist_name")
    page.get_by_label("Message (Markdown)").fill(
        "Hello {{ first_name }},\n\nYour courses:\n\n{{ due }}\n\nOpen [My learning]({{ my_learning_url }}).")
    expect(preview.locator('[data-field="preview-error"]')).to_be_hidden()
    page.screenshot(path=str(artifacts / "comms-composer.png"), full_page=True)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.frame_locator("iframe[name=mail-preview]").locator("body")).to_contain_text("My learning")
    page.locator("#preview").screenshot(path=str(artifacts / "comms-preview.png"))

    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_text("Sending to 3 recipient(s).")).to_be_visible()
    report = deliver()
    assert report.sent == 3
    expect(page.locator('[data-field="sent"]')).to_have_text("3", timeout=15_000)  # the page refreshes itself
    expect(page.locator('[data-field="remaining"]')).to_have_text("0")
    page.get_by_role("link", name="Report").first.click()
    expect(page.get_by_role("heading", name=re.compile("Report: Pipeline reminder"))).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("finished")
    expect(page.locator(".figures")).to_contain_text("Delivered")
    expect(page.get_by_role("table", name="By rollout wave")).to_contain_text("Wave 2")
    page.screenshot(path=str(artifacts / "comms-report.png"), full_page=True)
    assert page.problems.all() == []
