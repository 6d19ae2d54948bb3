"""Roster import: upsert, manager links in any order, all-or-nothing validation with line numbers, CLI, UI."""
from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from lms import signals
from lms.extensions import db
from lms.people.models import Department, Person, RolloutWave
from lms.people.roster import import_roster
from lms.permissions import Permission
from tests.conftest import csrf_token

HEADER = "employee_id,email,name,job_role,department,manager,hire_date,wave\n"


def run(text: str, **kwargs):
    report = import_roster(io.BytesIO(text.encode()), actor_id=None, **kwargs)
    if report.ok and not kwargs.get("dry_run"):
        db.session.commit()
    else:
        db.session.rollback()
    return report


def person(email: str) -> Person:
    return db.session.scalar(select(Person).where(Person.email == email))


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Person))


@pytest.fixture()
def roles(factory):
    for code in ("sales_rep", "sales_manager", "service_agent"):
        factory.job_role(code)
    db.session.commit()


def test_import_creates_people_with_managers_in_any_order(roles):
    report = run(HEADER
                 + "E2,rep@example.com,Rita Rep,sales_rep,Sales,E1,2026-11-02,Wave 1\n"
                 + "E3,rep2@example.com,Ravi Rep,Sales rep,Sales,boss@example.com,,Wave 2\n"
                 + "E1,Boss@Example.com,Bea Boss,sales_manager,Sales,,2020-01-01,Wave 1\n")
    assert report.ok, report.errors
    assert (report.created, report.updated) == (3, 0)
    assert report.new_departments == ["Sales"] and report.new_waves == ["Wave 1", "Wave 2"]
    rep, rep2, boss = person("rep@example.com"), person("rep2@example.com"), person("boss@example.com")
    assert rep.manager_id == boss.id and rep2.manager_id == boss.id and boss.manager_id is None
    assert rep.hire_date == date(2026, 11, 2) and rep.job_role.code == "sales_rep"
    assert rep2.job_role.code == "sales_rep"  # matched by job role name too
    assert rep.permissions == {Permission.LEARNER}
    assert rep.wave.name == "Wave 1" and rep2.wave.name == "Wave 2"


def test_reimport_updates_by_employee_id_then_email(roles):
    run(HEADER + "E1,a@example.com,Ann,sales_rep,Sales,,,\n" + ",b@example.com,Bob,sales_rep,Sales,,,\n")
    report = run(HEADER + "E1,ann.new@example.com,Ann Newname,sales_manager,Sales,,,\n"
                 + "E9,b@example.com,Bob,sales_rep,Sales,,,\n")
    assert report.ok, report.errors
    assert (report.created, report.updated) == (0, 2)
    assert person("ann.new@example.com").name == "Ann Newname"
    assert person("b@example.com").employee_id == "E9"
    assert count() == 2
    again = run(HEADER + "E1,ann.new@example.com,Ann Newname,sales_manager,Sales,,,\n")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_dry_run_writes_nothing(roles):
    report = run(HEADER + "E1,a@example.com,Ann,sales_rep,Sales,,,\n", dry_run=True)
    assert report.ok and report.created == 1
    assert count() == 0
    assert db.session.scalar(select(func.count()).select_from(Department)) == 0


def test_every_invalid_row_is_reported_and_nothing_written(roles):
    text = (HEADER
            + "E1,good@example.com,Good,sales_rep,Sales,,,\n"
            + "E2,not-an-email,Bad Email,sales_rep,Sales,,,\n"
            + "E3,c@example.com,,sales_rep,Sales,,,\n"
            + "E4,d@example.com,Dee,astronaut,Sales,,,\n"
            + "E5,e@example.com,Eve,sales_rep,Sales,NOBODY,,\n"
            + "E6,f@example.com,Fay,sales_rep,Sales,,31/12/2026,\n"
            + "E1,g@example.com,Dup Id,sales_rep,Sales,,,\n"
            + "E8,good@example.com,Dup Email,sales_rep,Sales,,,\n"
            + "E9,h@example.com,Short row\n")
    report = run(text)
    messages = {e.line: e.message for e in report.errors}
    assert set(messages) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "not valid" in messages[3]
    assert "name is empty" in messages[4]
    assert "unknown job role 'astronaut'" in messages[5]
    assert "manager 'NOBODY'" in messages[6]
    assert "not a date" in messages[7]
    assert "already appears on line 2" in messages[8] and "already appears on line 2" in messages[9]
    assert "expected 8 fields" in messages[10]
    assert count() == 0


