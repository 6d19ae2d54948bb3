"""The admin area: people, roster import, departments, job roles, waves, audit log."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import select

from lms.admin.forms import (
    AuditFilterForm,
    JobRoleForm,
    NewPersonForm,
    OrgItemForm,
    PeopleFilterForm,
    PersonForm,
    RosterUploadForm,
    WaveForm,
    choices,
)
from lms.audit.services import AuditFilter, events_csv, known_actions, recent_events_query
from lms.auth import invitations, sessions, throttle
from lms.auth import services as auth_services
from lms.errors import DomainError, NotFound
from lms.extensions import db
from lms.people import roster
from lms.people import services as people
from lms.people.models import Department, JobRole, Person, RolloutWave
from lms.permissions import Permission, requires

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
ORG_FORMS = {"departments": OrgItemForm, "job-roles": JobRoleForm, "waves": WaveForm}
ORG_TITLES = {"departments": "Departments", "job-roles": "Job roles", "waves": "Rollout waves"}


def _choices(model, blank: str = "—") -> list:
    rows = db.session.scalars(select(model).order_by(model.name))
    return choices([("", blank)] + [(row.id, row.name) for row in rows])


@bp.route("/")
@requires(Permission.ADMIN)
def index() -> Response:
    return redirect(url_for("admin.people_list"))


@bp.route("/people")
@requires(Permission.ADMIN)
def people_list() -> str:
    form = PeopleFilterForm(request.args)
    form.department.choices = _choices(Department, "Any")
    form.job_role.choices = _choices(JobRole, "Any")
    form.wave.choices = _choices(RolloutWave, "Any")
    form.validate()
    criteria = people.PeopleFilter(
        search=form.q.data or "", department_id=form.department.data if not form.department.errors else None,
        job_role_id=form.job_role.data if not form.job_role.errors else None,
        wave_id=form.wave.data if not form.wave.errors else None,
        permission=Permission(form.permission.data) if form.permission.data and not form.permission.errors else None,
        status=form.status.data if form.status.data in ("active", "inactive", "all") else "active",
    )
    page = db.paginate(people.people_query(criteria), per_page=50, error_out=False)
    return render_template("admin/people.html", form=form, page=page,
                           invited=invitations.latest([p.id for p in page.items]))


def _person_form(person: Person | None) -> PersonForm:
    form = PersonForm(obj=person) if person else NewPersonForm()
    form.job_role_id.choices = _choices(JobRole)
    form.department_id.choices = _choices(Department)
    form.wave_id.choices = _choices(RolloutWave)
    if request.method == "GET":
        if person:
            form.permissions.data = sorted(p.value for p in person.permissions)
            form.manager.data = (person.manager.employee_id or person.manager.email) if person.manager else ""
        else:
            form.permissions.data = [Permission.LEARNER.value]
    return form


def _person_info(form: PersonForm) -> people.PersonInfo:
    manager_id = None
    ref = (form.manager.data or "").strip()
    if ref:
        manager_id = db.session.scalar(select(Person.id).where(
            (Person.employee_id == ref) | (Person.email == ref.lower())))
        if manager_id is None:
            raise DomainError(f"No person has the email or employee id {ref!r}.", field="manager")
    return people.PersonInfo(
        name=form.name.data, email=form.email.data, employee_id=form.employee_id.data or None,
        job_role_id=form.job_role_id.data, department_id=form.department_id.data, wave_id=form.wave_id.data,
        manager_id=manager_id, hire_date=form.hire_date.data,
        permissions=frozenset(Permission(p) for p in form.permissions.data or []),
    )


def _save_person(form: PersonForm, person: Person | None):
    try:
        info = _person_info(form)
        if person is None:
            person = people.create_person(info, actor_id=current_user.id)
            if form.invite.data:
                result = invitations.invite([person.id], actor_id=current_user.id)
                flash(result.summary() + ".", "info")
        else:
            people.update_person(person, info, actor_id=current_user.id)
    except DomainError as error:
        db.session.rollback()
        target = getattr(form, error.field, None) if error.field else None
        (target.errors if target is not None else form.form_errors).append(error.message)
        return None
    db.session.commit()
    return person


@bp.route("/people/new", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def person_new():
    form = _person_form(None)
    if form.validate_on_submit() and (person := _save_person(form, None)):
        flash(f"{person.name} is added.", "success")
        return redirect(url_for("admin.person_edit", person_id=person.id))
    return render_template("admin/person.html", form=form, person=None), 400 if request.method == "POST" else 200


@bp.route("/people/<int:person_id>", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def person_edit(person_id: int):
    person = people.get_person(person_id)
    form = _person_form(person)
    if form.validate_on_submit() and _save_person(form, person):
        flash(f"{person.name} is saved.", "success")
        return redirect(url_for("admin.person_edit", person_id=person.id))
    return render_template("admin/person.html", form=form, person=person,
                           session_count=len(sessions.active_sessions(person.id)),
                           invitations=invitations.history(person.id)), \
        400 if request.method == "POST" else 200


@bp.route("/people/<int:person_id>/sessions/end", methods=["POST"])
@requires(Permission.ADMIN)
def person_end_sessions(person_id: int) -> Response:
    person = people.get_person(person_id)
    count = sessions.end_person_sessions(person, actor_id=current_user.id)
    db.session.commit()
    flash(f"{person.name}'s sessions are ended ({count}); they must sign in again.", "success")
    return redirect(url_for("admin.person_edit", person_id=person.id))


@bp.route("/people/<int:person_id>/active", methods=["POST"])
@requires(Permission.ADMIN)
def person_set_active(person_id: int) -> Response:
    person = people.get_person(person_id)
    active = request.form.get("active") == "1"
    people.set_active(person, active, actor_id=current_user.id)
    db.session.commit()
    flash(f"{person.name} is {'reactivated' if active else 'deactivated; their records are kept'}.", "success")
    return redirect(url_for("admin.person_edit", person_id=person.id))


@bp.route("/people/import", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def people_import():
    form = RosterUploadForm()
    report = None
    if form.validate_on_submit():
        report = roster.import_roster(form.roster.data.stream, actor_id=current_user.id, dry_run=form.dry_run.data)
        if report.ok and not report.dry_run:
            invited = invitations.invite(report.joined, actor_id=current_user.id) if form.invite.data else None
            db.session.commit()
            flash("Roster imported: " + report.summary() + (f"; {invited.summary()}" if invited else ""), "success")
            return redirect(url_for("admin.people_list"))
        db.session.rollback()
    status = 400 if (request.method == "POST" and (form.errors or (report and not report.ok))) else 200
    return render_template("admin/import.html", form=form, report=report), status


@bp.route("/people/roster-template.csv")
@requires(Permission.ADMIN)
def roster_template() -> Response:
    body = ",".join(roster.COLUMNS) + "\r\n" + (
        "E1001,ana.lopez@example.com,Ana Lopez,sales_rep,Sales,E0100,2026-01-12,Wave 1,yes,learner\r\n")
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=roster-template.csv"})


def _save_org_form(form, kind: str, item_id: int | None) -> bool:
    """Validate and save a department / job role / wave form; errors go onto the form. True when saved."""
    if not form.validate_on_submit():
        return False
    values = {k: v for k, v in form.data.items() if k not in ("submit", "csrf_token")}
    try:
        people.save_org_item(kind, values, item_id=item_id, actor_id=current_user.id)
    except DomainError as error:
        db.session.rollback()
        getattr(form, error.field or "name").errors.append(error.message)
        return False
    db.session.commit()
    flash(f"{values['name']} is {'saved' if item_id else 'added'}.", "success")
    return True


@bp.route("/org/<kind>", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def org_list(kind: str):
    people.org_model(kind)
    form = ORG_FORMS[kind]()
    if _save_org_form(form, kind, None):
        return redirect(url_for("admin.org_list", kind=kind))
    return render_template("admin/org_list.html", kind=kind, title=ORG_TITLES[kind], rows=people.org_rows(kind),
                           form=form), 400 if request.method == "POST" else 200


@bp.route("/org/<kind>/<int:item_id>", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def org_edit(kind: str, item_id: int):
    item = db.session.get(people.org_model(kind), item_id)
    if item is None:
        raise NotFound("There is no such item.")
    form = ORG_FORMS[kind](obj=item)
    if _save_org_form(form, kind, item_id):
        return redirect(url_for("admin.org_list", kind=kind))
    return render_template("admin/org_edit.html", kind=kind, title=ORG_TITLES[kind], item=item,
                           form=form), 400 if request.method == "POST" else 200


@bp.route("/org/<kind>/<int:item_id>/delete", methods=["POST"])
@requires(Permission.ADMIN)
def org_delete(kind: str, item_id: int) -> Response:
    people.delete_org_item(kind, item_id, actor_id=current_user.id)
    db.session.commit()
    flash("Deleted.", "success")
    return redirect(url_for("admin.org_list", kind=kind))


@bp.route("/sign-in-locks")
@requires(Permission.ADMIN)
def sign_in_locks() -> str:
    return render_template("admin/sign_in_locks.html", locks=throttle.locks())


@bp.route("/sign-in-locks/lift", methods=["POST"])
@requires(Permission.ADMIN)
def sign_in_lock_lift() -> Response:
    kind, key = request.form.get("kind", ""), request.form.get("key", "")
    if auth_services.lift_lock(kind, key, actor_id=current_user.id):
        db.session.commit()
        flash(f"The lock on {key} is lifted: the next sign-in is checked the ordinary way.", "success")
    else:
        flash(f"There was no lock on {key} (any more).", "info")
    return redirect(url_for("admin.sign_in_locks"))


def _audit_filter() -> tuple[AuditFilterForm, AuditFilter]:
    form = AuditFilterForm(request.args)
    form.validate()
    return form, AuditFilter(who=form.who.data or "" if not form.who.errors else "",
                             action=(form.action.data or "").strip() if not form.action.errors else "",
                             since=form.since.data if not form.since.errors else None,
                             until=form.until.data if not form.until.errors else None)


@bp.route("/audit")
@requires(Permission.ADMIN)
def audit_log() -> str:
    form, criteria = _audit_filter()
    page = db.paginate(recent_events_query(criteria=criteria), per_page=100, error_out=False)
    return render_template("admin/audit.html", page=page, form=form, actions=known_actions())


@bp.route("/audit.csv")
@requires(Permission.ADMIN)
def audit_csv() -> Response:
    _form, criteria = _audit_filter()
    return Response(stream_with_context(events_csv(criteria)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})
