"""A small hand-built organisation whose gap report's right answers are written out in the tests.

Everything happens through the real services (people, courses' learning services, the embedded LRS over HTTP), so
the signals, statements, projections and the governance read model are the ones production produces.

    Courses: A "crm-basics", B "pipeline", C "service-cases" (two lessons and a three-question quiz each).
    Paths:   sales   = [A, B] for sales reps        soft = [A] for sales reps (shares A with sales: counted once)
             service = [A, C] for service agents
    People:                     dept     wave  manager  what happened
      s1 sales rep              Sales    W1    Maria    completed A (lessons + quiz); opened a lesson of B
      s2 sales rep              Sales    W2    Maria    failed B's quiz (a failed assessment; B in progress)
      s3 sales rep              Sales    W1    Maria    nothing; both courses due yesterday (overdue)
      v1 service agent          Service  W1    Omar     completed C in the CRM (outside LRS), then it was voided
      v2 service agent          Service  W2    Omar     completed C in the CRM 20 days ago; assigned 35 days ago
      c1 service agent ->       Service  W2    Omar     completed A as a service agent, then changed role: the
         sales rep                                      service path (C) is withdrawn, sales + soft assigned
      d1 sales rep, deactivated Sales    W1    Maria    completed A, then deactivated: never counted
    Maria (Sales) and Omar (Service) are managers (sales managers: no path requires anything of them) who report to
    nobody, so each one's team is the people listed with them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from courses import learning
from courses.models import Enrolment, LearningPath, PathAssignment, PathCourse, PathRule
from lms import signals
from lms.extensions import db
from lms.people import services as people
from lms.people.models import Person
from lms.permissions import Permission
from lms.types import utcnow
from tests.conftest import PASSWORD, password_hash
from tests.courses.builders import build_course
from tests.tracking.conftest import Xapi, make_client

BASE = "http://localhost"


@dataclass
class Org:
    lrs: Xapi
    courses: dict = field(default_factory=dict)  # letter -> Course
    paths: dict = field(default_factory=dict)  # name -> LearningPath
    people: dict = field(default_factory=dict)  # key -> Person
    departments: dict = field(default_factory=dict)
    roles: dict = field(default_factory=dict)
    waves: dict = field(default_factory=dict)
    voided_statement: str = ""

    def id(self, key: str) -> int:
        return self.people[key].id


def _path(name: str, letters: list[str], org: Org, role) -> LearningPath:
    path = LearningPath(slug=name, title=f"{name.title()} path", ordered=False, due_days=30,
                        due_after="assignment")
    path.steps = [PathCourse(course=org.courses[letter], position=i) for i, letter in enumerate(letters)]
    path.rules = [PathRule(job_role_id=role.id)]
    db.session.add(path)
    db.session.commit()
    return path


def _person(org: Org, factory, key: str, role: str, department: str, wave: str, manager: str | None,
            **permissions) -> Person:
    info = people.PersonInfo(
        name=key.upper(), email=f"{key}@example.com", employee_id=f"E-{key}", job_role_id=org.roles[role].id,
        department_id=org.departments[department].id, wave_id=org.waves[wave].id,
        manager_id=org.people[manager].id if manager else None,
        permissions=frozenset(Permission(p) for p in permissions.get("permissions", {"learner"})))
    person = people.create_person(info, actor_id=None)
    person.password_hash = password_hash(PASSWORD)
    db.session.commit()
    org.people[key] = person
    return person


def enrolment_of(person: Person, letter: str, org: Org) -> Enrolment:
    return db.session.scalar(select(Enrolment).where(
        Enrolment.person_id == person.id, Enrolment.course_id == org.courses[letter].id,
        Enrolment.status.in_(("assigned", "in_progress"))).order_by(Enrolment.id.desc()))


def complete_course(person: Person, letter: str, org: Org) -> None:
    enrolment = enrolment_of(person, letter, org)
    plan = learning.outline(learning.version_of(enrolment))
    for item in plan.items:
        if item["type"] == "lesson":
            learning.complete_lesson(enrolment, item["key"])
        else:
            take_quiz(enrolment, item, right=True)
    db.session.commit()


def take_quiz(enrolment: Enrolment, quiz: dict, *, right: bool) -> None:
    attempt = learning.start_attempt(enrolment, quiz["key"])
    questions = {q["key"]: q for q in quiz["questions"]}
    answers = {}
    for key in attempt.question_keys:
        correct = learning.correct_options(questions[key])
        answers[key] = correct if right else [i for i in range(len(questions[key]["options"])) if i not in correct]
    learning.submit_attempt(attempt, answers)


def statement(email: str, verb: str, activity: str, timestamp=None, **extra) -> dict:
    import uuid

    body = {"id": str(uuid.uuid4()), "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
            "object": {"objectType": "Activity", "id": activity}}
    if timestamp is not None:
        body["timestamp"] = timestamp.isoformat()
    body.update(extra)
    return body


def build_org(factory, client) -> Org:
    """The organisation of this module's docstring, every step through the real services."""
    key, secret = make_client(name="CRM")
    org = Org(lrs=Xapi(client, key, secret))
    org.roles = {code: factory.job_role(code) for code in ("sales_rep", "service_agent", "sales_manager")}
    org.departments = {name: factory.department(name) for name in ("Sales", "Service")}
    org.waves = {name: factory.wave(name) for name in ("W1", "W2")}
    db.session.commit()
    for letter, slug in (("A", "crm-basics"), ("B", "pipeline"), ("C", "service-cases")):
        org.courses[letter] = build_course(slug)
    org.paths["sales"] = _path("sales", ["A", "B"], org, org.roles["sales_rep"])
    org.paths["soft"] = _path("soft", ["A"], org, org.roles["sales_rep"])
    org.paths["service"] = _path("service", ["A", "C"], org, org.roles["service_agent"])

    _person(org, factory, "maria", "sales_manager", "Sales", "W1", None, permissions={"manager", "learner"})
    _person(org, factory, "omar", "sales_manager", "Service", "W1", None, permissions={"manager", "learner"})
    # Managers are sales managers, whom no path requires anything of.
    for key_, role, dept, wave, manager in (
            ("s1", "sales_rep", "Sales", "W1", "maria"), ("s2", "sales_rep", "Sales", "W2", "maria"),
            ("s3", "sales_rep", "Sales", "W1", "maria"), ("v1", "service_agent", "Service", "W1", "omar"),
            ("v2", "service_agent", "Service", "W2", "omar"), ("c1", "service_agent", "Service", "W2", "omar"),
            ("d1", "sales_rep", "Sales", "W1", "maria")):
        _person(org, factory, key_, role, dept, wave, manager)

    p = org.people
    complete_course(p["s1"], "A", org)
    b = enrolment_of(p["s1"], "B", org)
    learning.view_lesson(b, learning.required_keys(b)[0][0])
    db.session.commit()

    b = enrolment_of(p["s2"], "B", org)
    take_quiz(b, next(i for i in learning.outline(learning.version_of(b)).items if i["type"] == "quiz"), right=False)
    db.session.commit()

    yesterday = utcnow().date() - timedelta(days=1)
    db.session.execute(update(PathAssignment).where(PathAssignment.person_id == p["s3"].id).values(due_date=yesterday))
    db.session.execute(update(Enrolment).where(Enrolment.person_id == p["s3"].id).values(due_date=yesterday))
    signals.training_changed.send(None, person_ids=[p["s3"].id])  # as courses does when due dates change
    db.session.commit()

    now = utcnow()
    db.session.execute(update(PathAssignment).where(PathAssignment.person_id == p["v2"].id)
                       .values(assigned_at=now - timedelta(days=35)))
    db.session.execute(update(Enrolment).where(Enrolment.person_id == p["v2"].id)
                       .values(assigned_at=now - timedelta(days=35)))
    signals.training_changed.send(None, person_ids=[p["v2"].id])
    db.session.commit()
    course_c = f"{BASE}/xapi/activities/course/service-cases"
    done_v2 = statement("v2@example.com", "completed", course_c, now - timedelta(days=20))
    done_v1 = statement("v1@example.com", "completed", course_c, now - timedelta(days=2))
    assert org.lrs.post_statements([done_v2, done_v1]).status_code == 200
    org.voided_statement = done_v1["id"]

    complete_course(p["c1"], "A", org)
    info = people.PersonInfo(name=p["c1"].name, email=p["c1"].email, employee_id=p["c1"].employee_id,
                             job_role_id=org.roles["sales_rep"].id, department_id=p["c1"].department_id,
                             wave_id=p["c1"].wave_id, manager_id=p["c1"].manager_id)
    people.update_person(p["c1"], info, actor_id=None)
    db.session.commit()

    complete_course(p["d1"], "A", org)
    people.set_active(p["d1"], False, actor_id=None)
    db.session.commit()
    return org


def void(org: Org, statement_id: str) -> None:
    voiding = statement("crm@example.com", "voided", statement_id)
    voiding["object"] = {"objectType": "StatementRef", "id": statement_id}
    assert org.lrs.post_statements([voiding]).status_code == 200


@pytest.fixture()
def org(app, factory, client) -> Org:
    return build_org(factory, client)


def person_named(key: str) -> Person:
    return db.session.scalar(select(Person).where(Person.email == f"{key}@example.com"))
