"""The learner's journey in a real Chromium: My learning, the lesson player driven by the keyboard, the quiz and
its feedback, the player at phone width; screenshots for humans and a clean console."""
from __future__ import annotations

import pytest

from courses import authoring
from courses.authoring import CourseInfo, LessonInfo, ModuleInfo, QuestionInfo, QuizInfo
from courses.enrolment import enrol
from lms.extensions import db
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

LESSON = """## Why the pipeline matters

Your **pipeline** is the list of deals you are working on, each at a stage.

| Stage | Exit criterion |
|---|---|
| Qualify | Budget and need confirmed |
| Propose | Proposal sent |

!!! tip "Keep it honest"
    Move a deal on evidence from the customer, never on hope.
"""


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def build_course():
    course = authoring.save_course(CourseInfo(slug="pipeline", title="Pipeline basics", kind="crm_application"),
                                   course=None, actor_id=None)
    module = authoring.save_module(course, ModuleInfo(slug="stages", title="Stages"))
    authoring.save_lesson(module, LessonInfo(title="Why the pipeline matters", body=LESSON, minutes=4))
    quiz = authoring.save_quiz(module, QuizInfo(title="Pipeline check", pass_mark=50, feedback="answers"))
    authoring.save_question(quiz, QuestionInfo(
        type="single", prompt="When does a deal move to the next stage?",
        explanation="Exit criteria are evidence from the customer.",
        options=({"text": "When its exit criteria are met", "correct": True},
                 {"text": "When the rep feels confident", "correct": False})))
    authoring.save_question(quiz, QuestionInfo(
        type="multiple", prompt="Which belong on an opportunity?", explanation="Both drive the forecast.",
        options=({"text": "An amount", "correct": True}, {"text": "A close date", "correct": True},
                 {"text": "The rep's mood", "correct": False})))
    authoring.save_question(quiz, QuestionInfo(
        type="scenario", prompt="A customer wants delivery in two days; you can do five. What do you say?",
        options=({"text": "Five days, and why", "correct": True,
                  "explanation": "A promise you can keep lets the customer plan."},
                 {"text": "Two days, then hope", "correct": False,
                  "explanation": "A missed date costs more trust than an honest answer."})))
    authoring.publish(course, actor_id=None)
    return course


