"""Learning paths, new-hire onboarding, versions, remedial training and completion, through the services."""
from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from courses import authoring, enrolment, learning, library
from courses.models import Enrolment, LearningPath, PathAssignment
from lms import signals
from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import Person
from lms.people.roster import import_roster
from lms.types import utcnow
from tests.courses.builders import build_course


def _answer_all(attempt, right: bool = True) -> None:
    plan = learning.outline(learning.version_of(attempt.enrolment))
    questions = {q["key"]: q for q in plan.by_key[attempt.quiz_key]["questions"]}
    answers = {}
    for key in attempt.question_keys:
        correct = learning.correct_options(questions[key])
        answers[key] = correct if right else [i for i in range(len(questions[key]["options"])) if i not in correct][:1]
    learning.submit_attempt(attempt, answers)


def _finish(enrol: Enrolment) -> None:
    lessons, quizzes = learning.required_keys(enrol)
    for key in lessons:
        learning.complete_lesson(enrol, key)
    for key in quizzes:
        _answer_all(learning.start_attempt(enrol, key))


def test_roster_import_assigns_the_new_hire_path_with_its_due_date(app, factory):
    for code in ("sales_rep", "service_agent", "sales_manager", "service_manager", "marketer"):
        factory.job_role(code)
    library.import_library(library.STARTER, actor_id=None)
    db.session.commit()
    hired = utcnow().date() - timedelta(days=3)
    report = import_roster(io.BytesIO(
        f"employee_id,email,name,job_role,hire_date\nS1,new.rep@example.com,New Rep,sales_rep,{hired}\n"
        f"S2,old.rep@example.com,Old Rep,sales_rep,2015-01-01\n".encode()), actor_id=None)
    assert report.ok
    db.session.commit()
    new, old = (db.session.scalar(select(Person).where(Person.email == e))
                for e in ("new.rep@example.com", "old.rep@example.com"))
    new_paths = {a.path.slug: a for a in db.session.scalars(select(PathAssignment).where(
        PathAssignment.person_id == new.id))}
    assert new_paths["new-hire-sales-rep"].due_date == hired + timedelta(days=30)
    old_paths = {a.path.slug for a in db.session.scalars(select(PathAssignment).where(
        PathAssignment.person_id == old.id))}
    assert "new-hire-sales-rep" not in old_paths and old_paths  # veterans get the rollout paths instead
    courses = {e.course.slug: e for e in db.session.scalars(select(Enrolment).where(Enrolment.person_id == new.id))}
    assert {"welcome-to-the-crm", "crm-sales-rep"} <= set(courses)
    assert courses["crm-sales-rep"].due_date == hired + timedelta(days=30)


def _path(slug: str, course_slugs: list[str], **rule) -> LearningPath:
    from courses.models import Course, PathCourse, PathRule

    path = LearningPath(slug=slug, title=slug, ordered=True, due_days=14, due_after="assignment",
                        recertify_months=12)
    path.steps = [PathCourse(course=db.session.scalar(select(Course).where(Course.slug == s)), position=i)
                  for i, s in enumerate(course_slugs)]
    path.rules = [PathRule(**rule)]
    db.session.add(path)
    db.session.commit()
    return path


def test_changing_role_assigns_the_new_roles_path(app, factory):
    rep_role, manager_role = factory.job_role("sales_rep"), factory.job_role("sales_manager")
    build_course("coaching")
    _path("managers", ["coaching"], job_role_id=manager_role.id)
    person = factory.person(role="sales_rep")
    assert enrolment.assign_paths([person.id]) == 0
    from lms.people import services as people

    info = people.PersonInfo(name=person.name, email=person.email, employee_id=person.employee_id,
                             job_role_id=manager_role.id)
    people.update_person(person, info, actor_id=None)
    db.session.commit()
    slugs = {a.path.slug for a in db.session.scalars(select(PathAssignment).where(
        PathAssignment.person_id == person.id))}
    assert slugs == {"managers"} and rep_role.id != manager_role.id


