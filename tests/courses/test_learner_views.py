"""The learner's pages through the test client, on real services: My learning, the lesson player, the quiz
player with feedback and remedial training, certificates, ordered paths, and nobody else's enrolments."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from courses import authoring
from courses.authoring import CourseInfo, LessonInfo, ModuleInfo, QuestionInfo, QuizInfo
from courses.enrolment import assign_paths, enrol, today
from courses.models import Course, Enrolment, LearningPath, LessonProgress, PathCourse, PathRule, QuizAttempt
from lms.extensions import db
from lms.permissions import Permission
from tests.conftest import post_form

SINGLE_EXPLANATION = "Stages move on evidence from the customer, not on hope."
SCENARIO_RIGHT = "You keep the promise you can keep, and the customer can plan."
SCENARIO_WRONG = "A date you cannot meet costs more trust than the honest answer."


def build_course(slug: str = "pipeline", *, title: str = "Pipeline basics", lessons: int = 2,
                 remedial: str | None = None, quiz: bool = True, kind: str = "crm_application",
                 feedback: str = "answers") -> Course:
    """A published course with one module: ``lessons`` lessons, then (optionally) a two-question quiz."""
    course = authoring.save_course(CourseInfo(slug=slug, title=title, kind=kind), course=None, actor_id=None)
    module = authoring.save_module(course, ModuleInfo(slug="basics", title=f"{title}: the basics"))
    for number in range(1, lessons + 1):
        authoring.save_lesson(module, LessonInfo(
            title=f"{title} lesson {number}",
            body=f"## Part {number}\n\nRead **this** first.\n\nThen try it.\n"))
    if quiz:
        check = authoring.save_quiz(module, QuizInfo(title=f"{title} check", pass_mark=100, max_attempts=3,
                                                     remedial=remedial, feedback=feedback))
        authoring.save_question(check, QuestionInfo(
            type="single", prompt="When does an opportunity move to the next stage?", topic="stages",
            explanation=SINGLE_EXPLANATION,
            options=({"text": "When its exit criteria are met", "correct": True},
                     {"text": "When the rep feels good about it", "correct": False})))
        authoring.save_question(check, QuestionInfo(
            type="scenario", prompt="A customer asks for delivery in two days; you can do five. What do you say?",
            options=({"text": "Five days, and why", "correct": True, "explanation": SCENARIO_RIGHT},
                     {"text": "Two days, then hope", "correct": False, "explanation": SCENARIO_WRONG})))
    authoring.publish(course, actor_id=None)
    db.session.commit()
    return course


def keys(course: Course) -> tuple[list[str], list[str]]:
    items = [item for module in course.modules for item in module.items]
    return [i.key for i in items if i.kind == "lesson"], [i.key for i in items if i.kind == "quiz"]


def enrolled(person, course: Course, **kwargs) -> Enrolment:
    enrolment = enrol(person, course, **kwargs)
    db.session.commit()
    return enrolment


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.headers.get("Location"))
    return response.get_data(as_text=True)


def answers_for(course: Course, attempt_id: int, *, right: bool) -> dict[str, str]:
    """Form data answering every drawn question right (or wrong)."""
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    questions = {q.key: q for m in course.modules for quiz in m.quizzes for q in quiz.questions}
    data = {}
    for key in attempt.question_keys:
        options = questions[key].options
        data[f"q-{key}"] = str(next(i for i, o in enumerate(options) if o["correct"] == right))
    return data


def start(client, enrolment: Enrolment, quiz_key: str) -> int:
    url = f"/learning/e/{enrolment.id}/quiz/{quiz_key}"
    response = post_form(client, url + "/start", {}, form_url=url)
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/learning/attempt/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def complete(client, enrolment: Enrolment, lesson_key: str):
    url = f"/learning/e/{enrolment.id}/lesson/{lesson_key}"
    return post_form(client, url + "/complete", {}, form_url=url)


def test_my_learning_shows_the_empty_state_then_the_assigned_course(client, factory, as_person):
    learner = factory.person(name="Rita Rep")
    as_person(learner)
    assert "Nothing is assigned to you yet" in page(client, "/learning/")

    course = build_course()
    enrolment = enrolled(learner, course, due_date=today() + timedelta(days=30))
    html = page(client, "/learning/")

    assert "Nothing is assigned to you yet" not in html
    assert 'id="assigned"' in html and "Pipeline basics" in html and "CRM application" in html
    assert f'href="/learning/e/{enrolment.id}"' in html
    assert re.search(r'<progress id="progress-\d+" max="100" value="0">0%</progress>', html)
    assert "0 of 2 lessons done" in html
    assert (today() + timedelta(days=30)).isoformat() in html


def test_due_and_overdue_courses_are_sorted_into_their_sections(client, factory, as_person):
    learner = factory.person()
    enrolled(learner, build_course("late", title="Late course"), due_date=today() - timedelta(days=1))
    enrolled(learner, build_course("soon", title="Soon course"), due_date=today() + timedelta(days=3))
    html = page(as_person(learner), "/learning/")

    overdue, due_soon = html.index('id="overdue"'), html.index('id="due_soon"')
    assert overdue < html.index("Late course") < due_soon < html.index("Soon course")
    assert "(overdue)" in html


def test_the_course_page_outlines_the_version_and_continues_where_the_learner_is(client, factory, as_person):
    learner = factory.person()
    course = build_course(lessons=3)
    lessons, [quiz_key] = keys(course)
    enrolment = enrolled(learner, course)
    as_person(learner)
    complete(client, enrolment, lessons[0])

    html = page(client, f"/learning/e/{enrolment.id}")

    assert "<h1>Pipeline basics</h1>" in html and "Version 1" in html
    assert "Pipeline basics lesson 1" in html and "(done)" in html
    assert "pass mark 100%" in html and "3 of 3 attempts left" in html
    continue_link = re.search(r'<a class="button" href="([^"]+)">Continue: ([^<]+)</a>', html)
    assert continue_link.groups() == (f"/learning/e/{enrolment.id}/lesson/pipeline-basics-lesson-2",
                                      "Pipeline basics lesson 2")


def test_opening_a_lesson_records_progress_and_shows_the_sanitised_lesson(client, factory, as_person):
    learner = factory.person()
    course = build_course(lessons=3)
    lessons, [quiz_key] = keys(course)
    enrolment = enrolled(learner, course)

    html = page(as_person(learner), f"/learning/e/{enrolment.id}/lesson/{lessons[1]}")

    db.session.expire_all()
    progress = db.session.get(LessonProgress, (enrolment.id, lessons[1]))
    assert progress is not None and progress.completed_at is None
    assert db.session.get(Enrolment, enrolment.id).status == "in_progress"
    assert "<h2>Part 2</h2>" in html and "<strong>this</strong>" in html and "<script>" not in html
    assert "Lesson 2 of 3" in html
    assert f'href="/learning/e/{enrolment.id}/lesson/pipeline-basics-lesson-1" rel="prev"' in html
    assert f'href="/learning/e/{enrolment.id}/lesson/pipeline-basics-lesson-3" rel="next"' in html
    assert 'aria-label="Breadcrumb"' in html and "Pipeline basics: the basics" in html
    assert "Mark complete and continue" in html
    assert "In progress" in page(client, "/learning/")


def test_completing_every_lesson_and_passing_the_quiz_completes_the_course(client, factory, as_person):
    learner = factory.person(name="Rita Rep")
    course = build_course()
    (first, second), [quiz_key] = keys(course)
    enrolment = enrolled(learner, course)
    as_person(learner)
    page(client, f"/learning/e/{enrolment.id}/certificate", status=404)

    response = complete(client, enrolment, first)
    assert response.headers["Location"] == f"/learning/e/{enrolment.id}/lesson/pipeline-basics-lesson-2"
    response = complete(client, enrolment, second)
    assert response.headers["Location"] == f"/learning/e/{enrolment.id}/quiz/{quiz_key}"
    intro = page(client, response.headers["Location"])
    assert "Pass mark" in intro and "Start attempt" in intro

    attempt_id = start(client, enrolment, quiz_key)
    response = post_form(client, f"/learning/attempt/{attempt_id}", answers_for(course, attempt_id, right=True))
    assert response.headers["Location"] == f"/learning/attempt/{attempt_id}/result"
    result = page(client, response.headers["Location"])

    assert "Passed" in result and "2 of 2 right (100%)" in result
    assert SINGLE_EXPLANATION in result and SCENARIO_RIGHT in result and SCENARIO_WRONG not in result
    assert "You completed" in result
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).status == "completed"

    certificate = page(client, f"/learning/e/{enrolment.id}/certificate")
    assert "Certificate of completion" in certificate and "Rita Rep" in certificate
    assert "Pipeline basics" in certificate and "<dt>Version</dt><dd>1</dd>" in certificate
    assert today().isoformat() in certificate
    assert "style=" not in certificate and "<script" not in certificate
    mine = page(client, "/learning/")
    assert 'id="completed"' in mine and f'href="/learning/e/{enrolment.id}/certificate"' in mine


def test_the_question_page_carries_no_correctness_information(client, factory, as_person):
    learner = factory.person()
    course = build_course()
    _lessons, [quiz_key] = keys(course)
    enrolment = enrolled(learner, course)
    as_person(learner)

    attempt_id = start(client, enrolment, quiz_key)
    html = page(client, f"/learning/attempt/{attempt_id}")

    assert html.count("<fieldset") == 2 and html.count("<legend>") == 2
    assert html.count('type="radio"') == 4 and 'name="csrf_token"' in html
    assert "When its exit criteria are met" in html and "Two days, then hope" in html
    lowered = html.lower()
    assert "correct" not in lowered and "right answer" not in lowered
    for secret in (SINGLE_EXPLANATION, SCENARIO_RIGHT, SCENARIO_WRONG):
        assert secret not in html
    assert "data-" not in re.sub(r"<(?:link|meta)[^>]*>", "", html)


def test_failing_a_quiz_assigns_remedial_training_and_blocks_the_retry(client, factory, as_person):
    learner = factory.person()
    remedial = build_course("pipeline-remedial", title="Pipeline refresher", quiz=False, kind="remedial")
    course = build_course(remedial="pipeline-remedial/basics")
    _lessons, [quiz_key] = keys(course)
    remedial_lessons, _ = keys(remedial)
    enrolment = enrolled(learner, course)
    as_person(learner)

    attempt_id = start(client, enrolment, quiz_key)
    post_form(client, f"/learning/attempt/{attempt_id}", answers_for(course, attempt_id, right=False))
    result = page(client, f"/learning/attempt/{attempt_id}/result")

    assert "Not passed" in result and "0 of 2 right" in result
    assert "Remedial training first" in result and "Pipeline refresher" in result
    assert SCENARIO_WRONG in result and SINGLE_EXPLANATION in result  # the explanation of the chosen option
    db.session.expire_all()
    remedial_enrolment = db.session.scalar(select(Enrolment).where(
        Enrolment.person_id == learner.id, Enrolment.course_id == remedial.id))
    assert remedial_enrolment.unlocks_enrolment_id == enrolment.id
    assert f'href="/learning/e/{remedial_enrolment.id}"' in result

    intro = page(client, f"/learning/e/{enrolment.id}/quiz/{quiz_key}")
    assert "Remedial training first" in intro and "Start" not in re.sub(r"<[^>]+>", "", intro).split("Your attempts")[0]
    url = f"/learning/e/{enrolment.id}/quiz/{quiz_key}"
    refused = post_form(client, url + "/start", {}, form_url=url, headers={"Referer": "http://localhost" + url},
                        follow_redirects=True)
    assert "Finish the remedial module" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 1

    remedial_page = page(client, f"/learning/e/{remedial_enrolment.id}")
    assert "unlocks your next attempt" in remedial_page
    for key in remedial_lessons:
        complete(client, remedial_enrolment, key)
    db.session.expire_all()
    assert db.session.get(Enrolment, remedial_enrolment.id).status == "completed"
    # A remedial module ends as "remedial done": no certificate for the whole remedial course, one badge.
    done_page = page(client, f"/learning/e/{remedial_enrolment.id}")
    assert "Remedial done" in done_page and "certificate" not in done_page.lower()
    page(client, f"/learning/e/{remedial_enrolment.id}/certificate", status=404)
    assert db.session.get(Enrolment, remedial_enrolment.id).certificate_ref is None
    overview = page(client, "/learning/")
    assert "Remedial done" in overview and f"/learning/e/{remedial_enrolment.id}/certificate" not in overview
    assert not re.search(r"Remedial</span>\s*<span[^>]*>Remedial", overview)
    assert "Start a new attempt" in page(client, url)
    second = start(client, enrolment, quiz_key)
    assert second != attempt_id
    assert "attempt 2" in page(client, f"/learning/attempt/{second}")


def test_a_submitted_attempt_cannot_be_submitted_again(client, factory, as_person):
    learner = factory.person()
    course = build_course()
    _lessons, [quiz_key] = keys(course)
    enrolment = enrolled(learner, course)
    as_person(learner)
    attempt_id = start(client, enrolment, quiz_key)
    wrong, right = answers_for(course, attempt_id, right=False), answers_for(course, attempt_id, right=True)
    post_form(client, f"/learning/attempt/{attempt_id}", wrong)

    response = post_form(client, f"/learning/attempt/{attempt_id}", right, form_url="/learning/",
                         follow_redirects=True)

    assert "already submitted" in response.get_data(as_text=True)
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.passed is False and attempt.score == 0
    assert client.get(f"/learning/attempt/{attempt_id}").headers["Location"].endswith("/result")


def test_another_learner_cannot_reach_someone_elses_enrolment_or_attempt(client, factory, as_person):
    owner, other = factory.person(), factory.person()
    course = build_course()
    lessons, [quiz_key] = keys(course)
    enrolment = enrolled(owner, course)
    enrolled(other, course)
    as_person(owner)
    for key in lessons:
        complete(client, enrolment, key)
    attempt_id = start(client, enrolment, quiz_key)
    post_form(client, f"/learning/attempt/{attempt_id}", answers_for(course, attempt_id, right=True))
    client.post("/auth/logout", data={"csrf_token": ""})
    client.delete_cookie("session")

    as_person(other)
    for url in (f"/learning/e/{enrolment.id}", f"/learning/e/{enrolment.id}/lesson/{lessons[0]}",
                f"/learning/e/{enrolment.id}/quiz/{quiz_key}", f"/learning/e/{enrolment.id}/certificate",
                f"/learning/attempt/{attempt_id}", f"/learning/attempt/{attempt_id}/result",
                "/learning/attempt/999999", "/learning/e/999999"):
        assert client.get(url).status_code == 404, url
    response = post_form(client, f"/learning/e/{enrolment.id}/lesson/{lessons[0]}/complete", {},
                         form_url="/learning/")
    assert response.status_code == 404
    response = post_form(client, f"/learning/attempt/{attempt_id}", {}, form_url="/learning/")
    assert response.status_code == 404
    assert "Pipeline basics" in page(client, "/learning/")  # their own enrolment in the same course


def test_a_later_course_of_an_ordered_path_is_locked_until_the_earlier_one_is_done(client, factory, as_person):
    learner = factory.person(role="sales_rep")
    first = build_course("first", title="First steps", quiz=False, lessons=1)
    second = build_course("second", title="Second steps", quiz=False, lessons=1)
    path = LearningPath(slug="sales", title="Sales onboarding", ordered=True,
                        steps=[PathCourse(course=first, position=0), PathCourse(course=second, position=1)],
                        rules=[PathRule(job_role_id=learner.job_role_id)])
    db.session.add(path)
    db.session.flush()
    assign_paths([learner.id])
    db.session.commit()
    by_course = {e.course_id: e for e in db.session.scalars(select(Enrolment).where(
        Enrolment.person_id == learner.id))}
    [first_lesson], _ = keys(first)
    [second_lesson], _ = keys(second)
    later = by_course[second.id]
    as_person(learner)

    mine = page(client, "/learning/")
    assert "Finish “First steps” first" in mine and "Sales onboarding" in mine
    assert "0 of 2 done, taken in order" in mine
    response = client.get(f"/learning/e/{later.id}/lesson/{second_lesson}")
    assert response.status_code == 302 and response.headers["Location"] == f"/learning/e/{later.id}"
    course_page = page(client, response.headers["Location"])
    assert "Finish “First steps” first: this learning path is taken in order." in course_page
    assert db.session.get(LessonProgress, (later.id, second_lesson)) is None

    complete(client, by_course[first.id], first_lesson)
    assert client.get(f"/learning/e/{later.id}/lesson/{second_lesson}").status_code == 200
    assert "1 of 2 done, taken in order" in page(client, "/learning/")


def test_tampered_answers_and_wrong_item_kinds_are_handled_without_errors(client, factory, as_person):
    learner = factory.person()
    course = build_course()
    lessons, [quiz_key] = keys(course)
    enrolment = enrolled(learner, course)
    as_person(learner)

    assert client.get(f"/learning/e/{enrolment.id}/lesson/{quiz_key}").status_code == 404
    assert client.get(f"/learning/e/{enrolment.id}/quiz/{lessons[0]}").status_code == 404
    assert client.get(f"/learning/e/{enrolment.id}/lesson/no-such-key").status_code == 404
    attempt_id = start(client, enrolment, quiz_key)
    db.session.expire_all()
    first, second = db.session.get(QuizAttempt, attempt_id).question_keys
    response = post_form(client, f"/learning/attempt/{attempt_id}", {f"q-{first}": "99", f"q-{second}": "abc"})

    assert response.status_code == 302
    result = page(client, f"/learning/attempt/{attempt_id}/result")
    assert "0 of 2 right" in result and result.count("No answer") == 2


def test_people_without_the_learner_permission_are_refused(client, factory, as_person):
    as_person(factory.person(permissions=(Permission.TRAINER,)))
    assert client.get("/learning/").status_code == 403


def test_a_path_whose_only_course_waits_on_another_ordered_path_says_why(client, factory, as_person):
    learner = factory.person()
    first = build_course("first", title="First steps")
    shared = build_course("shared", title="Shared course")
    ordered = LearningPath(slug="rollout", title="Rollout", ordered=True,
                           steps=[PathCourse(course=first, position=0), PathCourse(course=shared, position=1)],
                           rules=[PathRule(job_role_id=learner.job_role_id)])
    db.session.add(ordered)
    db.session.commit()
    assign_paths([learner.id])
    alone = LearningPath(slug="refresh", title="Refresh", ordered=False, steps=[PathCourse(course=shared, position=0)],
                         rules=[PathRule(job_role_id=learner.job_role_id)])
    db.session.add(alone)
    db.session.commit()
    assign_paths([learner.id])
    db.session.commit()
    as_person(learner)
    html = page(client, "/learning/")
    refresh_row = html.split(">Refresh", 1)[1].split("</tr>", 1)[0]
    assert "“Shared course” opens after “First steps”: your path “Rollout” is taken in order." in refresh_row
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.course_id == shared.id))
    assert "your learning path “Rollout” is taken in order" in page(client, f"/learning/e/{enrolment.id}")
