"""Automatic messages on a hand-built organisation with known due dates, ticked twice on one day and on the next:
the exact mails the real SMTP server receives, one per person per day, nothing sent twice."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from comms import automatic, automatic_settings
from comms.models_lifecycle import AutoDay, AutoLedger
from courses import learning
from courses.enrolment import assign_path_by_hand, enrol, today
from courses.models import Enrolment, LearningPath, PathCourse
from lms.extensions import db
from lms.mail import kicker
from lms.mail.delivery import deliver
from lms.mail.models import OutgoingMail
from lms.people import services as people
from lms.permissions import Permission
from tests.conftest import login, post_form
from tests.courses.builders import build_course


def _when(day) -> str:
    return day.strftime("%d %b %Y")


def _path(slug: str, *courses) -> LearningPath:
    path = LearningPath(slug=slug, title=slug.replace("-", " ").title(), ordered=False,
                        steps=[PathCourse(course=c, position=n) for n, c in enumerate(courses)])
    db.session.add(path)
    db.session.flush()
    return path


def _finish(person, course) -> None:
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.person_id == person.id,
                                                          Enrolment.course_id == course.id))
    for lesson in course.modules[0].lessons:
        learning.complete_lesson(enrolment, lesson.key)


def _received(inbox) -> dict[str, tuple[str, str]]:
    deliver()
    found = {}
    for message in inbox.messages:
        to = message["To"].addresses[0].addr_spec
        assert to not in found, f"{to} got two automatic mails at once"
        found[to] = (str(message["Subject"]), message.get_body(("plain",)).get_content().replace("\r\n", "\n"))
    inbox.clear()
    return found


@pytest.fixture()
def org(app, factory):
    T = today()
    a, b, c = build_course("crm-basics"), build_course("lead-to-cash"), build_course("case-escalation")
    short = build_course("customer-culture", lessons=1, questions=0)
    second = build_course("soft-skills", lessons=1, questions=0)
    maria = factory.person(name="Maria Manager", email="maria@example.com", role="sales_manager",
                           permissions=[Permission.MANAGER, Permission.LEARNER])
    ann = factory.person(name="Ann Able", email="ann@example.com", manager=maria)
    ben = factory.person(name="Ben Baker", email="ben@example.com", manager=maria)
    dee = factory.person(name="Dee Doer", email="dee@example.com")
    eve = factory.person(name="Eve Gone", email="eve@example.com", manager=maria, active=False)
    enrol(ann, a, due_date=T + timedelta(days=2))      # reminder (due within 3 days)
    enrol(ann, b, due_date=T - timedelta(days=1))      # overdue
    enrol(ben, a, due_date=T + timedelta(days=10))     # not yet
    enrol(ben, c, due_date=T)                          # reminder today, overdue tomorrow
    enrol(eve, b, due_date=T - timedelta(days=5))      # deactivated: never mailed, not in the digest
    onboarding = _path("sales-onboarding", a, b)
    culture, skills = _path("culture-path", short), _path("skills-path", second)
    db.session.commit()
    for kind in automatic_settings.KINDS:
        automatic_settings.switch(kind, True, actor_id=None)
    cara = people.create_person(people.PersonInfo(name="Cara New", email="cara@example.com", employee_id="C1",
                                                  job_role_id=None, department_id=None, wave_id=None,
                                                  manager_id=None, hire_date=T - timedelta(days=2),
                                                  permissions=frozenset({Permission.LEARNER})), actor_id=None)
    assign_path_by_hand([cara.id], onboarding, due_date=T + timedelta(days=30))
    assign_path_by_hand([dee.id], culture)
    assign_path_by_hand([dee.id], skills)
    db.session.flush()
    _finish(dee, short)  # completes the culture path: congratulations
    db.session.commit()
    return {"T": T, "dee": dee, "second": second, "courses": (a, b, c)}


def test_ticks_on_two_days_send_the_exact_mails(app, org, inbox):
    T = org["T"]
    report = automatic.tick(T)
    db.session.commit()
    assert report.mails == 5
    day1 = _received(inbox)
    assert sorted(day1) == ["ann@example.com", "ben@example.com", "cara@example.com", "dee@example.com",
                            "maria@example.com"]
    subject, text = day1["ann@example.com"]  # two items merged into one mail
    assert subject == "You have training past its due date (and 1 more update)"
    assert "- Lead To Cash (http://localhost/comms/l/" in text and f"was due {_when(T - timedelta(days=1))}" in text
    assert f"due {_when(T + timedelta(days=2))}" in text and "Crm Basics" in text
    assert text.index("past their due date") < text.index("Due soon")
    assert day1["ben@example.com"][0] == "Reminder: training due soon"
    assert "Case Escalation" in day1["ben@example.com"][1] and "Crm Basics" not in day1["ben@example.com"][1]
    subject, text = day1["maria@example.com"]
    assert subject == "Your team's overdue training"
    assert f"**Ann Able**: Lead To Cash (due {_when(T - timedelta(days=1))})" in text
    assert "Eve" not in text and "Ben" not in text
    subject, text = day1["cara@example.com"]
    assert subject == "Welcome to the CRM rollout, Cara"
    assert "**Sales Onboarding**, due" in text and "Crm Basics, Lead To Cash" in text
    assert day1["dee@example.com"][0] == "Congratulations, Dee!" and "Culture Path" in day1["dee@example.com"][1]

    # Later the same day: a new hire joins, and Dee completes a second path (she had her mail today: it waits).
    fay = people.create_person(people.PersonInfo(name="Fay Later", email="fay@example.com", employee_id="F1",
                                                 job_role_id=None, department_id=None, wave_id=None, manager_id=None,
                                                 hire_date=T, permissions=frozenset({Permission.LEARNER})),
                               actor_id=None)
    _finish(org["dee"], org["second"])
    db.session.commit()
    report = automatic.tick(T)
    db.session.commit()
    assert report.mails == 1 and report.waiting == 1
    again = _received(inbox)
    assert list(again) == ["fay@example.com"] and again["fay@example.com"][0] == "Welcome to the CRM rollout, Fay"
    assert automatic.tick(T).mails == 0
    db.session.commit()
    assert _received(inbox) == {}

    # The next day: the digest again (Ben's course is now overdue too), Ben's overdue notice, Dee's second path.
    report = automatic.tick(T + timedelta(days=1))
    db.session.commit()
    day2 = _received(inbox)
    assert sorted(day2) == ["ben@example.com", "dee@example.com", "maria@example.com"]
    assert day2["ben@example.com"][0] == "You have training past its due date"
    assert "- Case Escalation (http://localhost/comms/l/" in day2["ben@example.com"][1]
    assert "**Ann Able**: Lead To Cash" in day2["maria@example.com"][1]
    assert "**Ben Baker**: Case Escalation" in day2["maria@example.com"][1]
    assert "Skills Path" in day2["dee@example.com"][1] and "Culture Path" not in day2["dee@example.com"][1]
    assert automatic.tick(T + timedelta(days=1)).mails == 0
    db.session.commit()
    assert _received(inbox) == {}
    assert fay.id and db.session.scalar(select(func.count()).select_from(OutgoingMail).where(
        OutgoingMail.person_id == org["dee"].id)) == 2


def test_switched_off_kinds_send_nothing_and_do_not_pile_up(app, org, inbox):
    for kind in automatic_settings.KINDS:
        automatic_settings.switch(kind, kind == "digest", actor_id=None)
    db.session.commit()
    automatic.tick(org["T"])
    db.session.commit()
    assert list(_received(inbox)) == ["maria@example.com"]
    automatic_settings.switch("welcome", True, actor_id=None)
    db.session.commit()
    automatic.tick(org["T"] + timedelta(days=1))  # Cara's welcome was dropped while it was off
    db.session.commit()
    assert list(_received(inbox)) == ["maria@example.com"]


def test_two_workers_ticking_at_once_send_each_person_one_mail(app, make_app, org, inbox):
    other = make_app()
    errors, barrier = [], threading.Barrier(2)

    def run(application):
        with application.app_context():
            try:
                barrier.wait()
                automatic.tick(org["T"])
                db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(a,)) for a in (app, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db.session.expire_all()
    per_person = dict(db.session.execute(select(OutgoingMail.person_id, func.count()).where(
        OutgoingMail.source == "automatic").group_by(OutgoingMail.person_id)).all())
    assert errors == []
    assert len(per_person) == 5 and set(per_person.values()) == {1}
    assert db.session.scalar(select(func.count()).select_from(AutoDay)) == len(per_person)
    keys = db.session.execute(select(AutoLedger.person_id, AutoLedger.kind, AutoLedger.key)).all()
    assert len(keys) == len(set(keys))
    assert sorted(_received(inbox)) == sorted(
        db.session.scalars(select(OutgoingMail.to_address).where(OutgoingMail.source == "automatic")))


def test_an_invited_new_hire_gets_the_invitation_first_and_the_welcome_once_the_link_is_used(app, client, factory,
                                                                                           inbox):
    automatic_settings.switch("welcome", True, actor_id=None)
    admin = factory.person(permissions=[Permission.ADMIN], name="Alice Admin", email="alice@example.com")
    db.session.commit()
    login(client, admin)
    for name, email, invite in (("Ivy Invited", "ivy@example.com", {"invite": "y"}),
                                ("Nick Notinvited", "nick@example.com", {})):
        response = post_form(client, "/admin/people/new", {"name": name, "email": email, "permissions": ["learner"],
                                                           "hire_date": today().isoformat(), **invite})
        assert response.status_code == 302
    kicker.drain(app)
    report = automatic.tick()
    db.session.commit()
    assert report.mails == 1 and report.held == 1
    deliver()
    mails = {m["To"].addresses[0].addr_spec: str(m["Subject"]) for m in inbox.wait_for(2)}
    assert mails == {"ivy@example.com": "You are invited to Rapport: set your password",
                     "nick@example.com": "Welcome to the CRM rollout, Nick"}  # Ivy: one mail, the invitation
    ivy = next(n for n, m in enumerate(inbox.messages) if m["To"].addresses[0].addr_spec == "ivy@example.com")
    link = re.search(r"http://localhost(/auth/welcome/\S+)", inbox.text(ivy)).group(1)
    inbox.clear()
    assert automatic.tick().mails == 0  # later that day: still waiting for her
    db.session.commit()
    deliver()
    assert inbox.messages == []

    visitor = app.test_client()
    response = post_form(visitor, link, {"password": "a fine first password", "confirm": "a fine first password"})
    assert response.status_code == 302
    report = automatic.tick()
    db.session.commit()
    assert report.mails == 1 and report.held == 0
    deliver()
    welcome = inbox.wait_for(1)[0]
    assert welcome["To"].addresses[0].addr_spec == "ivy@example.com"
    assert str(welcome["Subject"]) == "Welcome to the CRM rollout, Ivy"
    assert automatic.tick().mails == 0  # once
