"""A published course aimed at a job role is offered to people in that role, who may enrol themselves."""
from __future__ import annotations

from sqlalchemy import select

from courses.models import Enrolment
from lms.extensions import db
from tests.conftest import post_form
from tests.courses.builders import build_course


def test_course_for_my_role_is_offered_and_i_can_enrol(client, factory, as_person):
    rep_role = factory.job_role("sales_rep")
    course = build_course("for-reps", job_role_ids=(rep_role.id,))
    build_course("for-agents", job_role_ids=(factory.job_role("service_agent").id,))
    rep = factory.person(role="sales_rep")
    as_person(rep)
    page = client.get("/learning/").get_data(as_text=True)
    assert "Available for your role" in page and "For Reps" in page and "For Agents" not in page
    response = post_form(client, f"/learning/course/{course.id}/enrol", {}, form_url="/learning/")
    assert response.status_code == 302
    [enrolment] = db.session.scalars(select(Enrolment).where(Enrolment.person_id == rep.id)).all()
    assert enrolment.course.slug == "for-reps" and enrolment.source == "self"
    assert "Available for your role" not in client.get("/learning/").get_data(as_text=True)


def test_a_course_for_another_role_cannot_be_joined(client, factory, as_person):
    course = build_course("for-agents", job_role_ids=(factory.job_role("service_agent").id,))
    rep = factory.person(role="sales_rep")
    as_person(rep)
    response = post_form(client, f"/learning/course/{course.id}/enrol", {}, form_url="/learning/")
    assert response.status_code == 404
    assert db.session.scalars(select(Enrolment)).all() == []
