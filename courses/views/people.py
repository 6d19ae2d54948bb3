"""People's learning, seen by those who help them: the manager's team page (each report's paths and courses,
due and overdue work, failed quizzes, remedial work, the team's weakest questions), a person's page (their
transcript, with the trainer's overrides), and assignment by hand.

A manager sees and assigns only to their own team (direct or indirect reports): :func:`overrides.person_for` and
:func:`overrides.reachable` are the only ways in, and anyone else is a 404.
"""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from courses import overrides, records, results
from courses.enrolment import today
from courses.forms import AssignForm, DueForm, ExtraAttemptsForm, ResetAttemptForm, WaiveForm
from courses.models import Course, LearningPath
from courses.views import bp
from courses.views.author import attempt, page_status
from lms.admin.forms import choices
from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import Person
from lms.people.services import team_query
from lms.permissions import Permission, requires

HELPERS = (Permission.MANAGER, Permission.TRAINER, Permission.ADMIN)
OVERRIDERS = (Permission.TRAINER, Permission.ADMIN)


@bp.route("/team")
@requires(Permission.MANAGER)
def team() -> str:
    include_indirect = request.args.get("all") == "1"
    page = db.paginate(team_query(current_user.id, include_indirect=include_indirect), per_page=50,
                       error_out=False)
    people = list(page.items)
    learning = records.team_learning([p.id for p in people], today())
    everyone = list(db.session.scalars(team_query(current_user.id, include_indirect=True)
                                       .with_only_columns(Person.id).order_by(None)))
    figures = results.question_figures(person_ids=everyone) if everyone else []
    weakest = ([f for f in figures if f.answered >= 3] or figures)[:5]  # one answer says little about a question
    return render_template("courses/people/team.html", page=page, people=people, learning=learning,
                           include_indirect=include_indirect, weakest=weakest, today=today())


@bp.route("/people/<int:person_id>")
@requires(*HELPERS)
def person_page(person_id: int) -> str:
    person = overrides.person_for(current_user, person_id)
    return render_template("courses/people/person.html", person=person, lines=records.transcript(person.id),
                           can_override=overrides.sees_everyone(current_user), today=today(),
                           waive_form=WaiveForm(), due_form=DueForm(), extra_form=ExtraAttemptsForm(),
                           reset_form=ResetAttemptForm())


@bp.route("/assign", methods=["GET", "POST"])
@requires(*HELPERS)
def assign_form():
    form = AssignForm()
    form.course_id.choices = choices([("", "—")] + [(c.id, c.title) for c in db.session.scalars(
        select(Course).where(Course.status == "published", Course.kind != "remedial").order_by(Course.title))])
    form.path_id.choices = choices([("", "—")] + [(p.id, p.title) for p in db.session.scalars(
        select(LearningPath).where(LearningPath.active.is_(True)).order_by(LearningPath.title))])
    is_manager_only = not overrides.sees_everyone(current_user)
    form.person_ids.choices = choices((p.id, person_label(p)) for p in db.session.scalars(
        team_query(current_user.id, include_indirect=True))) if current_user.can(Permission.MANAGER) else []
    if request.method == "GET":
        form.course_id.data = request.args.get("course_id", type=int)
        form.path_id.data = request.args.get("path_id", type=int)
        person_id = request.args.get("person_id", type=int)
        if person_id:
            person = overrides.person_for(current_user, person_id)
            if person_id in {c.value for c in form.person_ids.choices}:
                form.person_ids.data = [person_id]
            else:
                form.people.data = person.email
    if form.validate_on_submit():
        def run():
            ids = overrides.resolve_people(current_user, (form.people.data or "").splitlines(),
                                           team_of=None if is_manager_only else form.team_of.data,
                                           whole_team=bool(form.whole_team.data),
                                           chosen=list(form.person_ids.data or []))
            return overrides.assign(current_user, ids, overrides.Assignment(
                course_id=form.course_id.data if not form.path_id.data else None, path_id=form.path_id.data,
                due_date=form.due_date.data)), len(ids)
        if outcome := attempt(form, run):
            made, count = outcome
            flash(f"Assigned to {count} {'person' if count == 1 else 'people'} ({made} new).", "success")
            return redirect(url_for("courses.team") if is_manager_only else url_for("courses.assign_form"))
    return render_template("courses/people/assign.html", form=form, manager_only=is_manager_only), page_status()


def _override(action) -> Response:
    try:
        enrolment = action()
    except DomainError as error:
        if error.status_code == 403:
            raise  # refused: the 403 error page (lms.web), not a flash on the page before
        db.session.rollback()
        flash(error.message, "error")
        return redirect(request.referrer or url_for("courses.team"))
    db.session.commit()
    flash("Done: it is in the audit log.", "success")
    return redirect(url_for("courses.person_page", person_id=enrolment.person_id) + "#transcript")


@bp.route("/enrolments/<int:enrolment_id>/waive", methods=["POST"])
@requires(*OVERRIDERS)
def waive(enrolment_id: int) -> Response:
    form = WaiveForm()
    if not form.validate_on_submit():
        flash("Say why the course is waived.", "error")
        return redirect(request.referrer or url_for("courses.author_index"))
    return _override(lambda: overrides.waive(current_user, enrolment_id, form.reason.data))


@bp.route("/enrolments/<int:enrolment_id>/due", methods=["POST"])
@requires(*OVERRIDERS)
def change_due(enrolment_id: int) -> Response:
    form = DueForm()
    if not form.validate_on_submit():
        flash("Give the due date as a date.", "error")
        return redirect(request.referrer or url_for("courses.author_index"))
    return _override(lambda: overrides.change_due(current_user, enrolment_id, form.due_date.data))


@bp.route("/enrolments/<int:enrolment_id>/attempts", methods=["POST"])
@requires(*OVERRIDERS)
def grant_attempts(enrolment_id: int) -> Response:
    form = ExtraAttemptsForm()
    if not form.validate_on_submit():
        flash("Grant from 1 to 10 attempts.", "error")
        return redirect(request.referrer or url_for("courses.author_index"))
    return _override(lambda: overrides.grant_attempts(current_user, enrolment_id, form.quiz_key.data,
                                                      form.extra.data))


@bp.route("/attempts/<int:attempt_id>/reset", methods=["POST"])
@requires(*OVERRIDERS)
def reset_attempt(attempt_id: int) -> Response:
    form = ResetAttemptForm()
    if not form.validate_on_submit():
        flash("The form had expired; try again.", "error")
        return redirect(request.referrer or url_for("courses.author_index"))
    return _override(lambda: overrides.reset_attempt(current_user, attempt_id).enrolment)


@bp.app_template_filter("person_label")
def person_label(person: Person) -> str:
    """A name that tells two people apart: the email (and employee id) beside it."""
    extra = person.email + (f", {person.employee_id}" if person.employee_id else "")
    return f"{person.name} ({extra})"


