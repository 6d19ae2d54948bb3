"""Learning paths in the UI: the editor, the preview of who the rules match (count and sample, nothing saved),
saving applies the rules, the people on a path with their status, the paths file round trip, and who may edit."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from courses import library, paths
from courses.enrolment import today
from courses.models import Enrolment, LearningPath, PathAssignment
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.permissions import Permission
from tests.conftest import post_form
from tests.courses.builders import build_course


def organisation(factory):
    """Three sales reps (one hired last week), one service agent, one rep in the Retail department."""
    people = {
        "ann": factory.person(name="Ann Rep", role="sales_rep", hire_date=today() - timedelta(days=400)),
        "bob": factory.person(name="Bob Rep", role="sales_rep", hire_date=today() - timedelta(days=5)),
        "cat": factory.person(name="Cat Rep", role="sales_rep", hire_date=None),
        "dan": factory.person(name="Dan Agent", role="service_agent", department="Service"),
        "eve": factory.person(name="Eve Retail", role="sales_rep", department="Retail"),
    }
    factory.person(name="Old Rep", role="sales_rep", active=False)
    return people


def form_data(**overrides) -> dict:
    data = {"title": "Rollout: reps", "slug": "rollout-reps", "kind": "crm_application", "ordered": "y",
            "active": "y", "due_mode": "none", "courses-0": "", "rules-0-job_role_id": "",
            "rules-0-department_id": "", "rules-0-wave_id": "", "rules-0-new_hire": ""}
    data.update(overrides)
    return data


def test_the_preview_counts_who_the_rules_match_and_saves_nothing(client, factory, as_person):
    people = organisation(factory)
    trainer = factory.person(name="Tess", permissions=(Permission.TRAINER,), role=None)
    course = build_course("pipeline")
    rep = factory.job_role("sales_rep")
    as_person(trainer)
    url = "/learning/author/paths/new"
    response = post_form(client, url, form_data(**{"courses-0": str(course.id), "rules-0-job_role_id": str(rep.id),
                                                    "check": "Preview who matches"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The rules match 4 people" in html  # Ann, Bob, Cat, Eve; not the inactive rep, not Dan
    for name in ("Ann Rep", "Bob Rep", "Cat Rep", "Eve Retail"):
        assert name in html
    assert "Dan Agent" not in html and "Old Rep" not in html and "Nothing is saved yet" in html
    assert db.session.scalar(select(func.count()).select_from(LearningPath)) == 0

    sales = factory.department("Sales")
    response = post_form(client, url, form_data(**{
        "courses-0": str(course.id), "rules-0-job_role_id": str(rep.id), "rules-0-department_id": str(sales.id),
        "rules-0-new_hire": "yes", "rules-1-job_role_id": "", "rules-1-department_id": "", "rules-1-wave_id": "",
        "rules-1-new_hire": "", "check": "Preview who matches"}))
    assert "The rules match 1 person" in response.get_data(as_text=True)  # Bob only
    matched = paths.preview((paths.RuleInfo(job_role_id=rep.id, new_hire=False),))
    assert matched.count == 3 and {p.name for p in matched.sample} == {"Ann Rep", "Cat Rep", "Eve Retail"}
    assert people


def test_saving_a_path_assigns_it_and_lists_its_people_with_status(client, factory, as_person):
    people = organisation(factory)
    trainer = factory.person(name="Tess", permissions=(Permission.TRAINER,), role=None)
    first, second = build_course("first"), build_course("second")
    rep = factory.job_role("sales_rep")
    as_person(trainer)
    response = post_form(client, "/learning/author/paths/new", form_data(**{
        "courses-0": str(second.id), "courses-1": str(first.id), "rules-0-job_role_id": str(rep.id),
        "due_mode": "assignment", "due_days": "14", "recertify_months": "12"}))
    assert response.status_code == 302, response.get_data(as_text=True)
    path = db.session.scalar(select(LearningPath))
    assert [s.course.slug for s in path.steps] == ["second", "first"]
    assert path.due_days == 14 and path.due_after == "assignment" and path.recertify_months == 12
    held = dict(db.session.execute(select(PathAssignment.person_id, PathAssignment.due_date)).all())
    assert set(held) == {people[k].id for k in ("ann", "bob", "cat", "eve")}
    assert set(held.values()) == {today() + timedelta(days=14)}
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 8
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "path.save")).target == "rollout-reps"

    people_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ann Rep" in people_page and "Dan Agent" not in people_page and "Not started" in people_page
    assert "0 of 2" in people_page

    # Editing the rules to service agents withdraws the reps' rule-made assignments and assigns Dan.
    agent = factory.job_role("service_agent")
    response = post_form(client, f"/learning/author/paths/{path.id}", form_data(**{
        "courses-0": str(second.id), "rules-0-job_role_id": str(agent.id), "due_mode": "date",
        "due_date": "2031-03-31"}))
    assert response.status_code == 302
    db.session.expire_all()
    current = dict(db.session.execute(select(PathAssignment.person_id, PathAssignment.status)).all())
    assert current[people["dan"].id] == "assigned" and current[people["ann"].id] == "withdrawn"
    assert db.session.scalar(select(PathAssignment.due_date).where(
        PathAssignment.person_id == people["dan"].id)) == date(2031, 3, 31)


def test_bad_path_input_is_a_form_error(client, factory, as_person):
    trainer = factory.person(permissions=(Permission.TRAINER,))
    build_course("pipeline")
    as_person(trainer)
    response = post_form(client, "/learning/author/paths/new", form_data())
    assert response.status_code == 400 and "Choose at least one course" in response.get_data(as_text=True)
    response = post_form(client, "/learning/author/paths/new", form_data(**{"courses-0": "1", "due_mode": "date"}))
    assert response.status_code == 400 and "Give the due date" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LearningPath)) == 0


def test_the_paths_file_round_trips(app, factory):
    factory.job_role("sales_rep")
    factory.department("Retail")
    factory.wave("Wave 2")
    for slug in ("first", "second"):
        build_course(slug)
    source = (b"paths:\n  - slug: a\n    title: A\n    kind: new_hire\n    ordered: false\n"
              b"    courses: [second, first]\n    assign:\n      - job_role: sales_rep\n        new_hire: true\n"
              b"      - department: Retail\n        wave: Wave 2\n    due: {days: 30, after: hire_date}\n"
              b"    recertify_months: 6\n  - slug: b\n    title: B\n    courses: [first]\n"
              b"    due: {date: 2030-01-31}\n")
    library.import_paths(source, name="paths.yaml")
    db.session.commit()
    exported = library.export_paths()
    library.import_paths(exported, name="paths.yaml")
    db.session.commit()
    assert library.export_paths() == exported
    a = db.session.scalar(select(LearningPath).where(LearningPath.slug == "a"))
    assert not a.ordered and a.due_after == "hire_date" and len(a.rules) == 2 and a.recertify_months == 6


def test_the_program_office_edits_paths_and_learners_cannot(client, factory, as_person):
    build_course("pipeline")
    office = factory.person(permissions=(Permission.PROGRAM_OFFICE,))
    as_person(office)
    assert client.get("/learning/author/paths/").status_code == 200
    assert "Learning paths" in client.get("/").get_data(as_text=True)
    assert client.get("/learning/author/").status_code == 403
    post_form(client, "/auth/logout", {}, form_url="/")
    as_person(factory.person())
    assert client.get("/learning/author/paths/").status_code == 403
    assert client.get("/learning/author/paths/new").status_code == 403
