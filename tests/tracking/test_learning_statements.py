"""Every learning event becomes an xAPI statement in the embedded LRS, in the learning event's transaction."""
from __future__ import annotations

import json
import random
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import tracking.receivers
from courses import authoring, enrolment, learning, overview
from courses.models import Course, LearningPath, PathAssignment, PathCourse, PathRule
from lms import signals
from lms.extensions import db
from lms.types import utcnow
from tests.courses.builders import build_course
from tests.tracking.conftest import ADL
from tracking.models import OutboxEntry, Progress, Statement
from tracking.services_clients import SYSTEM

BASE = "http://localhost/xapi/activities/course/pipeline-basics"
TYPE = "http://adlnet.gov/expapi/activities/"
VERSION_KEY = "http://localhost/xapi/extensions/course-version"
RECEIVERS = {
    signals.lesson_viewed: tracking.receivers.record_lesson_viewed,
    signals.lesson_completed: tracking.receivers.record_lesson_completed,
    signals.quiz_answered: tracking.receivers.record_answer,
    signals.quiz_passed: tracking.receivers.record_quiz_passed,
    signals.quiz_failed: tracking.receivers.record_quiz_failed,
    signals.course_completed: tracking.receivers.record_course_completed,
    signals.path_completed: tracking.receivers.record_path_completed,
}


@pytest.fixture(autouse=True)
def _receivers_connected():
    """Connect the receivers as the plugin loader will (connecting twice is a no-op); another test module may
    have cleared a signal's receivers."""
    for signal, function in RECEIVERS.items():
        signal.connect(function.connected, weak=False)


@pytest.fixture()
def learner(factory):
    return factory.person(email="ann@example.com", name="Ann Learner", employee_id="E100")


@pytest.fixture()
def course(app):
    return build_course("pipeline-basics", lessons=2, questions=2)


@pytest.fixture()
def enrolled(learner, course):
    enrolled = enrolment.enrol(learner, course)
    db.session.commit()
    return enrolled


def _stored(**where) -> list[dict]:
    """Stored statement bodies in arrival order, optionally filtered by verb name."""
    query = select(Statement.body).order_by(Statement.seq)
    if "verb" in where:
        query = query.where(Statement.verb_id == ADL + where["verb"])
    return [json.loads(body) for body in db.session.scalars(query)]


def _keys(enrolled) -> tuple[list[str], str, list[dict]]:
    plan = learning.outline(learning.version_of(enrolled))
    [quiz_key] = plan.quiz_keys
    return plan.lesson_keys, quiz_key, plan.by_key[quiz_key]["questions"]


def _ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


def _seconds(duration: str) -> float:
    hours, minutes, seconds = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", duration).groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def test_a_lesson_view_is_one_experienced_statement_with_the_enrolment_context(enrolled):
    lessons, _, _ = _keys(enrolled)
    learning.view_lesson(enrolled, lessons[0])
    db.session.commit()
    [sent] = _stored()
    assert sent["actor"] == {"objectType": "Agent", "name": "Ann Learner",
                             "account": {"homePage": "http://localhost", "name": "E100"}}
    assert sent["verb"] == {"id": ADL + "experienced", "display": {"en-US": "experienced"}}
    assert sent["object"] == {"objectType": "Activity", "id": f"{BASE}/lesson/{lessons[0]}", "definition": {
        "name": {"en-US": "Lesson 1"}, "type": TYPE + "lesson"}}
    context = sent["context"]
    assert context["registration"] == enrolled.registration
    assert (context["platform"], context["language"], context["extensions"]) == ("Rapport", "en-US",
                                                                                 {VERSION_KEY: 1})
    assert context["contextActivities"] == {
        "parent": [{"objectType": "Activity", "id": f"{BASE}/module/basics",
                    "definition": {"name": {"en-US": "Basics"}, "type": TYPE + "module"}}],
        "grouping": [{"objectType": "Activity", "id": BASE,
                      "definition": {"name": {"en-US": "Pipeline Basics"}, "type": TYPE + "course"}}]}
    assert sent["authority"] == SYSTEM.authority() == {
        "objectType": "Agent", "name": "Rapport", "account": {"homePage": "http://localhost/xapi/clients",
                                                              "name": "rapport"}}
    assert "result" not in sent and sent["version"] == "1.0.3"
    # A second view is one more statement.
    learning.view_lesson(enrolled, lessons[0])
    db.session.commit()
    assert [s["verb"]["id"] for s in _stored()] == [ADL + "experienced"] * 2