def tab_to(page, locator, limit: int = 40) -> None:
    """Press Tab until ``locator`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {locator}")


def test_learner_takes_a_lesson_and_a_quiz_with_the_keyboard(page, factory, artifacts):
    learner = factory.person(name="Rita Rep", email="rita@example.com")
    course = build_course()
    enrol(learner, course)
    db.session.commit()

    sign_in(page, learner.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning").click()
    expect(page.get_by_role("heading", name="My learning", level=1)).to_be_visible()
    card = page.locator(".course-card").filter(has_text="Pipeline basics")
    expect(card).to_contain_text("CRM application")
    expect(card.get_by_role("progressbar")).to_have_attribute("value", "0")
    page.screenshot(path=str(artifacts / "my-learning.png"), full_page=True)
    card.get_by_role("link", name="Start Pipeline basics").click()

    expect(page.get_by_role("heading", name="Pipeline basics", level=1)).to_be_visible()
    page.screenshot(path=str(artifacts / "course-outline.png"), full_page=True)
    page.get_by_role("link", name="Start: Why the pipeline matters").click()

    expect(page.get_by_role("heading", name="Why the pipeline matters", level=1)).to_be_visible()
    expect(page.get_by_text("Lesson 1 of 1")).to_be_visible()
    expect(page.locator(".lesson-body table")).to_contain_text("Budget and need confirmed")
    expect(page.locator(".lesson-body .admonition")).to_contain_text("Move a deal on evidence")
    page.screenshot(path=str(artifacts / "lesson-player.png"), full_page=True)

    button = page.get_by_role("button", name="Mark complete and continue")
    tab_to(page, button)
    assert button.evaluate("element => getComputedStyle(element).outlineStyle") == "solid"  # visible focus
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Pipeline check", level=1)).to_be_visible()
    page.screenshot(path=str(artifacts / "quiz-intro.png"), full_page=True)
    start = page.get_by_role("button", name="Start attempt")
    tab_to(page, start)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Pipeline check: attempt 1")).to_be_visible()
    expect(page.locator("fieldset.question")).to_have_count(3)
    first = page.get_by_role("group", name="When does a deal move to the next stage?")
    first.get_by_label("When its exit criteria are met").check()
    multiple = page.get_by_role("group", name="Which belong on an opportunity?")
    multiple.get_by_label("An amount").check()
    multiple.get_by_label("The rep's mood").check()  # wrong on purpose: the feedback shows it
    page.get_by_role("group", name="A customer wants delivery").get_by_label("Two days, then hope").check()
    page.screenshot(path=str(artifacts / "quiz-questions.png"), full_page=True)
    page.get_by_role("button", name="Submit answers").click()

    expect(page.get_by_role("heading", name="Pipeline check: feedback")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="right")).to_contain_text("1 of 3 right (33%)")
    feedback = page.locator(".feedback-item")  # questions come in the attempt's random order
    expect(feedback.filter(has_text="When does a deal move")).to_contain_text("Right:")
    multiple = feedback.filter(has_text="Which belong on an opportunity?")
    expect(multiple).to_contain_text("Wrong:")
    right = multiple.locator("dd").nth(1).get_by_role("listitem")  # one right answer per line, in the shown order
    expect(right).to_have_count(2)
    assert sorted(right.all_text_contents()) == ["A close date", "An amount"]
    expect(feedback.filter(has_text="A customer wants delivery")).to_contain_text(
        "A missed date costs more trust than an honest answer.")
    expect(page.get_by_role("button", name="Start a new attempt")).to_be_visible()
    page.screenshot(path=str(artifacts / "quiz-feedback.png"), full_page=True)

    assert page.problems.all() == []


def test_the_lesson_player_reads_well_at_phone_width(page, factory, artifacts):
    learner = factory.person(email="phone@example.com")
    course = build_course()
    enrolment = enrol(learner, course)
    db.session.commit()
    lesson_key = course.modules[0].lessons[0].key

    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, learner.email)
    page.goto(f"/learning/e/{enrolment.id}/lesson/{lesson_key}")

    expect(page.get_by_role("heading", name="Why the pipeline matters", level=1)).to_be_visible()
    button = page.get_by_role("button", name="Mark complete and continue")
    expect(button).to_be_visible()
    assert button.bounding_box()["width"] > 300  # a full-width target at phone width
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 375px"
    page.screenshot(path=str(artifacts / "lesson-player-phone.png"), full_page=True)
    assert page.problems.all() == []


def test_the_certificate_prints_without_the_site_chrome(page, factory, artifacts):
    from courses import learning

    learner = factory.person(name="Cora Complete", email="cora@example.com")
    course = build_course()
    enrolment = enrol(learner, course)
    learning.complete_lesson(enrolment, course.modules[0].lessons[0].key)
    attempt = learning.start_attempt(enrolment, course.modules[0].quizzes[0].key)
    questions = {q.key: q for q in course.modules[0].quizzes[0].questions}
    learning.submit_attempt(attempt, {key: [i for i, o in enumerate(questions[key].options) if o["correct"]]
                                      for key in attempt.question_keys})
    db.session.commit()
    assert enrolment.status == "completed"

    sign_in(page, learner.email)
    page.goto("/learning/")
    page.get_by_role("link", name="Certificate for Pipeline basics").click()

    certificate = page.get_by_role("article")
    expect(certificate.get_by_role("heading", name="Certificate of completion")).to_be_visible()
    expect(certificate).to_contain_text("Cora Complete")
    expect(certificate).to_contain_text("Pipeline basics")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(certificate).to_be_visible()
    page.screenshot(path=str(artifacts / "certificate-print.png"), full_page=True)
    assert page.problems.all() == []
