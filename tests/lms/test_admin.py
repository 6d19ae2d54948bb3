"""The admin area: people, permissions, departments, job roles, waves, audit log; the manager's team page."""
from __future__ import annotations

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.people.models import Department, Person
from lms.permissions import Permission
from tests.conftest import PASSWORD, post_form


def test_admin_adds_a_person_with_permissions(client, factory, as_person):
    admin = factory.person(permissions=[Permission.ADMIN])
    role = factory.job_role("service_agent")
    boss = factory.person(permissions=[Permission.MANAGER], employee_id="B1")
    db.session.commit()
    as_person(admin)
    response = post_form(client, "/admin/people/new", {
        "name": "Nora New", "email": "Nora@Example.com", "employee_id": "N1", "job_role_id": role.id,
        "department_id": "", "wave_id": "", "manager": "B1", "hire_date": "2026-11-01",
        "permissions": ["learner", "trainer"]})
    assert response.status_code == 302, response.get_data(as_text=True)
    nora = db.session.scalar(select(Person).where(Person.email == "nora@example.com"))
    assert nora.manager_id == boss.id and nora.job_role_id == role.id
    assert nora.permissions == {Permission.LEARNER, Permission.TRAINER}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.create"))
    assert event.actor_id == admin.id and event.target == "nora@example.com"
    assert "nora@example.com" in client.get("/admin/audit").get_data(as_text=True)


def test_duplicate_email_is_a_form_error(client, factory, as_person):
    admin = factory.person(permissions=[Permission.ADMIN])
    other = factory.person()
    as_person(admin)
    response = post_form(client, "/admin/people/new", {"name": "Copy", "email": other.email,
                                                       "permissions": ["learner"]})
    assert response.status_code == 400
    assert f"Another person already uses the email {other.email}" in response.get_data(as_text=True)


def test_manager_loop_is_a_form_error(client, factory, as_person):
    admin = factory.person(permissions=[Permission.ADMIN])
    boss = factory.person(employee_id="B1")
    report = factory.person(employee_id="R1", manager=boss)
    as_person(admin)
    response = post_form(client, f"/admin/people/{boss.id}", {
        "name": boss.name, "email": boss.email, "manager": "R1", "permissions": ["learner"]})
    assert response.status_code == 400
    assert "the chain would loop" in response.get_data(as_text=True)
    db.session.expire_all()
    assert boss.manager_id is None and report.manager_id == boss.id


def test_admin_cannot_remove_own_admin_or_deactivate_self(client, factory, as_person):
    admin = factory.person(permissions=[Permission.ADMIN, Permission.LEARNER])
    as_person(admin)
    response = post_form(client, f"/admin/people/{admin.id}", {
        "name": admin.name, "email": admin.email, "permissions": ["learner"]})
    assert "cannot remove your own admin permission" in response.get_data(as_text=True)
    response = post_form(client, f"/admin/people/{admin.id}/active", {"active": "0"},
                         form_url=f"/admin/people/{admin.id}", follow_redirects=True)
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    db.session.expire_all()
    assert admin.active and Permission.ADMIN in admin.permissions


def test_deactivated_person_is_signed_out_and_kept(app, client, factory, as_person):
    admin = factory.person(permissions=[Permission.ADMIN])
    learner = factory.person()
    other = app.test_client()
    post_form(other, "/auth/login", {"email": learner.email, "password": PASSWORD})
    assert other.get("/").status_code == 200
    as_person(admin)
    post_form(client, f"/admin/people/{learner.id}/active", {"active": "0"}, form_url=f"/admin/people/{learner.id}")
    assert other.get("/").status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, learner.id).active is False
    page = client.get("/admin/people?status=inactive").get_data(as_text=True)
    assert learner.name in page


def test_people_list_filters(client, factory, as_person):
    as_person(factory.person(permissions=[Permission.ADMIN], department="Finance", name="Ada Admin"))
    factory.person(name="Sam Seller", department="Sales", role="sales_rep")
    factory.person(name="Sue Service", department="Service", role="service_agent")
    sales = db.session.scalar(select(Department).where(Department.name == "Sales"))
    page = client.get(f"/admin/people?department={sales.id}").get_data(as_text=True)
    assert "Sam Seller" in page and "Sue Service" not in page
    page = client.get("/admin/people?q=sue").get_data(as_text=True)
    assert "Sue Service" in page and "Sam Seller" not in page
    page = client.get("/admin/people?permission=admin").get_data(as_text=True)
    assert "Ada Admin" in page and "Sam Seller" not in page
    assert client.get("/admin/people?department=notanumber").status_code == 200


def test_departments_are_added_renamed_and_deleted_only_when_unused(client, factory, as_person):
    as_person(factory.person(permissions=[Permission.ADMIN], department="Finance"))
    response = post_form(client, "/admin/org/departments", {"name": "Field Sales"})
    assert response.status_code == 302
    dept = db.session.scalar(select(Department).where(Department.name == "Field Sales"))
    dept_id = dept.id
    response = post_form(client, "/admin/org/departments", {"name": "field sales"})
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)
    post_form(client, f"/admin/org/departments/{dept.id}", {"name": "Inside Sales"})
    db.session.expire_all()
    assert db.session.get(Department, dept.id).name == "Inside Sales"
    finance = db.session.scalar(select(Department).where(Department.name == "Finance"))
    response = post_form(client, f"/admin/org/departments/{finance.id}/delete", {},
                         form_url="/admin/org/departments", follow_redirects=True)
    assert "1 person still belongs to the department “Finance”" in response.get_data(as_text=True)
    post_form(client, f"/admin/org/departments/{dept_id}/delete", {}, form_url="/admin/org/departments")
    db.session.expire_all()
    assert db.session.get(Department, dept_id) is None
    assert db.session.get(Department, finance.id) is not None


def test_job_role_code_is_validated(client, factory, as_person):
    as_person(factory.person(permissions=[Permission.ADMIN]))
    response = post_form(client, "/admin/org/job-roles", {"name": "Partner manager", "code": "Partner Manager"})
    assert response.status_code == 400 and "Lowercase letters" in response.get_data(as_text=True)
    response = post_form(client, "/admin/org/job-roles", {"name": "Partner manager", "code": "partner_manager"})
    assert response.status_code == 302


def test_unknown_org_list_is_404(client, factory, as_person):
    as_person(factory.person(permissions=[Permission.ADMIN]))
    assert client.get("/admin/org/planets").status_code == 404
    assert client.get("/admin/people/999999").status_code == 404


def test_manager_sees_direct_and_indirect_reports_only(client, factory, as_person):
    boss = factory.person(permissions=[Permission.MANAGER], name="Bea Boss")
    lead = factory.person(manager=boss, name="Leo Lead")
    factory.person(manager=lead, name="Ida Indirect")
    factory.person(name="Otto Outsider")
    as_person(boss)
    page = client.get("/team").get_data(as_text=True)
    assert "Leo Lead" in page and "Ida Indirect" not in page and "Otto Outsider" not in page
    page = client.get("/team?all=1").get_data(as_text=True)
    assert "Leo Lead" in page and "Ida Indirect" in page and "Otto Outsider" not in page


def test_navigation_follows_permissions(client, factory, as_person):
    as_person(factory.person(permissions=[Permission.LEARNER]))
    page = client.get("/").get_data(as_text=True)
    assert "My learning" in page
    for label in ("Admin", "My team", "Communications", "Governance", "Learning records"):
        assert f">{label}</a>" not in page
