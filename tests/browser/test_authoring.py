"""A trainer builds a course in a real Chromium (lesson with live preview, quiz with questions), targets sales reps
and publishes it; a sales rep then finds it in "My learning". Screenshots go to test-artifacts/."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from courses.models import Course, CourseVersion, Enrolment
from lms.extensions import db
from lms.permissions import Permission
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

LESSON = """# Why stages need evidence

A stage says what the **customer** has done, not what we hope.

| Stage | Evidence |
|---|---|
| Qualified | budget and need confirmed |
| Proposal | quote sent |

!!! tip
    Move a deal only when you can name the evidence.

"""
UNSAFE = """
<script>alert("never runs")</script>
[A bad link](javascript:alert(1))
"""


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_trainer_builds_and_publishes_a_course_that_reaches_a_sales_rep(page, browser, app_server, factory,
                                                                         artifacts):
    factory.job_role("sales_rep")
    trainer = factory.person(name="Tess Trainer", email="tess@example.com", role="trainer",
                             permissions=(Permission.TRAINER, Permission.LEARNER))
    learner = factory.person(name="Sam Seller", email="sam@example.com", role="sales_rep")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    sign_in(page, trainer.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Authoring").click()
    expect(page.get_by_role("heading", name="Courses")).to_be_visible()

    # The course, targeted at sales reps.
    page.get_by_role("link", name="New course").click()
    page.get_by_label("Slug").fill("evidence-based-pipeline")
    page.get_by_label("Title").fill("Evidence-based pipeline")
    page.get_by_label("Training kind").select_option("crm_application")
    page.get_by_label("Summary").fill("Move deals on evidence, not hope.")
    page.get_by_label("Estimated minutes").fill("20")
    page.get_by_role("group", name="Target job roles").get_by_label("Sales rep").check()
    page.get_by_role("button", name="Save course").click()
    expect(page.get_by_role("heading", name="Evidence-based pipeline")).to_be_visible()

    page.get_by_role("link", name="Add a module").click()
    page.get_by_label("Slug").fill("stages")
    page.get_by_label("Title").fill("Pipeline stages")
    page.get_by_role("button", name="Save module").click()
    expect(page.get_by_role("heading", name="Pipeline stages")).to_be_visible()

    # A lesson, with the live preview (author.js) showing the sanitised HTML as the learner will see it.
    page.get_by_role("link", name="Add a lesson to module “Pipeline stages”").click()
    page.get_by_label("Title").fill("Why stages need evidence")
    page.get_by_label("Minutes to read").fill("6")
    page.get_by_label("Lesson text (Markdown)").fill(LESSON + UNSAFE)
    preview = page.locator("#lesson-preview article.lesson-body")
    expect(preview.get_by_role("heading", name="Why stages need evidence")).to_be_visible()
    expect(preview.locator("table")).to_contain_text("quote sent")
    expect(preview.locator(".admonition.tip")).to_contain_text("name the evidence")
    # The preview is sanitised, and says that saving will be refused: the editor keeps only what a pack accepts.
    expect(page.locator("#preview-status")).to_contain_text("Saving will be refused: line 14: raw HTML <script>")
    assert preview.locator("script").count() == 0
    expect(preview.locator("a", has_text="A bad link")).not_to_have_attribute("href", "javascript:alert(1)")
    expect(preview.locator("a[href^='javascript']")).to_have_count(0)
    page.get_by_role("button", name="Save lesson").click()
    expect(page.locator(".field.has-error")).to_contain_text("raw HTML <script> is not allowed")
    page.wait_for_load_state("load")  # author.js (deferred) listens for input from here on
    page.get_by_label("Lesson text (Markdown)").fill(LESSON)
    expect(page.locator("#preview-status")).to_have_text("Preview updated.")
    page.screenshot(path=str(artifacts / "authoring-lesson-preview.png"), full_page=True)
    page.get_by_role("button", name="Save lesson").click()
    expect(page.get_by_role("status").first).to_contain_text("is added")

    # A quiz with a single-choice and a true/false question.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Evidence-based pipeline").click()
    page.get_by_role("link", name="Add a quiz to module “Pipeline stages”").click()
    page.get_by_label("Title").fill("Stages check")
    page.get_by_label("Pass mark (%)").fill("50")
    page.get_by_role("button", name="Save quiz").click()
    expect(page.get_by_role("heading", name="Questions (0)")).to_be_visible()

    page.get_by_role("link", name="Add a question").click()
    page.get_by_label("Question type").select_option("single")
    page.get_by_label("Topic").fill("stages")
    page.get_by_label("Question", exact=True).fill("What moves a deal to Proposal?")
    expect(page.get_by_role("group", name="True or false questions only: The statement is")).to_be_hidden()
    page.get_by_label("Option 1 text").fill("A quote was sent")
    page.get_by_label("Option 1 is right").check()
    page.get_by_label("Option 2 text").fill("The rep feels good about it")
    page.get_by_label("Option 2 explanation").fill("Feelings are not evidence.")
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_role("heading", name="Questions (1)")).to_be_visible()

    page.get_by_role("link", name="Add a question").click()
    page.get_by_label("Question type").select_option("true_false")
    expect(page.get_by_role("group", name="Options (not for true or false questions)")).to_be_hidden()
    page.get_by_label("Question", exact=True).fill("A stage records what we hope the customer will do.")
    page.get_by_label("False", exact=True).check()
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_role("heading", name="Questions (2)")).to_be_visible()

    # Reorder: the quiz is second; move it up and back down.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Evidence-based pipeline").click()
    items = page.locator("#main ol.items > li")
    expect(items).to_have_count(2)
    page.get_by_role("button", name="Move up quiz “Stages check”").click()
    expect(items.first).to_contain_text("Stages check")
    page.get_by_role("button", name="Move down quiz “Stages check”").click()
    expect(items.first).to_contain_text("Why stages need evidence")
    page.screenshot(path=str(artifacts / "authoring-course.png"), full_page=True)

    page.get_by_role("link", name="Publish…").click()
    expect(page.locator("#publish-problems")).to_have_count(0)
    page.get_by_label("What changed").fill("First version")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="Versions and learners")).to_be_visible()
    expect(page.locator("#versions")).to_contain_text("Tess Trainer")
    # The refused save answered 400, which Chromium logs; nothing else may show up.
    assert [p for p in page.problems.all() if "status of 400" not in p] == [] and dialogs == []

    # The course targets sales reps: a sales rep finds it in My learning and enrols.
    db.session.rollback()
    course = db.session.scalar(select(Course).where(Course.slug == "evidence-based-pipeline"))
    assert [role.code for role in course.job_roles] == ["sales_rep"] and course.status == "published"
    version = db.session.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id))
    assert [item["type"] for item in version.content["modules"][0]["items"]] == ["lesson", "quiz"]
    assert "<script" not in version.content["modules"][0]["items"][0]["html"]
    context = browser.new_context(base_url=app_server)
    learner_page = context.new_page()
    errors = []
    learner_page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    learner_page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(learner_page, learner.email)
        learner_page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning").click()
        available = learner_page.locator("section", has=learner_page.get_by_role("heading",
                                                                                  name="Available for your role"))
        expect(available).to_contain_text("Evidence-based pipeline")
        available.get_by_role("button", name="Enrol in Evidence-based pipeline").click()
        expect(learner_page.get_by_text("You are enrolled in")).to_be_visible()
        learner_page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning").click()
        expect(learner_page.get_by_role("link", name="Evidence-based pipeline").first).to_be_visible()
        expect(learner_page.get_by_role("navigation", name="Main").get_by_role("link", name="Authoring")
               ).to_have_count(0)
    finally:
        context.close()
    assert errors == []
    db.session.rollback()
    assert db.session.scalar(select(Enrolment.status).where(Enrolment.course_id == course.id)) == "assigned"
    page.reload()
    expect(page.locator("#learners-table")).to_contain_text("Sam Seller")
    expect(page.locator("#learners-table")).to_contain_text("v1")


def test_pack_upload_errors_are_listed_in_the_browser(page, factory, tmp_path):
    trainer = factory.person(email="tess@example.com", role="trainer", permissions=(Permission.TRAINER,))
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"this is not a zip")

    sign_in(page, trainer.email)
    page.goto("/learning/author/import")
    page.get_by_label("Course pack (.zip)").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()

    problems = page.locator("#pack-problems")
    expect(problems.get_by_role("heading")).to_have_text("Nothing was imported: 1 problem")
    expect(problems.get_by_role("listitem")).to_have_text("upload: not a zip file")
    # The refused upload answers 400, which Chromium logs; nothing else may show up.
    assert [p for p in page.problems.all() if "status of 400" not in p] == []


def test_lesson_preview_works_without_javascript(browser, app_server, factory):
    from tests.courses.builders import build_course

    trainer = factory.person(email="tess@example.com", role="trainer", permissions=(Permission.TRAINER,))
    module_id = build_course("no-script", lessons=1, questions=0, publish=False).modules[0].id
    context = browser.new_context(base_url=app_server, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, trainer.email)
        page.goto(f"/learning/author/modules/{module_id}/lessons/new")
        page.get_by_label("Title").fill("Plain preview")
        page.get_by_label("Lesson text (Markdown)").fill("## Listening\n\nLet the customer finish.")
        page.get_by_role("button", name="Preview").click()
        preview = page.locator("#lesson-preview article.lesson-body")
        expect(preview.get_by_role("heading", name="Listening")).to_be_visible()
        expect(page.get_by_label("Lesson text (Markdown)")).to_have_value("## Listening\n\nLet the customer finish.")
        page.get_by_role("button", name="Save lesson").click()
        expect(page.get_by_role("heading", name="Edit lesson")).to_be_visible()
        expect(preview.get_by_role("heading", name="Listening")).to_be_visible()
    finally:
        context.close()
