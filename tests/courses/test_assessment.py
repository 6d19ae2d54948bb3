"""Honest assessment: options shuffled per attempt (stable within it, never for true/false or a question that
says not to), feedback settings, quizzes that open after their lessons, lesson completion checks, the starter
library's answers spread over the positions, and a learner out of attempts told who can help."""
from __future__ import annotations

import random
import re
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from courses import authoring, learning, library, packs
from courses.authoring import CourseInfo, LessonInfo, ModuleInfo, QuestionInfo, QuizInfo
from courses.enrolment import enrol
from courses.models import Course, LessonProgress, QuizAttempt
from lms import signals
from lms.errors import DomainError
from lms.extensions import db
from lms.permissions import Permission
from tests.conftest import post_form

OPTIONS = ({"text": "Alpha", "correct": True}, {"text": "Bravo"}, {"text": "Charlie"}, {"text": "Delta"},
           {"text": "Echo"}, {"text": "Foxtrot"})


def quiz_course(*, feedback: str = "final", attempts: int = 3, lessons_first: bool = False, shuffle: bool = True,
                min_seconds: int = 0, scroll: bool = False) -> Course:
    course = authoring.save_course(CourseInfo(slug="honest", title="Honest quiz", kind="crm_application",
                                              min_lesson_seconds=min_seconds, require_scroll=scroll),
                                   course=None, actor_id=None)
    module = authoring.save_module(course, ModuleInfo(slug="m", title="Module"))
    authoring.save_lesson(module, LessonInfo(title="Read me first", body="Text."))
    quiz = authoring.save_quiz(module, QuizInfo(title="Check", pass_mark=100, max_attempts=attempts,
                                                feedback=feedback, lessons_first=lessons_first))
    authoring.save_question(quiz, QuestionInfo(type="single", prompt="Pick alpha", options=OPTIONS,
                                               explanation="Alpha is right because it is first in NATO.",
                                               shuffle=shuffle))
    authoring.save_question(quiz, QuestionInfo(type="true_false", prompt="The sky is green.",
                                               options=authoring.true_false_options(False)))
    authoring.publish(course, actor_id=None)
    db.session.commit()
    return course


def shown_values(html: str, question_key: str) -> list[int]:
    return [int(v) for v in re.findall(rf'name="q-{question_key}" value="(\d+)"', html)]


def test_options_are_shuffled_per_attempt_stable_within_it_and_marked_by_their_own_index(client, factory, as_person):
    learner = factory.person()
    course = quiz_course(attempts=0)
    enrolment = enrol(learner, course)
    db.session.commit()
    quiz = course.modules[0].quizzes[0]
    single, true_false = quiz.questions
    as_person(learner)
    answered = []
    receiver = signals.quiz_answered.connect(lambda sender, event: answered.append(event), weak=False)
    try:
        orders = set()
        for _ in range(6):
            url = f"/learning/e/{enrolment.id}/quiz/{quiz.key}"
            post_form(client, url + "/start", {}, form_url=url)
            attempt_id = db.session.scalar(select(QuizAttempt.id).where(QuizAttempt.submitted_at.is_(None)))
            first = client.get(f"/learning/attempt/{attempt_id}").get_data(as_text=True)
            again = client.get(f"/learning/attempt/{attempt_id}").get_data(as_text=True)
            shown = shown_values(first, single.key)
            assert shown == shown_values(again, single.key)  # stable within the attempt
            assert sorted(shown) == list(range(6))
            assert shown_values(first, true_false.key) == [0, 1]  # True, False: never shuffled
            orders.add(tuple(shown))
            # The learner picks "Alpha", wherever it was shown: option 0 in the question's own order.
            post_form(client, f"/learning/attempt/{attempt_id}",
                      {f"q-{single.key}": "0", f"q-{true_false.key}": "1"})
            db.session.expire_all()
            attempt = db.session.get(QuizAttempt, attempt_id)
            assert attempt.passed and attempt.answers[single.key] == [0]
            assert attempt.option_orders[single.key] == list(shown)
    finally:
        signals.quiz_answered.disconnect(receiver)
    assert len(orders) > 1  # 6 attempts of 720 orders: the same order every time would be a broken shuffle
    assert {e.response for e in answered if e.question.key == single.key} == {(0,)}
    assert all(e.correct for e in answered)