def test_manager_loops_are_refused(roles):
    report = run(HEADER + "E1,a@example.com,A,sales_rep,,E2,,\n" + "E2,b@example.com,B,sales_rep,,E1,,\n"
                 + "E3,c@example.com,C,sales_rep,,E3,,\n")
    messages = {e.line: e.message for e in report.errors}
    assert "loops" in messages[2] and "own manager" in messages[4]
    assert count() == 0


def test_loop_through_existing_people_is_refused(roles):
    run(HEADER + "E1,a@example.com,A,sales_rep,,,,\n" + "E2,b@example.com,B,sales_rep,,E1,,\n")
    report = run(HEADER + "E1,a@example.com,A,sales_rep,,E2,,\n")
    assert not report.ok and "loops" in report.errors[0].message
    assert person("a@example.com").manager_id is None


def test_email_taken_by_another_employee_is_refused(roles):
    run(HEADER + "E1,a@example.com,A,sales_rep,,,,\n" + "E2,b@example.com,B,sales_rep,,,,\n")
    report = run(HEADER + "E1,b@example.com,A,sales_rep,,,,\n")
    assert "already belongs to another person" in report.errors[0].message


def test_header_problems_are_reported_on_line_1(roles):
    assert "missing required column(s) email" in run("name\nAnn\n").errors[0].message
    report = run("email,name,shoe_size\na@example.com,A,42\n")
    assert report.errors[0].line == 1 and "shoe_size" in report.errors[0].message
    assert run("").errors[0].line == 1


def test_deactivating_keeps_the_person_and_their_records(roles):
    run("employee_id,email,name,active\nE1,a@example.com,A,yes\n")
    db.session.expire_all()
    before = person("a@example.com").id
    received = []

    def on_deactivated(sender, **kw):
        received.append(kw["person_ids"])

    signals.people_deactivated.connect(on_deactivated)
    try:
        report = run("employee_id,email,name,active\nE1,a@example.com,A,no\n")
    finally:
        signals.people_deactivated.disconnect(on_deactivated)
    assert report.deactivated == 1
    db.session.expire_all()
    kept = person("a@example.com")
    assert kept.id == before and kept.active is False
    assert received == [[before]]


def test_signals_report_joiners_and_role_changes(roles):
    joined, changed = [], []

    def on_join(sender, **kw):
        joined.extend(kw["person_ids"])

    def on_change(sender, **kw):
        changed.extend(kw["changes"])

    signals.people_joined.connect(on_join)
    signals.people_changed_role.connect(on_change)
    try:
        run(HEADER + "E1,a@example.com,A,sales_rep,,,,\n")
        run(HEADER + "E1,a@example.com,A,sales_manager,,,,\nE2,b@example.com,B,sales_rep,,,,\n")
    finally:
        signals.people_joined.disconnect(on_join)
        signals.people_changed_role.disconnect(on_change)
    a, b = person("a@example.com"), person("b@example.com")
    assert joined == [a.id, b.id]
    assert [(pid, new) for pid, _old, new in changed] == [(a.id, a.job_role_id)]


def test_permissions_column_sets_permissions(roles):
    run("email,name,permissions\na@example.com,A,learner;manager\n")
    assert person("a@example.com").permissions == {Permission.LEARNER, Permission.MANAGER}
    report = run("email,name,permissions\na@example.com,A,wizard\n")
    assert "unknown permission(s) wizard" in report.errors[0].message


def test_import_is_audited(roles):
    from lms.audit.models import AuditEvent

    run(HEADER + "E1,a@example.com,A,sales_rep,,,,\n")
    event = db.session.scalar(select(AuditEvent))
    assert event.action == "people.import" and "created 1" in event.details["summary"]


# --- command line ----------------------------------------------------------------------------------------------

def test_cli_import_with_bad_row_on_line_5000_writes_nothing(app, roles, tmp_path):
    rows = [f"E{i},p{i}@example.com,Person {i},sales_rep,Sales,,2026-01-01,Wave 1" for i in range(2, 6001)]
    rows[5000 - 2] = "E5000,broken-email,Person 5000,sales_rep,Sales,,2026-01-01,Wave 1"
    file = tmp_path / "roster.csv"
    file.write_text(HEADER + "\n".join(rows) + "\n")
    result = app.test_cli_runner().invoke(args=["lms", "people", "import", str(file)])
    assert result.exit_code == 1
    assert f"{file}:5000: email 'broken-email' is not valid" in result.output
    assert "1 problem(s); nothing was imported" in result.output
    db.session.expire_all()
    assert count() == 0 and db.session.scalar(select(func.count()).select_from(RolloutWave)) == 0