def test_completing_lessons_and_passing_the_quiz_completes_the_course(enrolled, learner):
    lessons, quiz_key, questions = _keys(enrolled)
    for key in lessons:
        learning.complete_lesson(enrolled, key)
    attempt = learning.start_attempt(enrolled, quiz_key, rng=random.Random(1))
    learning.submit_attempt(attempt, {q["key"]: learning.correct_options(q) for q in questions})
    db.session.commit()
    verbs = [(s["verb"]["id"].removeprefix(ADL), s["object"]["id"].removeprefix(BASE)) for s in _stored()]
    assert verbs == [
        ("experienced", f"/lesson/{lessons[0]}"), ("completed", f"/lesson/{lessons[0]}"),
        ("experienced", f"/lesson/{lessons[1]}"), ("completed", f"/lesson/{lessons[1]}"),
        *[("answered", f"/quiz/{quiz_key}/question/{key}") for key in attempt.question_keys],
        ("passed", f"/quiz/{quiz_key}"), ("completed", "")]
    completed_lesson = _stored(verb="completed")[0]
    assert completed_lesson["result"] == {"completion": True}
    assert completed_lesson["context"] == _stored(verb="experienced")[0]["context"]
    passed = _stored(verb="passed")[0]
    assert passed["result"]["success"] is True
    assert passed["result"]["score"] == {"scaled": 1.0, "raw": 2.0, "min": 0.0, "max": 2.0}
    assert _ids(passed["context"]["contextActivities"]["parent"]) == [f"{BASE}/module/basics"]
    assert passed["object"]["definition"]["type"] == TYPE + "assessment"
    course_done = _stored(verb="completed")[-1]
    assert course_done["object"]["definition"] == {"name": {"en-US": "Pipeline Basics"}, "type": TYPE + "course"}
    assert course_done["result"]["completion"] is True and "contextActivities" not in course_done["context"]
    assert course_done["context"]["registration"] == enrolled.registration
    assert enrolled.status == "completed"


def test_the_course_version_the_learner_takes_is_a_context_extension(enrolled, course):
    authoring.publish(course, actor_id=None)  # the enrolment has not started: it moves to version 2
    db.session.commit()
    learning.view_lesson(enrolled, _keys(enrolled)[0][0])
    db.session.commit()
    assert _stored()[0]["context"]["extensions"] == {VERSION_KEY: 2}


def test_answers_are_choice_interactions_and_a_failed_attempt_has_score_and_duration(enrolled):
    _, quiz_key, questions = _keys(enrolled)
    attempt = learning.start_attempt(enrolled, quiz_key, rng=random.Random(2))
    attempt.started_at = utcnow() - timedelta(minutes=2, seconds=5)
    first, second = attempt.question_keys
    learning.submit_attempt(attempt, {first: [0], second: [1]})  # option 0 is right, option 1 wrong
    db.session.commit()
    answered = _stored(verb="answered")
    assert [a["object"]["id"] for a in answered] == [f"{BASE}/quiz/{quiz_key}/question/{first}",
                                                     f"{BASE}/quiz/{quiz_key}/question/{second}"]
    assert [(a["result"]["response"], a["result"]["success"]) for a in answered] == [("option-0", True),
                                                                                    ("option-1", False)]
    prompt = {q["key"]: q["prompt"] for q in questions}[first]
    assert answered[0]["object"]["definition"] == {
        "name": {"en-US": prompt}, "type": TYPE + "cmi.interaction", "interactionType": "choice",
        "correctResponsesPattern": ["option-0"],
        "choices": [{"id": "option-0", "description": {"en-US": "Right"}},
                    {"id": "option-1", "description": {"en-US": "Wrong"}}]}
    activities = answered[0]["context"]["contextActivities"]
    assert _ids(activities["parent"]) == [f"{BASE}/quiz/{quiz_key}"]
    assert _ids(activities["grouping"]) == [f"{BASE}/module/basics", BASE]
    assert answered[0]["context"]["registration"] == enrolled.registration
    [failed] = _stored(verb="failed")
    assert failed["object"]["id"] == f"{BASE}/quiz/{quiz_key}"
    result = failed["result"]
    assert result["success"] is False and "completion" not in result
    assert result["score"] == {"scaled": 0.5, "raw": 1.0, "min": 0.0, "max": 2.0}
    assert 125 <= _seconds(result["duration"]) < 135