def test_a_question_may_keep_its_order(app, factory):
    learner = factory.person()
    course = quiz_course(shuffle=False)
    enrolment = enrol(learner, course)
    quiz = course.modules[0].quizzes[0]
    for seed in range(3):
        attempt = learning.start_attempt(enrolment, quiz.key, rng=random.Random(seed))
        assert attempt.option_orders[quiz.questions[0].key] == [0, 1, 2, 3, 4, 5]
        learning.submit_attempt(attempt, {})


def fail_once(client, enrolment, quiz) -> str:
    url = f"/learning/e/{enrolment.id}/quiz/{quiz.key}"
    post_form(client, url + "/start", {}, form_url=url)
    attempt_id = db.session.scalar(select(QuizAttempt.id).where(QuizAttempt.submitted_at.is_(None)))
    post_form(client, f"/learning/attempt/{attempt_id}", {f"q-{quiz.questions[0].key}": "1"})
    return client.get(f"/learning/attempt/{attempt_id}/result").get_data(as_text=True)


def right_answers_shown(html: str) -> bool:
    return "Right answer" in html and "Alpha is right" in html


def test_feedback_settings_decide_when_right_answers_show(client, factory, as_person):
    for setting, shown_per_attempt in (("answers", [True, True]), ("wrong_only", [False, False]),
                                       ("final", [False, True])):
        learner = factory.person()
        course = db.session.scalar(select(Course).where(Course.slug == "honest")) or quiz_course(attempts=2)
        quiz = course.modules[0].quizzes[0]
        quiz.feedback = setting
        authoring.publish(course, actor_id=None)
        db.session.commit()
        enrolment = enrol(learner, course)
        db.session.commit()
        as_person(learner)
        seen = [right_answers_shown(fail_once(client, enrolment, quiz)) for _ in range(2)]
        assert seen == shown_per_attempt, setting
        post_form(client, "/auth/logout", {}, form_url="/")


def test_always_wrong_options_list_right_answers_one_per_line(client, factory, as_person):
    """Several right answers are a list, not text joined with "; " after each full stop."""
    learner = factory.person()
    course = authoring.save_course(CourseInfo(slug="multi", title="Multi", kind="culture"), course=None,
                                   actor_id=None)
    module = authoring.save_module(course, ModuleInfo(slug="m", title="M"))
    quiz = authoring.save_quiz(module, QuizInfo(title="Q", pass_mark=100, feedback="answers"))
    authoring.save_question(quiz, QuestionInfo(type="multiple", prompt="Who decides?", options=(
        {"text": "The sponsor signs it.", "correct": True}, {"text": "The program lead.", "correct": True},
        {"text": "Nobody."})))
    authoring.publish(course, actor_id=None)
    enrolment = enrol(learner, course)
    db.session.commit()
    as_person(learner)
    url = f"/learning/e/{enrolment.id}/quiz/{quiz.key}"
    post_form(client, url + "/start", {}, form_url=url)
    attempt_id = db.session.scalar(select(QuizAttempt.id))
    post_form(client, f"/learning/attempt/{attempt_id}", {f"q-{quiz.questions[0].key}": "2"})
    html = client.get(f"/learning/attempt/{attempt_id}/result").get_data(as_text=True)
    assert "<dt>Right answers</dt>" in html
    assert "<li>The sponsor signs it.</li>" in html and "<li>The program lead.</li>" in html
    assert ".; " not in html


def test_a_quiz_can_open_only_after_its_modules_lessons(client, factory, as_person):
    learner = factory.person()
    course = quiz_course(lessons_first=True)
    enrolment = enrol(learner, course)
    db.session.commit()
    quiz, lesson = course.modules[0].quizzes[0], course.modules[0].lessons[0]
    as_person(learner)
    html = client.get(f"/learning/e/{enrolment.id}/quiz/{quiz.key}").get_data(as_text=True)
    assert "Lessons first" in html and "Read me first" in html and "Start attempt" not in html
    try:
        learning.start_attempt(enrolment, quiz.key)
        raise AssertionError("the quiz opened before its lesson was done")
    except DomainError as error:
        assert "Read me first" in error.message
    db.session.rollback()
    post_form(client, f"/learning/e/{enrolment.id}/lesson/{lesson.slug}/complete", {},
              form_url=f"/learning/e/{enrolment.id}/lesson/{lesson.slug}")
    html = client.get(f"/learning/e/{enrolment.id}/quiz/{quiz.key}").get_data(as_text=True)
    assert "Lessons first" not in html and "Start attempt" in html