def test_ordered_path_locks_later_courses_and_completion_sets_recertification(app, factory):
    role = factory.job_role("sales_rep")
    build_course("first", questions=1)
    build_course("second", questions=0)
    _path("rollout", ["first", "second"], job_role_id=role.id)
    person = factory.person(role="sales_rep")
    enrolment.assign_paths([person.id])
    first, second = sorted(db.session.scalars(select(Enrolment).where(Enrolment.person_id == person.id)),
                           key=lambda e: e.course.slug)
    with pytest.raises(DomainError, match="Finish “First” first"):
        learning.view_lesson(second, learning.required_keys(second)[0][0])
    completed = []

    def on_path_completed(sender, **kw):
        completed.append(kw["event"].assignment_id)

    signals.path_completed.connect(on_path_completed)
    try:
        _finish(first)
        _finish(second)
    finally:
        signals.path_completed.disconnect(on_path_completed)
    assignment = db.session.get(PathAssignment, first.assignment_id)
    assert assignment.status == "completed" and len(completed) == 1
    assert assignment.expires_on == enrolment.add_months(assignment.completed_at.date(), 12)
    # A year on, the certification expires and the path is assigned again.
    assert enrolment.expire_certifications(on=assignment.expires_on) == 1
    fresh = db.session.scalars(select(PathAssignment).where(PathAssignment.person_id == person.id,
                                                            PathAssignment.status == "assigned")).all()
    assert len(fresh) == 1
    assert {e.status for e in db.session.scalars(select(Enrolment).where(
        Enrolment.assignment_id == fresh[0].id))} == {"assigned"}


def test_failing_a_quiz_assigns_remedial_and_blocks_the_retry_until_done(app, factory):
    build_course("crm-remedial", kind="remedial", module_slug="pipeline-hygiene", lessons=2, questions=0)
    course = build_course("pipeline", remedial="crm-remedial/pipeline-hygiene", questions=3)
    person = factory.person()
    enrol = enrolment.enrol(person, course)
    quiz_key = learning.required_keys(enrol)[1][0]
    _answer_all(learning.start_attempt(enrol, quiz_key, random.Random(1)), right=False)
    state = learning.quiz_state(enrol, quiz_key)
    assert state.blocked_by is not None and state.blocked_by.course.slug == "crm-remedial"
    with pytest.raises(DomainError, match="Finish the remedial module"):
        learning.start_attempt(enrol, quiz_key)
    remedial = state.blocked_by
    for key in learning.required_keys(remedial)[0]:
        learning.complete_lesson(remedial, key)
    assert remedial.status == "completed"
    attempt = learning.start_attempt(enrol, quiz_key)
    assert attempt.number == 2
    _answer_all(attempt)
    assert attempt.passed


def test_attempt_limit_and_server_side_marking(app, factory):
    course = build_course("limited", questions=4, draw=2)
    enrol = enrolment.enrol(factory.person(), course)
    quiz_key = learning.required_keys(enrol)[1][0]
    for _ in range(3):
        attempt = learning.start_attempt(enrol, quiz_key)
        assert len(attempt.question_keys) == 2
        learning.submit_attempt(attempt, {k: [99, -1] for k in attempt.question_keys})  # nonsense indexes
        assert attempt.score == 0 and attempt.passed is False
    with pytest.raises(DomainError, match="used every attempt"):
        learning.start_attempt(enrol, quiz_key)


def test_learners_finish_the_version_they_started_and_recompletion_reenrols(app, factory):
    course = build_course("versioned", questions=0)
    started, waiting, done = (factory.person() for _ in range(3))
    e_started, e_waiting, e_done = (enrolment.enrol(p, course) for p in (started, waiting, done))
    learning.view_lesson(e_started, learning.required_keys(e_started)[0][0])
    _finish(e_done)
    v1 = course.latest_version
    module = course.modules[0]
    authoring.save_lesson(module, authoring.LessonInfo(title="New rule", body="Always log the call."))
    v2 = authoring.publish(course, actor_id=None, requires_recompletion=True)
    db.session.commit()
    db.session.expire_all()
    assert e_started.version_id == v1.id  # keeps the version they started
    assert e_waiting.version_id == v2.id  # had not started: moved to the new version
    assert len(learning.required_keys(e_waiting)[0]) == 3
    again = db.session.scalars(select(Enrolment).where(Enrolment.person_id == done.id,
                                                       Enrolment.status == "assigned")).all()
    assert [e.version_id for e in again] == [v2.id] and again[0].source == "recompletion"
    assert again[0].due_date == utcnow().date() + timedelta(days=30)
