"""Program goals: list with statuses, a goal's page (chart, values, linked training and gaps), the goal form,
values by form and CSV."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from courses import api as courses_api
from governance import access, pack
from governance import services_dashboard as dashboard_service
from governance import services_goals as goals
from governance import services_report as report
from governance.forms import GoalForm, ValueForm, ValuesCsvForm
from governance.services_readmodel import bring_up_to_date
from governance.views import bp, data_uri
from governance.views_board import active_people
from lms.admin.forms import ConfirmForm, choices
from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import Department, JobRole
from lms.types import utcnow


@bp.route("/goals")
@access.see_board
def goals_page() -> str:
    bring_up_to_date()
    on = utcnow().date()
    active = goals.active_goals()
    by_department = report.gap_report("department", goals=active, on=on)
    lines = dashboard_service.goal_lines(active, by_department, on)
    return render_template("governance/goals.html", lines=lines, rule=goals.RULE, csv_form=ValuesCsvForm(),
                           problems=None)


@bp.route("/goals/import", methods=["POST"])
@access.edit
def goals_import():
    return _import(None)


def _import(goal):
    form = ValuesCsvForm()
    back = url_for("governance.goal", goal_id=goal.id) if goal else url_for("governance.goals_page")
    if not form.validate_on_submit():
        flash(" ".join(form.file.errors) or "Choose a CSV file.", "error")
        return redirect(back)
    try:
        count = goals.import_values_csv(form.file.data.read(), goal=goal, actor_id=current_user.id)
    except goals.CsvRejected as rejected:
        db.session.rollback()
        name = form.file.data.filename or "the file"
        return render_template("governance/import_problems.html", problems=rejected.problems, name=name,
                               message=rejected.message, back=back), 400
    db.session.commit()
    flash(f"{count} value(s) recorded.", "success")
    return redirect(back)


def _goal_form(goal=None) -> GoalForm:
    form = GoalForm(obj=goal) if goal else GoalForm()
    catalogue = courses_api.catalogue()
    form.owner_id.choices = choices([("", "— choose —"), *active_people()])
    form.auto_metric.choices = choices([("", "Values recorded by hand, CSV or API"), *goals.automatic_metrics()])
    form.course_ids.choices = choices([(c.id, c.title) for c in catalogue.courses if c.kind != "remedial"])
    form.path_ids.choices = choices([(p.id, p.title) for p in catalogue.paths])
    form.job_role_ids.choices = choices([(r.id, r.name) for r in db.session.scalars(
        select(JobRole).order_by(JobRole.name))])
    form.department_ids.choices = choices([(d.id, d.name) for d in db.session.scalars(
        select(Department).order_by(Department.name))])
    if goal is not None and not form.is_submitted():
        form.course_ids.data = goal.course_ids
        form.path_ids.data = goal.path_ids
        form.job_role_ids.data = [r.id for r in goal.job_roles]
        form.department_ids.data = [d.id for d in goal.departments]
    return form


def _info(form: GoalForm) -> goals.GoalInfo:
    return goals.GoalInfo(
        key=form.key.data.strip(), title=form.title.data, metric=form.metric.data, baseline=form.baseline.data,
        baseline_on=form.baseline_on.data, target=form.target.data, deadline=form.deadline.data,
        direction=form.direction.data, unit=form.unit.data or "", description=form.description.data or "",
        owner_id=form.owner_id.data, course_ids=tuple(form.course_ids.data or ()),
        path_ids=tuple(form.path_ids.data or ()), job_role_ids=tuple(form.job_role_ids.data or ()),
        department_ids=tuple(form.department_ids.data or ()), auto_metric=form.auto_metric.data or None)


def _save(form: GoalForm, goal):
    if form.validate_on_submit():
        try:
            saved = goals.save_goal(_info(form), goal=goal, actor_id=current_user.id)
        except DomainError as error:
            db.session.rollback()
            target = form[error.field] if error.field and error.field in form else None
            if target is not None:
                target.errors = [*target.errors, error.message]
            else:
                form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Goal “{saved.title}” saved.", "success")
            return redirect(url_for("governance.goal", goal_id=saved.id))
    return render_template("governance/goal_form.html", form=form, goal=goal), 400 if form.is_submitted() else 200


@bp.route("/goals/new", methods=["GET", "POST"])
@access.edit
def goal_new():
    form = _goal_form()
    if not form.is_submitted():
        form.baseline_on.data = utcnow().date()
    return _save(form, None)


@bp.route("/goals/<int:goal_id>/edit", methods=["GET", "POST"])
@access.edit
def goal_edit(goal_id: int):
    goal = goals.get_goal(goal_id)
    return _save(_goal_form(goal), goal)


@bp.route("/goals/<int:goal_id>")
@access.see_board
def goal(goal_id: int) -> str:
    goal = goals.get_goal(goal_id)
    bring_up_to_date()
    on = utcnow().date()
    by_department = report.gap_report("department", goals=[goal], on=on)
    [line] = dashboard_service.goal_lines([goal], by_department, on)
    links = report.goal_links([goal])
    catalogue = courses_api.catalogue()
    value_form = ValueForm(measured_on=on)
    return render_template("governance/goal.html", goal=goal, line=line, rule=goals.RULE, link=links[0] if links
                           else None, catalogue=catalogue, value_form=value_form, csv_form=ValuesCsvForm(),
                           confirm=ConfirmForm(), actions=[a for a in _actions() if a.goal_id == goal.id], today=on,
                           chart=data_uri(pack.goal_chart(line, on)))


def _actions():
    from governance.services_meetings import open_actions

    return open_actions()


@bp.route("/goals/<int:goal_id>/values", methods=["POST"])
@access.edit
def goal_value(goal_id: int):
    goal = goals.get_goal(goal_id)
    form = ValueForm()
    if not form.validate_on_submit():
        flash("Give the day (YYYY-MM-DD) and the value measured.", "error")
        return redirect(url_for("governance.goal", goal_id=goal.id))
    goals.record_values(goal, [goals.ValueInfo(form.measured_on.data, form.value.data, form.note.data or "")],
                        source="form", actor_id=current_user.id)
    db.session.commit()
    flash(f"{form.value.data:g}{goal.unit} recorded for {form.measured_on.data:%d %B %Y}.", "success")
    return redirect(url_for("governance.goal", goal_id=goal.id))


@bp.route("/goals/<int:goal_id>/values/<int:value_id>/delete", methods=["POST"])
@access.edit
def goal_value_delete(goal_id: int, value_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    goal = goals.get_goal(goal_id)
    goals.delete_value(goal, value_id, actor_id=current_user.id)
    db.session.commit()
    flash("Value deleted.", "success")
    return redirect(url_for("governance.goal", goal_id=goal.id))


@bp.route("/goals/<int:goal_id>/import", methods=["POST"])
@access.edit
def goal_import(goal_id: int):
    return _import(goals.get_goal(goal_id))


@bp.route("/goals/<int:goal_id>/archive", methods=["POST"])
@access.edit
def goal_archive(goal_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    goal = goals.get_goal(goal_id)
    goals.set_archived(goal, not goal.archived, actor_id=current_user.id)
    db.session.commit()
    flash(f"Goal “{goal.title}” {'archived' if goal.archived else 'restored'}.", "success")
    return redirect(url_for("governance.goal", goal_id=goal.id))