def test_statements_are_queryable_through_the_lrs_and_projected_as_progress(enrolled, learner, lrs):
    lessons, quiz_key, questions = _keys(enrolled)
    learning.complete_lesson(enrolled, lessons[0])
    for right in (False, True):
        attempt = learning.start_attempt(enrolled, quiz_key, rng=random.Random(3))
        learning.submit_attempt(attempt, {q["key"]: learning.correct_options(q) if right else [1]
                                          for q in questions})
    db.session.commit()

    response = lrs.get("statements", registration=enrolled.registration, verb=ADL + "answered")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(response.json["statements"]) == 4
    agent = json.dumps({"account": {"homePage": "http://localhost", "name": "E100"}})
    response = lrs.get("statements", agent=agent, activity=f"{BASE}/module/basics", related_activities="true")
    assert {s["verb"]["id"].removeprefix(ADL) for s in response.json["statements"]} == {
        "experienced", "completed", "answered", "failed", "passed"}
    response = lrs.get("activities", activityId=f"{BASE}/quiz/{quiz_key}")
    assert response.status_code == 200 and response.json["definition"]["type"] == TYPE + "assessment"

    rows = {p.activity_id.removeprefix(BASE): p for p in db.session.scalars(select(Progress))}
    assert all(p.person_id == learner.id and p.agent_key == "account|http://localhost|E100" for p in rows.values())
    lesson = rows[f"/lesson/{lessons[0]}"]
    assert lesson.status == "completed" and lesson.completed_at is not None
    quiz = rows[f"/quiz/{quiz_key}"]
    assert (quiz.status, quiz.attempts, quiz.best_score) == ("passed", 2, 1.0)
    assert lessons[1] not in {key.rsplit("/", 1)[-1] for key in rows}


def test_a_path_enrolment_is_grouped_by_its_path_and_completing_the_path_is_a_statement(app, factory):
    role = factory.job_role("sales_rep")
    build_course("pipeline-basics", lessons=1, questions=0)
    path = LearningPath(slug="rollout", title="Rollout", ordered=True)
    path.steps = [PathCourse(course=db.session.scalar(select(Course).where(Course.slug == "pipeline-basics")),
                             position=0)]
    path.rules = [PathRule(job_role_id=role.id)]
    db.session.add(path)
    db.session.commit()
    person = factory.person(role="sales_rep", employee_id="E200")
    enrolment.assign_paths([person.id])
    db.session.commit()
    [enrolled] = overview.my_learning(person, utcnow().date())["assigned"]
    [lesson] = learning.required_keys(enrolled.enrolment)[0]
    learning.complete_lesson(enrolled.enrolment, lesson)
    db.session.commit()
    path_iri = "http://localhost/xapi/activities/path/rollout"
    for sent in _stored():
        if sent["object"]["id"] != path_iri:
            assert path_iri in _ids(sent["context"]["contextActivities"]["grouping"])
    course_done, path_done = _stored(verb="completed")[-2:]
    assert course_done["object"]["id"] == BASE
    assert _ids(course_done["context"]["contextActivities"]["grouping"]) == [path_iri]
    assert path_done["object"] == {"objectType": "Activity", "id": path_iri, "definition": {
        "name": {"en-US": "Rollout"}, "type": "http://localhost/xapi/activity-types/learning-path"}}
    assert path_done["result"] == {"completion": True} and "registration" not in path_done["context"]
    assignment = db.session.scalar(select(PathAssignment).where(PathAssignment.person_id == person.id))
    assert assignment.status == "completed"
    progress = db.session.scalar(select(Progress).where(Progress.activity_id == path_iri))
    assert (progress.person_id, progress.status) == (person.id, "completed")


