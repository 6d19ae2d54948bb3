"""The read model: an incremental refresh after every event gives exactly the rows a full rebuild gives, on a
generated history with voided statements, role changes, moves and deactivations; the worker and the command line
bring it up to date too."""
from __future__ import annotations

import random

from sqlalchemy import select

from courses import learning
from courses.models import Enrolment, PathCourse
from governance.models import DirtyPerson, RequirementPath, RequirementRow
from governance.services_readmodel import bring_up_to_date, dirty_count, rebuild, refresh_due
from lms.extensions import db
from lms.people import services as people
from lms.people.models import Person
from tests.governance.conftest import BASE, statement, take_quiz, void


def snapshot() -> tuple[list, list]:
    rows = [tuple(getattr(r, c.name) for c in RequirementRow.__table__.columns)
            for r in db.session.scalars(select(RequirementRow).order_by(RequirementRow.person_id,
                                                                        RequirementRow.course_id))]
    links = sorted(tuple(r) for r in db.session.execute(select(RequirementPath.person_id, RequirementPath.course_id,
                                                               RequirementPath.path_id)))
    return rows, links


def _random_step(rng: random.Random, org, posted: list[str]) -> str:
    learners = [p for p in db.session.scalars(select(Person).where(Person.email.like("%@example.com")))
                if p.email.split("@")[0] not in ("maria", "omar")]
    person = rng.choice(learners)
    kind = rng.choice(["lesson", "lesson", "quiz", "statement", "statement", "void", "role", "move", "active"])
    if kind in ("lesson", "quiz"):
        open_ = db.session.scalars(select(Enrolment).where(Enrolment.person_id == person.id,
                                                           Enrolment.status.in_(("assigned", "in_progress")))).all()
        if not open_ or not person.active:
            return "nothing"
        enrolment = rng.choice(open_)
        items = learning.outline(learning.version_of(enrolment)).items
        item = rng.choice([i for i in items if i["type"] == kind])
        try:
            if kind == "lesson":
                learning.complete_lesson(enrolment, item["key"])
            else:
                take_quiz(enrolment, item, right=rng.random() < 0.5)
        except Exception as error:  # used every attempt: a learner would see the message
            db.session.rollback()
            return f"refused: {error}"
    elif kind == "statement":
        slug = rng.choice(["crm-basics", "pipeline", "service-cases"])
        verb = rng.choice(["completed", "passed", "failed", "experienced"])
        body = statement(person.email, verb, f"{BASE}/xapi/activities/course/{slug}")
        assert org.lrs.post_statements([body]).status_code == 200
        posted.append(body["id"])
        return f"{verb} {slug} for {person.email}"
    elif kind == "void":
        if not posted:
            return "nothing"
        void(org, posted.pop(rng.randrange(len(posted))))
        return "voided"
    elif kind in ("role", "move"):
        role = rng.choice([org.roles["sales_rep"], org.roles["service_agent"]]) if kind == "role" else person.job_role
        department = rng.choice(list(org.departments.values())) if kind == "move" else person.department
        info = people.PersonInfo(name=person.name, email=person.email, employee_id=person.employee_id,
                                 job_role_id=role.id, department_id=department.id, wave_id=person.wave_id,
                                 manager_id=person.manager_id)
        people.update_person(person, info, actor_id=None)
    else:
        people.set_active(person, not person.active, actor_id=None)
    db.session.commit()
    return kind


def test_incremental_refresh_gives_exactly_what_a_rebuild_gives(org):
    rng = random.Random(7)
    posted: list[str] = []
    bring_up_to_date()
    done = []
    for step in range(60):
        done.append(_random_step(rng, org, posted))
        bring_up_to_date()
        if step % 20 == 19:
            incremental = snapshot()
            rebuild()
            assert snapshot() == incremental, f"after step {step}"
    assert dirty_count() == 0
    assert {"lesson", "quiz", "voided", "role", "move", "active"} <= {d.split(" ")[0] for d in done}, done
    assert snapshot()[0]  # people still have requirements at the end


def test_changing_a_paths_courses_is_noticed_without_a_signal(org):
    bring_up_to_date()
    before = len(snapshot()[0])
    service = org.paths["service"]
    db.session.add(PathCourse(path_id=service.id, course_id=org.courses["B"].id, position=5))
    db.session.commit()  # courses sends no signal for this; the read model compares the paths' courses
    bring_up_to_date()
    assert len(snapshot()[0]) == before + 2  # v1 and v2 now require B too
    incremental = snapshot()
    rebuild()
    assert snapshot() == incremental


def test_the_worker_step_and_the_commands_bring_it_up_to_date(org, app):
    bring_up_to_date()
    expected = snapshot()
    db.session.execute(RequirementRow.__table__.delete())
    db.session.add_all([DirtyPerson(person_id=p.id) for p in org.people.values()])
    db.session.commit()
    assert refresh_due().startswith("recomputed 9 person")
    assert refresh_due() is None
    assert snapshot()[0] == expected[0]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "governance", "rebuild"])
    assert result.exit_code == 0 and "12 requirement(s)" in result.output, result.output
    assert snapshot() == expected
    assert runner.invoke(args=["lms", "governance", "refresh"]).output.strip() == (
        "The gap report's read model is up to date.")
