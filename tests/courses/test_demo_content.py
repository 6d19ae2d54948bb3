"""The demo loads the starter library and assigns it, so every demo login has something to do."""
from __future__ import annotations

from sqlalchemy import select

from courses.models import Course, Enrolment, PathAssignment
from lms.extensions import db
from lms.people.models import Person


def test_demo_learner_has_the_new_hire_path_and_its_courses(app):
    result = app.test_cli_runner().invoke(args=["lms", "demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Course).where(Course.slug == "crm-sales-rep")).status == "published"
    learner = db.session.scalar(select(Person).where(Person.email == "learner@northwind.example"))
    paths = {a.path.slug: a for a in db.session.scalars(select(PathAssignment).where(
        PathAssignment.person_id == learner.id))}
    assert "new-hire-sales-rep" in paths
    assert paths["new-hire-sales-rep"].due_date is not None
    slugs = {e.course.slug for e in db.session.scalars(select(Enrolment).where(Enrolment.person_id == learner.id))}
    assert {"welcome-to-the-crm", "crm-sales-rep", "soft-skills"} <= slugs