def test_the_actor_is_the_mailbox_when_config_says_so(app, enrolled, learner):
    app.config["LMS_XAPI_ACTOR"] = "mbox"
    lessons, _, _ = _keys(enrolled)
    learning.complete_lesson(enrolled, lessons[0])
    db.session.commit()
    assert {json.dumps(s["actor"]) for s in _stored()} == {
        json.dumps({"objectType": "Agent", "name": "Ann Learner", "mbox": "mailto:ann@example.com"})}
    row = db.session.scalar(select(Progress).where(Progress.activity_id == f"{BASE}/lesson/{lessons[0]}"))
    assert (row.agent_key, row.person_id, row.status) == ("mbox|mailto:ann@example.com", learner.id, "completed")


def test_a_person_without_employee_id_is_an_account_named_by_person_id(app, enrolled, learner, factory):
    namesake = factory.person(employee_id=str(learner.id))  # whose employee id is the learner's person id
    learner.employee_id = None
    db.session.commit()
    learning.view_lesson(enrolled, _keys(enrolled)[0][0])
    db.session.commit()
    [sent] = _stored()
    assert sent["actor"]["account"] == {"homePage": "http://localhost/people", "name": str(learner.id)}
    assert db.session.scalar(select(Progress.person_id)) != namesake.id


def test_an_unknown_actor_setting_is_refused_naming_it(app, enrolled):
    app.config["LMS_XAPI_ACTOR"] = "openid"
    with pytest.raises(ValueError, match="LMS_XAPI_ACTOR"):
        learning.view_lesson(enrolled, _keys(enrolled)[0][0])
    db.session.rollback()


def test_nothing_is_stored_when_the_learning_transaction_rolls_back(make_app, app, enrolled):
    app.config["LMS_LRS_FORWARD_URL"] = "http://127.0.0.1:9/xAPI"
    lessons, quiz_key, _ = _keys(enrolled)
    learning.complete_lesson(enrolled, lessons[0])
    learning.submit_attempt(learning.start_attempt(enrolled, quiz_key), {})
    db.session.rollback()
    db.session.commit()  # the rolled-back transaction's statements are not stored by the next one either
    for model in (Statement, OutboxEntry, Progress):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_a_transaction_s_statements_are_stored_together_when_it_commits(app, enrolled):
    app.config["LMS_LRS_FORWARD_URL"] = "http://127.0.0.1:9/xAPI"
    lessons, quiz_key, _ = _keys(enrolled)
    learning.complete_lesson(enrolled, lessons[0])
    learning.submit_attempt(learning.start_attempt(enrolled, quiz_key), {})
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(Statement)) == 0  # not before the commit
    db.session.commit()
    stored = db.session.execute(select(Statement.stored, Statement.verb_id).order_by(Statement.seq)).all()
    assert [verb.removeprefix(ADL) for _, verb in stored] == ["experienced", "completed", "answered", "answered",
                                                              "failed"]
    assert len({moment for moment, _ in stored}) == 1  # one batch
    assert db.session.scalar(select(func.count()).select_from(OutboxEntry)) == 5


def test_each_statement_is_queued_for_forwarding_in_the_same_transaction(app, enrolled):
    app.config["LMS_LRS_FORWARD_URL"] = "http://127.0.0.1:9/xAPI"
    learning.view_lesson(enrolled, _keys(enrolled)[0][0])
    db.session.commit()
    [seq] = db.session.scalars(select(Statement.seq))
    assert [(o.statement_seq, o.status) for o in db.session.scalars(select(OutboxEntry))] == [(seq, "queued")]


def test_no_statement_where_the_tracking_plugin_is_disabled(make_app, factory, app):
    learner = factory.person()
    course = build_course("pipeline-basics", lessons=1, questions=0)
    enrolled = enrolment.enrol(learner, course)
    db.session.commit()
    enrolment_id = enrolled.id
    with make_app(LMS_PLUGINS=["courses"]).app_context():
        from courses.models import Enrolment

        again = db.session.get(Enrolment, enrolment_id)
        learning.complete_lesson(again, learning.required_keys(again)[0][0])
        db.session.commit()
        db.session.remove()
    assert _stored() == []
