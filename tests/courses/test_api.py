"""courses.api, the public module other plugins use, checked against a hand-built organisation whose right
answers are written here.

The organisation: path P (courses One then Two, due 10 days after assignment), assigned by rule to the sales
reps Ann, Ben and Dee; by hand to Eve (due in 5 days), whose course Two is waived. Cy has course Three by hand
(due in 3 days) and enrolled herself in One. Ann finished One (failed its quiz once, then passed) and started Two;
Ben failed One's quiz (so he has started it); Dee finished both.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from courses import api, learning, overrides
from courses.enrolment import assign_path_by_hand, assign_paths, enrol, today
from courses.models import Enrolment, LearningPath, PathCourse, PathRule
from lms.extensions import db
from lms.permissions import Permission
from tests.courses.builders import build_course


@pytest.fixture()
def org(app, factory):
    one, two, three = build_course("one"), build_course("two"), build_course("three")
    rep = factory.job_role("sales_rep")
    path = LearningPath(slug="p", title="P", ordered=True, due_days=10, due_after="assignment",
                        steps=[PathCourse(course=one, position=0), PathCourse(course=two, position=1)],
                        rules=[PathRule(job_role_id=rep.id)])
    db.session.add(path)
    db.session.commit()
    ann, ben, dee = (factory.person(name=n, role="sales_rep") for n in ("Ann", "Ben", "Dee"))
    cy, eve = factory.person(name="Cy", role=None), factory.person(name="Eve", role=None)
    trainer = factory.person(name="T", role=None, permissions=(Permission.TRAINER,))
    assign_paths([ann.id, ben.id, dee.id, cy.id, eve.id])
    assign_path_by_hand([eve.id], path, due_date=today() + timedelta(days=5))
    enrol(cy, three, source="manual", due_date=today() + timedelta(days=3))
    enrol(cy, one, source="self")
    db.session.flush()

    def mine(person, course):
        return db.session.scalar(select(Enrolment).where(Enrolment.person_id == person.id,
                                                         Enrolment.course_id == course.id))

    def finish(person, course, *, fail_first=False):
        enrolment = mine(person, course)
        for lesson in course.modules[0].lessons:
            learning.complete_lesson(enrolment, lesson.key)
        quiz = course.modules[0].quizzes[0]
        if fail_first:
            learning.submit_attempt(learning.start_attempt(enrolment, quiz.key), {})
        learning.submit_attempt(learning.start_attempt(enrolment, quiz.key), {q.key: [0] for q in quiz.questions})

    finish(ann, one, fail_first=True)
    learning.view_lesson(mine(ann, two), two.modules[0].lessons[0].key)
    learning.submit_attempt(learning.start_attempt(mine(ben, one), one.modules[0].quizzes[0].key), {})
    finish(dee, one)
    finish(dee, two)
    overrides.waive(trainer, mine(eve, two).id, "Took it last year")
    db.session.commit()
    return {"one": one, "two": two, "three": three, "path": path, "ann": ann, "ben": ben, "cy": cy, "dee": dee,
            "eve": eve}


def ids(select_of_ids) -> set[int]:
    return set(db.session.scalars(select_of_ids))


def names(org, people) -> set[str]:
    by_id = {org[k].id: k for k in ("ann", "ben", "cy", "dee", "eve")}
    return {by_id[i] for i in people}


def test_requirements(org):
    people = [org[k].id for k in ("ann", "ben", "cy", "dee", "eve")]
    found = {(names(org, [r.person_id]).pop(), r.course_id): r for r in api.requirements(people)}
    one, two, three = org["one"].id, org["two"].id, org["three"].id
    assert set(found) == {("ann", one), ("ann", two), ("ben", one), ("ben", two), ("cy", three), ("dee", one),
                          ("dee", two), ("eve", one)}  # Cy's self-chosen One is not; Eve's waived Two is not
    assert found[("ann", one)].completed_at is not None and found[("ann", two)].completed_at is None
    assert found[("ann", two)].started_at is not None and found[("ben", two)].started_at is None
    assert found[("ann", one)].path_ids == (org["path"].id,) and found[("cy", three)].path_ids == ()
    assert found[("ann", one)].due_date == today() + timedelta(days=10)
    assert found[("eve", one)].due_date == today() + timedelta(days=5)
    assert found[("cy", three)].due_date == today() + timedelta(days=3)


def test_course_status_selects(org):
    later = today() + timedelta(days=11)
    one, two = org["one"].id, org["two"].id
    expected = {
        (one, "completed"): {"ann", "dee"}, (one, "not_started"): {"cy", "eve"},
        (one, "in_progress"): {"ben"}, (one, "not_completed"): {"ben", "cy", "eve"}, (one, "overdue"): {"ben", "eve"},
        (two, "completed"): {"dee"}, (two, "not_started"): {"ben"}, (two, "in_progress"): {"ann"},
        (two, "not_completed"): {"ann", "ben"}, (two, "overdue"): {"ann", "ben"},
    }
    for (course_id, status), people in expected.items():
        assert names(org, ids(api.people_by_course_status(course_id, status, on=later))) == people, (course_id, status)
    assert ids(api.people_by_course_status(two, "overdue")) == set()  # nothing is late today
    with pytest.raises(ValueError):
        api.people_by_course_status(one, "nonsense")


def test_path_status_selects(org):
    later, path = today() + timedelta(days=11), org["path"].id
    expected = {"completed": {"dee"}, "not_started": {"eve"}, "in_progress": {"ann", "ben"},
                "not_completed": {"ann", "ben", "eve"}, "overdue": {"ann", "ben", "eve"}}
    for status, people in expected.items():
        assert names(org, ids(api.people_by_path_status(path, status, on=later))) == people, status
    assert names(org, ids(api.people_by_path_status(path, "overdue", on=today() + timedelta(days=6)))) == {"eve"}


def test_people_who_failed_a_quiz_and_have_not_passed_it_since(org):
    quiz_key = org["one"].modules[0].quizzes[0].key
    assert names(org, ids(api.people_who_failed_quiz(org["one"].id, quiz_key))) == {"ben"}  # Ann passed later


def test_people_with_anything_overdue(org):
    assert ids(api.people_with_anything_overdue()) == set()
    assert names(org, ids(api.people_with_anything_overdue(today() + timedelta(days=4)))) == {"cy"}
    assert names(org, ids(api.people_with_anything_overdue(today() + timedelta(days=6)))) == {"cy", "eve"}
    assert names(org, ids(api.people_with_anything_overdue(today() + timedelta(days=11)))) == {
        "ann", "ben", "cy", "eve"}


def test_due_items(org):
    people = [org[k].id for k in ("ann", "ben", "cy", "dee", "eve")]
    items = api.due_items(people)
    titles = {names(org, [pid]).pop(): [(i.title, i.started) for i in found] for pid, found in items.items()}
    assert titles == {"ann": [("Two", True)], "ben": [("One", True), ("Two", False)],
                      "cy": [("Three", False), ("One", False)], "eve": [("One", False)]}
    assert all(not i.overdue for found in items.values() for i in found)
    late = api.due_items(people, today() + timedelta(days=4), with_undated=False)
    assert [(i.title, i.overdue) for i in late[org["cy"].id]] == [("Three", True)]
    assert items[org["ann"].id][0].path == f"/learning/e/{items[org['ann'].id][0].enrolment_id}"


def test_path_courses_lists_every_paths_courses_in_order(app):
    first, second = build_course("first", questions=0), build_course("second", questions=0)
    active = LearningPath(slug="rollout", title="Rollout", steps=[PathCourse(course=second, position=0),
                                                                   PathCourse(course=first, position=1)])
    retired = LearningPath(slug="old", title="Old", active=False, steps=[PathCourse(course=first, position=0)])
    db.session.add_all([active, retired])
    db.session.commit()
    assert api.path_courses() == {active.id: (second.id, first.id), retired.id: (first.id,)}
