"""The trainer's results, checked against a small hand-built organisation whose right answers are written here."""
from __future__ import annotations

import csv
import io

from courses import authoring, learning
from courses.authoring import CourseInfo, LessonInfo, ModuleInfo, QuestionInfo, QuizInfo
from courses.enrolment import enrol
from lms.extensions import db
from lms.permissions import Permission


def course_with_two_questions():
    course = authoring.save_course(CourseInfo(slug="forecast", title="Forecasting", kind="crm_application"),
                                   course=None, actor_id=None)
    module = authoring.save_module(course, ModuleInfo(slug="m", title="Forecasts"))
    authoring.save_lesson(module, LessonInfo(title="Forecast categories", body="Text."))
    quiz = authoring.save_quiz(module, QuizInfo(title="Forecast check", pass_mark=50, max_attempts=0))
    easy = authoring.save_question(quiz, QuestionInfo(type="single", prompt="Easy one", topic="basics", options=(
        {"text": "Right", "correct": True}, {"text": "Wrong"})))
    hard = authoring.save_question(quiz, QuestionInfo(type="single", prompt="Hard one", topic="commit", options=(
        {"text": "=HYPERLINK(\"x\")", "correct": True}, {"text": "Tempting"}, {"text": "Other"})))
    authoring.publish(course, actor_id=None)
    db.session.commit()
    return course, quiz, easy, hard


def test_course_quiz_and_question_figures(client, factory, as_person):
    course, quiz, easy, hard = course_with_two_questions()
    # Sales: Ann answers both right (passes, completes); Ben gets easy right, hard "Tempting" (passes: 50%).
    # Service: Cy fails (both wrong: "Wrong", "Tempting"), then passes (easy right, hard "Other").
    ann, ben = factory.person(name="Ann"), factory.person(name="Ben")
    cy = factory.person(name="Cy", department="Service")
    factory.person(name="Dee")  # never enrolled
    plan = {ann: [{easy.key: [0], hard.key: [0]}], ben: [{easy.key: [0], hard.key: [1]}],
            cy: [{easy.key: [1], hard.key: [1]}, {easy.key: [0], hard.key: [2]}]}
    for person, attempts in plan.items():
        enrolment = enrol(person, course)
        if person is ann:
            learning.complete_lesson(enrolment, course.modules[0].lessons[0].key)
        for answers in attempts:
            learning.submit_attempt(learning.start_attempt(enrolment, quiz.key), answers)
    db.session.commit()

    trainer = factory.person(permissions=(Permission.TRAINER,))
    as_person(trainer)
    html = client.get(f"/learning/author/courses/{course.id}/results").get_data(as_text=True)
    assert '<dd id="enrolled">3</dd>' in html and '<dd id="completed">1 (33%)</dd>' in html
    quiz_row = html.split('id="quiz-results"', 1)[1].split("</tr>", 2)[1]
    # 3 people, all passed in the end; scores 100, 50, 0, 50 -> 50%; 4 attempts.
    assert "<td>3</td>" in quiz_row and "<td>100%</td>" in quiz_row and "<td>50%</td>" in quiz_row
    assert "<td>4</td>" in quiz_row
    # Hard: 1 of 4 right (25%), weakest first; Tempting chosen twice.
    assert html.index("25% right: Hard one") < html.index("75% right: Easy one")
    assert "Tempting</td><td>2 (50%)</td>" in html
    assert "taught in Forecast categories" in html
    assert "commit: 25% right of 4 answers" in html

    sales = factory.department("Sales")
    filtered = client.get(f"/learning/author/courses/{course.id}/results?department={sales.id}").get_data(
        as_text=True)
    assert '<dd id="enrolled">2</dd>' in filtered and "50% right: Hard one" in filtered

    rows = list(csv.reader(io.StringIO(client.get(
        f"/learning/author/courses/{course.id}/results.csv").get_data(as_text=True))))
    assert rows[0][:6] == ["course", "quiz", "question", "topic", "answered", "share right"]
    formula = next(r for r in rows if "HYPERLINK" in r[6])
    assert formula[6].startswith("'=") and formula[4] == "4" and formula[5] == "0.25" and formula[8] == "1"


def test_results_are_the_trainers(client, factory, as_person):
    course, *_ = course_with_two_questions()
    as_person(factory.person(permissions=(Permission.MANAGER, Permission.LEARNER)))
    assert client.get(f"/learning/author/courses/{course.id}/results").status_code == 403
    assert client.get(f"/learning/author/courses/{course.id}/results.csv").status_code == 403
