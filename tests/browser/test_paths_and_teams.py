"""In a real Chromium: a trainer builds a learning path with a job-role rule and a due date, previews who it
matches and saves it; a sales rep finds it in My learning; their manager sees the rep's status on the team page.
A learner out of attempts is told who can help and the trainer grants one; the editor warns before unsaved
changes are lost; the paths table fits a phone. Screenshots go to test-artifacts/."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from courses import learning
from courses.enrolment import enrol, today
from courses.models import PathAssignment
from lms.extensions import db
from lms.permissions import Permission
from tests.browser.conftest import sign_in
from tests.courses.builders import build_course

pytestmark = pytest.mark.browser


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def main_menu(page):
    return page.get_by_role("navigation", name="Main")


def test_a_trainer_builds_a_path_a_rep_sees_it_and_the_manager_sees_their_status(page, browser, app_server,
                                                                                  factory, artifacts):
    rep_role = factory.job_role("sales_rep")
    factory.job_role("service_agent")
    build_course("pipeline-basics")
    build_course("forecasting")
    manager = factory.person(name="Maria Manager", email="maria@example.com", role="sales_manager",
                             permissions=(Permission.MANAGER, Permission.LEARNER))
    rep = factory.person(name="Sam Seller", email="sam@example.com", role="sales_rep", manager=manager)
    factory.person(name="Reg Rep", email="reg@example.com", role="sales_rep")
    factory.person(name="Sally Service", email="sally@example.com", role="service_agent")
    trainer = factory.person(name="Tess Trainer", email="tess@example.com", role=None,
                             permissions=(Permission.TRAINER, Permission.LEARNER))

    sign_in(page, trainer.email)
    main_menu(page).get_by_role("link", name="Authoring").click()
    page.get_by_role("link", name="Learning paths").click()
    page.get_by_role("link", name="New path").click()
    page.get_by_label("Title").fill("Rollout: sales reps")
    page.get_by_label("Slug").fill("rollout-sales-reps")
    page.get_by_label("Course 1", exact=True).select_option(label="Pipeline Basics (published)")
    page.get_by_label("Course 2", exact=True).select_option(label="Forecasting (published)")
    rule = page.get_by_role("group", name="Rule 1")
    rule.get_by_label("Job role").select_option(label=rep_role.name)
    page.get_by_label("A number of days after assignment").check()
    page.get_by_label("Days", exact=True).fill("21")
    page.get_by_role("button", name="Preview who matches").click()
    matched = page.locator("#rule-preview")
    expect(matched.get_by_role("heading")).to_have_text("The rules match 2 people")
    expect(matched).to_contain_text("Sam Seller")
    expect(matched).to_contain_text("Reg Rep")
    expect(matched).not_to_contain_text("Sally Service")
    page.screenshot(path=str(artifacts / "path-editor-preview.png"), full_page=True)
    assert db.session.scalar(select(PathAssignment.id)) is None  # a preview saves nothing
    page.get_by_role("button", name="Save path").click()
    expect(page.get_by_role("heading", name="People on “Rollout: sales reps”")).to_be_visible()
    expect(page.locator("#path-people")).to_contain_text("Sam Seller")
    page.screenshot(path=str(artifacts / "path-people.png"), full_page=True)
    assert page.problems.all() == []

    due = today() + timedelta(days=21)
    for who, shot in ((rep, "path-my-learning.png"), (manager, "path-team-page.png")):
        context = browser.new_context(base_url=app_server)
        other = context.new_page()
        try:
            sign_in(other, who.email)
            if who is rep:
                main_menu(other).get_by_role("link", name="My learning").click()
                paths = other.locator("section", has=other.get_by_role("heading", name="My learning paths"))
                expect(paths).to_contain_text("Rollout: sales reps")
                expect(paths).to_contain_text(f"Due {due.day} {due.strftime('%B %Y')}")
                expect(other.get_by_role("link", name="Pipeline Basics").first).to_be_visible()
            else:
                main_menu(other).get_by_role("link", name="My team").click()
                row = other.get_by_role("row").filter(has_text="Sam Seller")
                expect(row).to_contain_text("Rollout: sales reps: Not started")
                expect(row).to_contain_text("sam@example.com")
                row.get_by_role("link", name="Sam Seller").click()
                expect(other.get_by_role("heading", name="Sam Seller")).to_be_visible()
                expect(other.locator("#transcript")).to_contain_text("Pipeline Basics")
                other.go_back()
            other.screenshot(path=str(artifacts / shot), full_page=True)
        finally:
            context.close()


def test_a_learner_out_of_attempts_gets_one_from_the_trainer(page, browser, app_server, factory, artifacts):
    trainer = factory.person(name="Tess Trainer", email="tess@example.com",
                             permissions=(Permission.TRAINER, Permission.LEARNER))
    learner = factory.person(name="Rita Rep", email="rita@example.com")
    course = build_course("pipeline")
    enrolment = enrol(learner, course)
    quiz_key = course.modules[0].quizzes[0].key
    for _ in range(3):
        learning.submit_attempt(learning.start_attempt(enrolment, quiz_key), {})
    db.session.commit()

    sign_in(page, learner.email)
    page.goto(f"/learning/e/{enrolment.id}/quiz/{quiz_key}")
    expect(page.get_by_role("note").filter(has_text="used every attempt")).to_contain_text("Tess Trainer")
    page.screenshot(path=str(artifacts / "quiz-out-of-attempts.png"), full_page=True)

    context = browser.new_context(base_url=app_server)
    desk = context.new_page()
    try:
        sign_in(desk, trainer.email)
        desk.goto(f"/learning/people/{learner.id}")
        desk.get_by_text("Change this learner's requirement").click()
        desk.get_by_role("button", name="Grant extra attempts at Check").click()
        expect(desk.get_by_role("status").first).to_contain_text("audit log")
    finally:
        context.close()
    page.reload()
    expect(page.get_by_role("button", name="Start a new attempt")).to_be_visible()
    assert page.problems.all() == []


def test_the_editor_warns_before_unsaved_changes_are_lost(page, factory):
    trainer = factory.person(email="tess@example.com", permissions=(Permission.TRAINER,))
    course = build_course("draft", lessons=1, questions=0, publish=False)
    lesson = course.modules[0].lessons[0]
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    sign_in(page, trainer.email)
    page.goto(f"/learning/author/lessons/{lesson.id}")
    page.get_by_label("Lesson text (Markdown)").fill("Half-written thought")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Authoring").click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    expect(page.get_by_label("Lesson text (Markdown)")).to_have_value("Half-written thought")
    page.get_by_role("button", name="Save lesson").click()  # saving is not "leaving with unsaved changes"
    expect(page.get_by_role("status").first).to_contain_text("is saved")
    assert dialogs == ["beforeunload"]


def test_the_paths_table_fits_a_phone(page, factory, artifacts):
    learner = factory.person(email="phone@example.com")
    from courses.models import LearningPath, PathCourse, PathRule

    course = build_course("pipeline")
    db.session.add(LearningPath(slug="a-long-path-name", title="Rollout for sales: the complete programme",
                                due_days=30, steps=[PathCourse(course=course, position=0)],
                                rules=[PathRule(job_role_id=learner.job_role_id)]))
    db.session.commit()
    from courses.enrolment import assign_paths

    assign_paths([learner.id])
    db.session.commit()
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, learner.email)
    page.goto("/learning/")
    table = page.locator("table.paths-table")
    expect(table).to_contain_text("Rollout for sales")
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 375px"
    page.screenshot(path=str(artifacts / "my-learning-paths-phone.png"), full_page=True)
