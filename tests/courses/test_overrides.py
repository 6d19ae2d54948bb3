"""Assignment by hand (trainers: anyone; managers: only their own team, direct or indirect), the trainer's
overrides (extra attempts, a reset attempt, a waived course, a changed due date), each in the audit log and
announced with training_changed; the team page and the person page, and nobody outside the team seen."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from courses import api, learning
from courses.enrolment import enrol, today
from courses.models import Enrolment, QuizAttempt
from lms import signals
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.permissions import Permission
from tests.conftest import post_form
from tests.courses.builders import build_course


def team(factory):
    """Mia manages Al directly and Bea through Al; Oz works for another manager; two people named Sam Lee."""
    mia = factory.person(name="Mia Manager", permissions=(Permission.MANAGER, Permission.LEARNER),
                         email="mia@example.com")
    al = factory.person(name="Al Direct", manager=mia, email="al@example.com",
                        permissions=(Permission.MANAGER, Permission.LEARNER))
    bea = factory.person(name="Bea Indirect", manager=al, email="bea@example.com")
    other = factory.person(name="Other Manager", permissions=(Permission.MANAGER,))
    oz = factory.person(name="Oz Outside", manager=other, email="oz@example.com")
    sam1 = factory.person(name="Sam Lee", manager=mia, email="sam.lee@example.com")
    sam2 = factory.person(name="Sam Lee", manager=mia, email="samuel.lee@example.com")
    trainer = factory.person(name="Tess Trainer", permissions=(Permission.TRAINER, Permission.LEARNER),
                             email="tess@example.com")
    return {"mia": mia, "al": al, "bea": bea, "oz": oz, "sam1": sam1, "sam2": sam2, "trainer": trainer,
            "other": other}


class Changes:
    def __init__(self):
        self.people: list[int] = []

    def __call__(self, sender, person_ids, **kwargs):
        self.people += person_ids


def test_a_manager_assigns_to_their_team_and_never_outside_it(client, factory, as_person):
    people = team(factory)
    course = build_course("pipeline")
    as_person(people["mia"])
    changes = Changes()
    signals.training_changed.connect(changes, weak=False)
    try:
        response = post_form(client, "/learning/assign", {"course_id": str(course.id), "path_id": "",
                                                          "people": "al@example.com\nbea@example.com",
                                                          "due_date": "2031-01-31"})
        assert response.status_code == 302, response.get_data(as_text=True)
    finally:
        signals.training_changed.disconnect(changes)
    rows = dict(db.session.execute(select(Enrolment.person_id, Enrolment.due_date)
                                   .where(Enrolment.source == "manual")).all())
    assert rows == {people["al"].id: date(2031, 1, 31), people["bea"].id: date(2031, 1, 31)}
    assert set(changes.people) == {people["al"].id, people["bea"].id}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "course.assign")) == 2

    # Someone outside the team: refused with the line named, and nothing written (not even for Al).
    response = post_form(client, "/learning/assign", {"course_id": str(course.id), "path_id": "",
                                                      "people": "al@example.com\noz@example.com"})
    assert response.status_code == 400
    assert "line 2: oz@example.com is not a person you can assign to" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(Enrolment.person_id == people["oz"].id)) == 0
    # A manager cannot name another manager's team either.
    response = post_form(client, "/learning/assign", {"course_id": str(course.id), "path_id": "",
                                                      "team_of": "other@example.com"})
    assert db.session.scalar(select(func.count()).where(Enrolment.person_id == people["oz"].id)) == 0
    # The whole team at once: Al, Bea and both Sams (Al and Bea keep their enrolment).
    response = post_form(client, "/learning/assign", {"course_id": str(course.id), "path_id": "",
                                                      "whole_team": "y"})
    assert response.status_code == 302
    assert set(db.session.scalars(select(Enrolment.person_id))) == {
        people[k].id for k in ("al", "bea", "sam1", "sam2")}


def test_a_manager_sees_only_their_team(client, factory, as_person):
    people = team(factory)
    course = build_course("pipeline")
    for key in ("bea", "oz"):
        enrol(people[key], course, source="manual", due_date=today() - timedelta(days=2))
    db.session.commit()
    as_person(people["mia"])
    assert client.get(f"/learning/people/{people['bea'].id}").status_code == 200
    assert client.get(f"/learning/people/{people['oz'].id}").status_code == 404
    assert client.get(f"/learning/assign?person_id={people['oz'].id}").status_code == 404
    html = client.get("/learning/team?all=1").get_data(as_text=True)
    assert "Bea Indirect" in html and "Oz Outside" not in html
    assert "sam.lee@example.com" in html and "samuel.lee@example.com" in html  # two Sam Lees told apart
    assert "1 overdue" in html and f'href="/learning/people/{people["bea"].id}"' in html
    # Overrides are the trainer's: a manager is refused.
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.person_id == people["bea"].id))
    assert post_form(client, f"/learning/enrolments/{enrolment.id}/waive", {"reason": "x"},
                     form_url="/learning/team").status_code == 403


def test_the_team_page_shows_paths_overdue_work_failed_quizzes_and_remedial(client, factory, as_person):
    people = team(factory)
    remedial = build_course("refresher", kind="remedial", questions=0)
    course = build_course("pipeline", remedial="refresher/basics")
    enrolment = enrol(people["al"], course, source="manual", due_date=today() - timedelta(days=1))
    quiz_key = course.modules[0].quizzes[0].key
    attempt = learning.start_attempt(enrolment, quiz_key)
    learning.submit_attempt(attempt, {})
    db.session.commit()
    as_person(people["mia"])
    html = client.get("/learning/team").get_data(as_text=True)
    row = html.split("Al Direct", 1)[1].split("</tr>", 1)[0]
    assert "1 overdue" in row and "Check" in row and "Refresher" in row
    assert "weakest questions" in html and "0% right" in html
    assert remedial


def test_trainer_overrides_are_audited_and_change_what_is_required(client, factory, as_person):
    people = team(factory)
    course = build_course("pipeline")  # 3 attempts
    other = build_course("other")
    learner = people["bea"]
    enrolment = enrol(learner, course, source="manual", due_date=today() + timedelta(days=3))
    waived = enrol(learner, other, source="manual", due_date=today() - timedelta(days=3))
    quiz_key = course.modules[0].quizzes[0].key
    for _ in range(3):
        learning.submit_attempt(learning.start_attempt(enrolment, quiz_key), {})
    db.session.commit()
    assert learning.quiz_state(enrolment, quiz_key).out_of_attempts
    assert learner.id in set(db.session.scalars(api.people_with_anything_overdue()))

    as_person(people["trainer"])
    page = f"/learning/people/{learner.id}"
    html = client.get(page).get_data(as_text=True)
    assert "Grant" in html and "Reset" in html and "Waive the course" in html
    changes = Changes()
    signals.training_changed.connect(changes, weak=False)
    try:
        post_form(client, f"/learning/enrolments/{enrolment.id}/attempts", {"quiz_key": quiz_key, "extra": "2"},
                  form_url=page)
        first = db.session.scalar(select(QuizAttempt.id).where(QuizAttempt.number == 1))
        post_form(client, f"/learning/attempts/{first}/reset", {}, form_url=page)
        post_form(client, f"/learning/enrolments/{enrolment.id}/due", {"due_date": "2031-06-30"}, form_url=page)
        refused = post_form(client, f"/learning/enrolments/{waived.id}/waive", {"reason": ""}, form_url=page)
        assert refused.status_code == 302
        post_form(client, f"/learning/enrolments/{waived.id}/waive", {"reason": "Did it at the old employer"},
                  form_url=page)
    finally:
        signals.training_changed.disconnect(changes)
    db.session.expire_all()
    enrolment = db.session.get(Enrolment, enrolment.id)
    state = learning.quiz_state(enrolment, quiz_key)
    assert (state.attempts_allowed, state.attempts_used, state.can_start) == (5, 2, True)
    assert enrolment.due_date == date(2031, 6, 30)
    assert db.session.get(Enrolment, waived.id).status == "waived"
    assert changes.people == [learner.id] * 4
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"attempts.grant", "attempt.reset", "due.change", "course.waive"} <= actions
    # What is required now: the waived course is not; the due date moved.
    required = api.requirements([learner.id])
    assert [(r.course_id, r.due_date) for r in required] == [(course.id, date(2031, 6, 30))]
    assert learner.id not in set(db.session.scalars(api.people_with_anything_overdue()))
    assert learner.id not in set(db.session.scalars(api.people_by_course_status(other.id, "not_completed")))
    html = client.get(page).get_data(as_text=True)
    assert "Did it at the old employer" in html and "(reset)" in html


def test_a_manager_ticks_people_of_their_team(client, factory, as_person):
    people = team(factory)
    course = build_course("pipeline")
    as_person(people["mia"])
    page = client.get(f"/learning/assign?course_id={course.id}&person_id={people['bea'].id}").get_data(as_text=True)
    assert "Bea Indirect (bea@example.com" in page and "Oz Outside" not in page
    assert "Sam Lee (sam.lee@example.com" in page and "Sam Lee (samuel.lee@example.com" in page
    response = post_form(client, "/learning/assign", {"course_id": str(course.id), "path_id": "",
                                                      "person_ids": [str(people["bea"].id), str(people["sam2"].id)]})
    assert response.status_code == 302
    assert set(db.session.scalars(select(Enrolment.person_id))) == {people["bea"].id, people["sam2"].id}
    refused = post_form(client, "/learning/assign", {"course_id": str(course.id), "path_id": "",
                                                     "person_ids": [str(people["oz"].id)]})
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count()).where(Enrolment.person_id == people["oz"].id)) == 0
