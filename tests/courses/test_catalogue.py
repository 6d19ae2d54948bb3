"""The learner's catalogue (search over the published courses they may take), transcript, certificate PDF and
the public verification of a certificate's reference."""
from __future__ import annotations

import re

from sqlalchemy import select

from courses import learning
from courses.enrolment import enrol
from courses.models import Enrolment
from lms.extensions import db
from tests.conftest import post_form
from tests.courses.builders import build_course


def test_the_catalogue_lists_and_searches_what_the_learner_may_take(client, factory, as_person):
    rep = factory.job_role("sales_rep")
    build_course("pipeline-basics", job_role_ids=(rep.id,))
    build_course("listening-skills")  # for everyone
    build_course("case-handling", job_role_ids=(factory.job_role("service_agent").id,))
    build_course("refresher", kind="remedial")
    build_course("draft-course", publish=False)
    learner = factory.person(role="sales_rep")
    as_person(learner)
    html = client.get("/learning/catalogue").get_data(as_text=True)
    assert "Pipeline Basics" in html and "Listening Skills" in html
    assert "Case Handling" not in html and "Refresher" not in html and "Draft Course" not in html
    found = client.get("/learning/catalogue?q=listen").get_data(as_text=True)
    assert "Listening Skills" in found and "Pipeline Basics" not in found and "1 course match" in found
    assert "No course matches" in client.get("/learning/catalogue?q=zzz%25").get_data(as_text=True)
    course_id = re.search(r'/learning/course/(\d+)/enrol', found).group(1)
    assert post_form(client, f"/learning/course/{course_id}/enrol", {}, form_url="/learning/catalogue").status_code \
        == 302
    assert "Open" in client.get("/learning/catalogue?q=listen").get_data(as_text=True)


def finished(person, course) -> Enrolment:
    enrolment = enrol(person, course)
    for lesson in course.modules[0].lessons:
        learning.complete_lesson(enrolment, lesson.key)
    quiz = course.modules[0].quizzes[0]
    attempt = learning.start_attempt(enrolment, quiz.key)
    learning.submit_attempt(attempt, {q.key: [0] for q in quiz.questions})
    db.session.commit()
    return enrolment


def test_transcript_certificate_pdf_and_public_verification(client, factory, as_person):
    course = build_course("pipeline")
    learner = factory.person(name="Rita Rep", email="rita@example.com")
    enrolment = finished(learner, course)
    assert enrolment.status == "completed" and len(enrolment.certificate_ref) >= 24
    as_person(learner)
    html = client.get("/learning/transcript").get_data(as_text=True)
    assert "Pipeline" in html and "Completed" in html and "Passed" in html
    assert f"/learning/verify/{enrolment.certificate_ref}" in html

    pdf = client.get(f"/learning/e/{enrolment.id}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")

    post_form(client, "/auth/logout", {}, form_url="/")
    public = client.get(f"/learning/verify/{enrolment.certificate_ref}")
    text = public.get_data(as_text=True)
    assert public.status_code == 200 and "genuine" in text and "Rita Rep" in text and "Pipeline" in text
    assert "rita@example.com" not in text and learner.employee_id not in text
    assert client.get("/learning/verify/not-a-reference").status_code == 404
    # The reference is not the xAPI registration (which leaves with every statement).
    assert enrolment.certificate_ref != enrolment.registration


def test_someone_elses_certificate_pdf_is_not_found(client, factory, as_person):
    course = build_course("pipeline")
    enrolment = finished(factory.person(), course)
    as_person(factory.person())
    assert client.get(f"/learning/e/{enrolment.id}/certificate.pdf").status_code == 404
    assert db.session.scalar(select(Enrolment.status).where(Enrolment.id == enrolment.id)) == "completed"
