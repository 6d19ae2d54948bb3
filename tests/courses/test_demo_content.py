"""The demo loads the starter library and assigns it, so every demo login has something to do."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from courses.models import Course, Enrolment, PathAssignment
from lms.extensions import db
from lms.people.models import Person


@pytest.fixture()
def app(demo_app):
    """The demo organisation, seeded once per session; each test here gets its own copy."""
    return demo_app


def test_demo_learner_has_the_new_hire_path_and_its_courses(app):
    result = app.test_cli_runner().invoke(args=["lms", "demo"])  # seeded once per session, with a password
    assert result.exit_code == 0 and "already there" in result.output, result.output
    assert db.session.scalar(select(Course).where(Course.slug == "crm-sales-rep")).status == "published"
    learner = db.session.scalar(select(Person).where(Person.email == "learner@northwind.example"))
    paths = {a.path.slug: a for a in db.session.scalars(select(PathAssignment).where(
        PathAssignment.person_id == learner.id))}
    assert "new-hire-sales-rep" in paths
    assert paths["new-hire-sales-rep"].due_date is not None
    slugs = {e.course.slug for e in db.session.scalars(select(Enrolment).where(Enrolment.person_id == learner.id))}
    assert {"welcome-to-the-crm", "crm-sales-rep", "soft-skills"} <= slugs


def test_demo_colleagues_are_part_way_through_and_their_learning_is_recorded(app):
    from courses.models import LessonProgress, QuizAttempt
    from tracking.models import Progress, Statement

    statuses = dict(db.session.execute(select(Enrolment.status, func.count()).group_by(Enrolment.status)).all())
    assert statuses["in_progress"] > 20 and statuses["completed"] > 0 and statuses["assigned"] > 20
    attempts = db.session.scalars(select(QuizAttempt)).all()
    assert any(a.passed for a in attempts) and any(a.passed is False for a in attempts)
    learner = db.session.scalar(select(Person).where(Person.email == "learner@northwind.example"))
    assert not db.session.scalar(select(func.count()).select_from(LessonProgress).join(Enrolment).where(
        Enrolment.person_id == learner.id))  # the demo logins start fresh
    # Every step went through the learner's services: statements in the LRS, progress for the people.
    completed_lessons = db.session.scalar(select(func.count()).select_from(LessonProgress).where(
        LessonProgress.completed_at.is_not(None)))
    completions = db.session.scalar(select(func.count()).select_from(Statement).where(
        Statement.verb_id == "http://adlnet.gov/expapi/verbs/completed", Statement.activity_id.contains("/lesson/")))
    assert completions == completed_lessons > 100
    # Every learning record is someone's (the demo CRM's usage statements name people by the CRM's own accounts,
    # which adoption reads by employee id: they are not learning progress on Rapport's activities).
    site = app.config["LMS_BASE_URL"].rstrip("/") + "/"
    assert db.session.scalar(select(func.count()).select_from(Progress).where(
        Progress.person_id.is_(None), Progress.activity_id.startswith(site))) == 0