def test_lesson_completion_can_need_time_and_scrolling_to_the_end(client, factory, as_person):
    learner = factory.person()
    course = quiz_course(min_seconds=120, scroll=True)
    enrolment = enrol(learner, course)
    db.session.commit()
    lesson = course.modules[0].lessons[0]
    as_person(learner)
    url = f"/learning/e/{enrolment.id}/lesson/{lesson.slug}"
    html = client.get(url).get_data(as_text=True)
    assert 'data-require-scroll="1"' in html and 'data-min-seconds="120"' in html
    response = post_form(client, url + "/complete", {"scrolled": "1"}, form_url=url)
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert "marked complete in" in client.get(url).get_data(as_text=True)
    db.session.expire_all()
    progress = db.session.get(LessonProgress, (enrolment.id, lesson.key))
    assert progress.completed_at is None
    progress.first_viewed_at -= timedelta(seconds=121)  # two minutes later
    db.session.commit()
    post_form(client, url + "/complete", {"scrolled": "0"}, form_url=url)
    assert "Read the lesson to its end" in client.get(url).get_data(as_text=True)
    post_form(client, url + "/complete", {"scrolled": "1"}, form_url=url)
    db.session.expire_all()
    assert db.session.get(LessonProgress, (enrolment.id, lesson.key)).completed_at is not None


def test_a_learner_out_of_attempts_is_told_who_can_help(client, factory, as_person):
    trainer = factory.person(name="Tess Trainer", permissions=(Permission.TRAINER, Permission.LEARNER))
    manager = factory.person(name="Manny Manager")
    learner = factory.person(manager=manager)
    course = quiz_course(attempts=1)
    enrolment = enrol(learner, course)
    db.session.commit()
    quiz = course.modules[0].quizzes[0]
    as_person(learner)
    result = fail_once(client, enrolment, quiz)
    for html in (result, client.get(f"/learning/e/{enrolment.id}/quiz/{quiz.key}").get_data(as_text=True)):
        assert "used every attempt" in html and "Manny Manager" in html and "Tess Trainer" in html
    assert trainer.id


# --- the starter library -----------------------------------------------------------------------------------------

def starter_quizzes() -> list[tuple[str, dict]]:
    found = []
    for folder in sorted((library.STARTER / "packs").iterdir()):
        data = packs.parse_pack(packs.read_folder(folder))
        found += [(data["slug"], item) for m in data["modules"] for item in m["items"] if item["type"] == "quiz"]
    return found


def test_no_option_position_holds_the_right_answer_more_than_40_percent_of_the_time(app):
    positions = Counter()
    for _slug, quiz in starter_quizzes():
        for question in quiz["questions"]:
            if question["type"] in ("single", "scenario", "true_false"):
                positions[learning.correct_options(question)[0]] += 1
    total = sum(positions.values())
    assert total > 150
    assert max(positions.values()) / total <= 0.40, positions


def test_always_choosing_the_first_option_fails_every_starter_quiz(app, factory):
    for code in ("sales_rep", "service_agent", "sales_manager", "service_manager", "marketer"):
        factory.job_role(code)
    library.import_library(library.STARTER, actor_id=None)
    db.session.commit()
    learner = factory.person()
    rng = random.Random(12)
    walked = 0
    for slug, quiz in starter_quizzes():
        # In the file's own order, the best draw of questions whose first option is right stays under the mark.
        firsts = sum(1 for q in quiz["questions"] if learning.correct_options(q) == [0])
        drawn = quiz["draw"] or len(quiz["questions"])
        assert firsts * 100 < quiz["pass_mark"] * drawn, (slug, quiz["key"], firsts)
        # As learners see it: every attempt, first option shown.
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        enrolment = enrol(learner, course)
        attempt = learning.start_attempt(enrolment, quiz["key"], rng=rng)
        questions = {q["key"]: q for q in quiz["questions"]}
        answers = {key: [attempt.option_orders[key][0]] for key in attempt.question_keys}
        assert not learning.submit_attempt(attempt, answers).passed, (slug, quiz["key"])
        assert all(len(questions[key]["options"]) == len(attempt.option_orders[key]) for key in answers)
        walked += 1
    assert walked == len(starter_quizzes()) >= 20