def test_cli_import_and_dry_run(app, roles, tmp_path):
    file = tmp_path / "roster.csv"
    file.write_text(HEADER + "E1,a@example.com,A,sales_rep,Sales,,,\n", encoding="utf-8-sig")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "people", "import", "--dry-run", str(file)])
    assert result.exit_code == 0 and "Dry run, nothing saved: 1 rows: would create 1" in result.output
    assert count() == 0
    result = runner.invoke(args=["lms", "people", "import", str(file)])
    assert result.exit_code == 0 and "Imported: 1 rows: created 1" in result.output
    db.session.expire_all()
    assert count() == 1


# --- admin UI ----------------------------------------------------------------------------------------------------

def test_admin_uploads_a_roster(client, factory, as_person, roles):
    as_person(factory.person(permissions=[Permission.ADMIN]))
    token = csrf_token(client, "/admin/people/import")
    data = {"csrf_token": token,
            "roster": (io.BytesIO((HEADER + "E1,new@example.com,New Person,sales_rep,Sales,,,\n").encode()),
                       "roster.csv")}
    response = client.post("/admin/people/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get("/admin/people?q=new").get_data(as_text=True)
    assert "New Person" in page


def test_admin_upload_with_errors_shows_lines_and_saves_nothing(client, factory, as_person, roles):
    as_person(factory.person(permissions=[Permission.ADMIN]))
    token = csrf_token(client, "/admin/people/import")
    body = HEADER + "E1,new@example.com,New,sales_rep,Sales,,,\nE2,bad,Bad,sales_rep,Sales,,,\n"
    response = client.post("/admin/people/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "roster": (io.BytesIO(body.encode()), "roster.csv")})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page and "<td>3</td>" in page
    assert person("new@example.com") is None


def test_non_utf8_upload_is_a_clear_error(client, factory, as_person, roles):
    as_person(factory.person(permissions=[Permission.ADMIN]))
    token = csrf_token(client, "/admin/people/import")
    body = (HEADER + "E1,a@example.com,Jos\xe9,sales_rep,,,,\n").encode("latin-1")
    response = client.post("/admin/people/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "roster": (io.BytesIO(body), "roster.csv")})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "not UTF-8" in page and "<td>2</td>" in page


def test_a_header_of_a_million_columns_is_one_short_problem(client, factory, as_person, roles):
    as_person(factory.person(permissions=[Permission.ADMIN]))
    token = csrf_token(client, "/admin/people/import")
    body = "email,name," + ",".join(["x"] * 1_000_000) + "\nann@example.com,Ann\n"
    response = client.post("/admin/people/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "roster": (io.BytesIO(body.encode()), "roster.csv")})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "the header has 1,000,002 columns; a roster has at most 10" in page
    assert len(page) < 20_000  # was 18 MB
    report = run("email,name," + ",".join(f"col{i}" for i in range(40)) + "\n")
    assert report.errors[0].message.startswith("unknown column(s) 'col0', 'col1'")
    assert "and 30 more; allowed:" in report.errors[0].message


def test_problems_listed_are_capped_and_the_rest_counted(client, factory, as_person, roles, app, tmp_path):
    body = HEADER + "".join(f"E{n},not-an-email-{n},Name {n},sales_rep,Sales,,,\n" for n in range(5_000))
    report = run(body)
    assert report.problem_count == 5_000 and len(report.errors) == 1_000
    as_person(factory.person(permissions=[Permission.ADMIN]))
    token = csrf_token(client, "/admin/people/import")
    response = client.post("/admin/people/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "roster": (io.BytesIO(body.encode()), "roster.csv")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported: 5,000 problems" in page and "… and 4,800 more." in page
    assert page.count("is not valid") == 200
    long_cell = HEADER + "E1," + "a" * 100_000 + "@example.com,Ann,sales_rep,Sales,,,\n"
    assert len(run(long_cell).errors[0].message) <= 300
    file = tmp_path / "roster.csv"
    file.write_text(body)
    result = app.test_cli_runner().invoke(args=["lms", "people", "import", str(file)])
    assert result.exit_code == 1
    assert "... and 4,800 more problems." in result.output and "5,000 problem(s); nothing was imported" in result.output
