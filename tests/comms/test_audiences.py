"""Audience counts against a small hand-built organisation whose right answers are written here.

The organisation (course "Pipeline", quiz "Check"):

| person | role          | dept    | wave   | manager | hired      | Pipeline                          |
|--------|---------------|---------|--------|---------|------------|-----------------------------------|
| Ann    | sales_rep     | Sales   | Wave 2 | Mia     | 2026-01-10 | completed                         |
| Ben    | sales_rep     | Sales   | Wave 2 | Mia     | 2026-03-01 | failed the quiz (in progress)     |
| Cat    | sales_rep     | Sales   | Wave 2 | Tom     | 2026-06-15 | not started, due yesterday: overdue |
| Dan    | sales_rep     | Sales   | Wave 1 | Mia     | 2025-11-20 | not started, due in a week        |
| Eve    | service_agent | Service | Wave 2 | Zoe     | 2026-02-02 | not enrolled                      |
| Gus    | sales_rep     | Sales   | Wave 2 | Mia     | 2026-01-05 | not started (deactivated)         |
| Mia    | sales_manager | Sales   | —      | Zoe     | 2024-05-01 | manager permission                |
| Tom    | sales_manager | Sales   | —      | Mia     | 2025-01-01 | manager permission                |
| Zoe    | director      | Mgmt    | —      | —       | 2020-01-01 |                                   |

Mia's direct reports: Ann, Ben, Dan, Gus, Tom; her whole team adds Cat (Tom's). Zoe's whole team is everyone else.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from comms import audiences
from comms.models import OptOut
from courses import learning
from courses.enrolment import enrol, today
from courses.models import Enrolment
from lms.extensions import db
from lms.mail.models import MailSuppression
from lms.permissions import Permission
from tests.comms.conftest import AUDIENCE_DEFAULTS
from tests.conftest import post_form
from tests.courses.builders import build_course


@pytest.fixture()
def org(app, factory):
    f = factory
    zoe = f.person(name="Zoe", role="director", department="Mgmt", hire_date=date(2020, 1, 1))
    mia = f.person(name="Mia", role="sales_manager", manager=zoe, hire_date=date(2024, 5, 1),
                   permissions=(Permission.LEARNER, Permission.MANAGER))
    tom = f.person(name="Tom", role="sales_manager", manager=mia, hire_date=date(2025, 1, 1),
                   permissions=(Permission.LEARNER, Permission.MANAGER))
    people = {"zoe": zoe, "mia": mia, "tom": tom}
    for key, name, role, dept, wave, boss, hired, active in (
            ("ann", "Ann", "sales_rep", "Sales", "Wave 2", mia, date(2026, 1, 10), True),
            ("ben", "Ben", "sales_rep", "Sales", "Wave 2", mia, date(2026, 3, 1), True),
            ("cat", "Cat", "sales_rep", "Sales", "Wave 2", tom, date(2026, 6, 15), True),
            ("dan", "Dan", "sales_rep", "Sales", "Wave 1", mia, date(2025, 11, 20), True),
            ("eve", "Eve", "service_agent", "Service", "Wave 2", zoe, date(2026, 2, 2), True),
            ("gus", "Gus", "sales_rep", "Sales", "Wave 2", mia, date(2026, 1, 5), False)):
        people[key] = f.person(name=name, role=role, department=dept, wave=wave, manager=boss, hire_date=hired,
                               active=active)
    course = build_course("pipeline")
    due = {"ann": 30, "ben": 30, "cat": -1, "dan": 7, "gus": 30}
    enrolments = {k: enrol(people[k], course, source="manual", due_date=today() + timedelta(days=d))
                  for k, d in due.items()}
    quiz = course.modules[0].quizzes[0]
    for lesson in course.modules[0].lessons:
        learning.complete_lesson(enrolments["ann"], lesson.key)
    learning.submit_attempt(learning.start_attempt(enrolments["ann"], quiz.key),
                            {q.key: [0] for q in quiz.questions})
    learning.submit_attempt(learning.start_attempt(enrolments["ben"], quiz.key), {})
    db.session.commit()
    assert db.session.scalar(select(Enrolment.status).where(Enrolment.id == enrolments["ann"].id)) == "completed"
    people.update(course=course, quiz=quiz, wave2=f.wave("Wave 2"), wave1=f.wave("Wave 1"),
                  rep=f.job_role("sales_rep"), sales=f.department("Sales"))
    return people


def names(org, rules, category="announcement") -> set[str]:
    by_id = {p.id: k for k, p in org.items() if hasattr(p, "email")}
    return {by_id[i] for i in db.session.scalars(audiences.members(rules))}


def mailed(org, rules, category="announcement") -> set[str]:
    by_id = {p.id: k for k, p in org.items() if hasattr(p, "email")}
    return {by_id[r.person_id] for r in db.session.execute(audiences.recipients(rules, category))}


def test_each_condition_against_the_written_answers(org):
    c = org["course"].id
    every = {
        "job_role": ({"field": "job_role", "ids": [org["rep"].id]}, {"ann", "ben", "cat", "dan", "gus"}),
        "wave": ({"field": "wave", "ids": [org["wave2"].id]}, {"ann", "ben", "cat", "eve", "gus"}),
        "department": ({"field": "department", "ids": [org["sales"].id]},
                       {"ann", "ben", "cat", "dan", "gus", "mia", "tom"}),
        "direct": ({"field": "manager", "person": org["mia"].id, "scope": "direct"},
                   {"ann", "ben", "dan", "gus", "tom"}),
        "team": ({"field": "manager", "person": org["mia"].id, "scope": "team"},
                 {"ann", "ben", "cat", "dan", "gus", "tom"}),
        "hired": ({"field": "hired", "from": "2026-01-01", "to": "2026-03-01"}, {"ann", "ben", "eve", "gus"}),
        "permission": ({"field": "permission", "value": "manager"}, {"mia", "tom"}),
        "inactive": ({"field": "active", "value": False}, {"gus"}),
        "completed": ({"field": "course_status", "course": c, "status": "completed"}, {"ann"}),
        "in_progress": ({"field": "course_status", "course": c, "status": "in_progress"}, {"ben"}),
        "not_started": ({"field": "course_status", "course": c, "status": "not_started"}, {"cat", "dan", "gus"}),
        "overdue": ({"field": "course_status", "course": c, "status": "overdue"}, {"cat"}),
        "failed": ({"field": "failed_quiz", "course": c, "quiz": org["quiz"].key}, {"ben"}),
        "anything_overdue": ({"field": "overdue"}, {"cat"}),
    }
    for label, (rule, expected) in every.items():
        assert names(org, rule) == expected, label


def test_all_any_and_not_combine(org):
    rep, wave2, c = org["rep"].id, org["wave2"].id, org["course"].id
    not_completed = {"op": "not", "rules": [{"field": "course_status", "course": c, "status": "completed"}]}
    reps_in_wave2_not_done = {"op": "all", "rules": [{"field": "job_role", "ids": [rep]},
                                                     {"field": "wave", "ids": [wave2]}, not_completed]}
    assert names(org, reps_in_wave2_not_done) == {"ben", "cat", "gus"}
    assert mailed(org, reps_in_wave2_not_done) == {"ben", "cat"}  # Gus is deactivated: never mailed
    struggling = {"op": "any", "rules": [{"field": "failed_quiz", "course": c, "quiz": org["quiz"].key},
                                         {"field": "overdue"}]}
    assert names(org, struggling) == {"ben", "cat"}
    estimate = audiences.estimate(reps_in_wave2_not_done)
    assert (estimate.matching, estimate.reachable) == (3, 2)
    assert [s[1] for s in estimate.sample] == ["Ben", "Cat"]


def test_bounced_and_departed_people_are_never_recipients(org):
    db.session.add(MailSuppression(email=org["ben"].email, reason="bounce", detail="550"))
    db.session.add(OptOut(person_id=org["cat"].id, category="newsletter"))
    db.session.commit()
    reps = {"field": "job_role", "ids": [org["rep"].id]}
    assert mailed(org, reps, "newsletter") == {"ann", "dan"}
    assert mailed(org, reps, "reminder") == {"ann", "cat", "dan"}  # reminders cannot be left


def test_a_saved_audience_is_used_inside_another_and_cannot_include_itself(org):
    wave2 = audiences.save("Wave 2", {"field": "wave", "ids": [org["wave2"].id]}, audience=None, actor_id=None)
    reps = audiences.save("Reps not in wave 2", {"op": "all", "rules": [
        {"field": "job_role", "ids": [org["rep"].id]}, {"op": "not", "rules": [
            {"field": "audience", "audience": wave2.id}]}]}, audience=None, actor_id=None)
    assert names(org, reps.rules) == {"dan"}
    with pytest.raises(audiences.AudienceProblem):
        audiences.save("Wave 2", {"field": "audience", "audience": reps.id}, audience=wave2, actor_id=None)
    with pytest.raises(audiences.AudienceProblem):
        audiences.check({"field": "hired", "from": "2026-13-01"})
    with pytest.raises(audiences.AudienceProblem):
        audiences.check({"op": "some", "rules": []})


def test_the_builder_counts_with_and_without_javascript(client, org, factory):
    from tests.conftest import login

    office = factory.person(name="Olga", role=None, permissions=(Permission.PROGRAM_OFFICE,))
    login(client, office)
    fields = {**AUDIENCE_DEFAULTS, "job_roles": [org["rep"].id], "waves": [org["wave2"].id],
              "course": str(org["course"].id), "course_status": "completed", "course_not": "y"}
    live = post_form(client, "/comms/audiences/estimate.json", fields, form_url="/comms/audiences/new")
    assert live.json["reachable"] == 2 and live.json["matching"] == 3
    assert [s["name"] for s in live.json["sample"]] == ["Ben", "Cat"]
    counted = post_form(client, "/comms/audiences/new", {**fields, "action": "count"})
    assert counted.status_code == 200 and '<span data-field="reachable">2</span>' in counted.text
    bad = post_form(client, "/comms/audiences/new", {**AUDIENCE_DEFAULTS, "hired_from": "2026-05-01",
                                                     "hired_to": "2026-01-01", "name": "x", "action": "save"})
    assert bad.status_code == 400 and "ends before it starts" in bad.text


def test_the_builder_names_a_single_field_condition_once(office_client):
    html = office_client.get("/comms/audiences/new").get_data(as_text=True)
    conditions = dict(re.findall(r'<fieldset class="condition">\s*<legend>([^<]+)</legend>(.*?)</fieldset>', html,
                                 re.S))
    for legend, field_id in (("Job role", "job_roles"), ("Department", "departments"), ("Rollout wave", "waves"),
                             ("Permission", "permission")):
        body = conditions[legend]
        assert f'<span class="visually-hidden"><label for="{field_id}">{legend}</label></span>' in body
        visible = re.sub(r'<span class="visually-hidden">.*?</span>', "", body)
        assert f">{legend}<" not in visible  # the legend says it; the label stays for screen readers
    # A condition of two fields keeps both labels in sight; so does a label that adds to its legend.
    assert '<span><label for="manager">Manager</label></span>' in conditions["Manager"]
    assert '<span><label for="quiz">Failed the quiz</label></span>' in conditions["Quiz"]
