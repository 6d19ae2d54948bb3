"""The adoption report, readiness by team, the usage CSV import, the CRM admins' guide, pulse surveys, badges for
the program office, and the switches. The manager's and the learner's pages are in views_people."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from adoption import access, adkar, badges, incentives, readmodel, report, surveys, usage
from adoption.comms_link import MailUnavailable
from adoption.forms import BadgeRuleForm, PulseForm, RevokeForm, SwitchForm, UsageImportForm
from adoption.models import Award, BadgeRule, PersonState, UnknownActor
from courses import api as courses_api
from lms.admin.forms import choices
from lms.errors import DomainError, NotFound
from lms.extensions import db
from lms.people.models import Person
from lms.permissions import Permission, requires, requires_any
from lms.types import utcnow

bp = Blueprint("adoption", __name__, url_prefix="/adoption", template_folder="templates",
               static_folder="static", static_url_path="/static")

see_report = requires_any(*access.SEE_REPORT.permissions)
QUICK_REFRESH = 2000  # queued people a page brings up to date itself before reading; more wait for the worker


def _catch_up() -> int:
    """Bring a few queued people up to date before reading (and award what they earned); many wait for the
    worker, and the page says so."""
    if readmodel.waiting() <= QUICK_REFRESH and (done := readmodel.bring_up_to_date()):
        incentives.award_due(done)
        db.session.commit()
    return readmodel.waiting()


@bp.route("/")
@see_report
def report_page():
    waiting = _catch_up()
    dimension = request.args.get("by", "team")
    if dimension not in report.DIMENSIONS:
        dimension = "team"
    scope = access.report_manager(current_user)
    today = utcnow().date()
    rows, total = report.adoption_rows(dimension, today, manager_id=scope)
    return render_template(
        "adoption/report.html", rows=rows, total=total, dimension=dimension, dimensions=report.DIMENSIONS,
        idle=report.trained_not_using(today, manager_id=scope), untrained=report.using_not_trained(
            today, manager_id=scope), trend=report.trend(8, today, manager_id=scope), waiting=waiting,
        everyone=scope is None, today=today)


@bp.route("/report.csv")
@requires(Permission.PROGRAM_OFFICE, Permission.SPONSOR)
def report_csv():
    _catch_up()
    dimension = request.args.get("by", "team")
    dimension = dimension if dimension in report.DIMENSIONS else "team"
    return Response(report.report_csv(dimension), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=adoption-by-{dimension}.csv"})


@bp.route("/readiness")
@see_report
def readiness_page():
    waiting = _catch_up()
    scope = access.report_manager(current_user)
    return render_template("adoption/readiness.html", teams=report.readiness_by_team(manager_id=scope),
                           adkar=adkar, waiting=waiting)


@bp.route("/usage/import", methods=["GET", "POST"])
@requires(Permission.PROGRAM_OFFICE, Permission.ADMIN)
def usage_import():
    form, problems = UsageImportForm(), []
    if form.validate_on_submit():
        try:
            count = usage.import_csv(form.file.data.read())
        except usage.UsageCsvError as error:
            db.session.rollback()
            problems = error.problems
        else:
            db.session.commit()
            flash(f"Imported {count} day(s) of usage.", "success")
            return redirect(url_for("adoption.usage_import"))
    unknown = list(db.session.scalars(select(UnknownActor).order_by(UnknownActor.last_at.desc()).limit(20)))
    status = 400 if form.is_submitted() and (problems or form.errors) else 200
    return render_template("adoption/usage_import.html", form=form, problems=problems, unknown=unknown), status


@bp.route("/crm-statements")
@requires(Permission.ADMIN, Permission.PROGRAM_OFFICE)
def crm_guide():
    from adoption.guide import example_statements

    return render_template("adoption/crm_guide.html", example=example_statements(), activity_type=usage.crm_type())


def _required_people() -> list[int]:
    return list(db.session.scalars(select(Person.id).join(PersonState, PersonState.person_id == Person.id)
                                   .where(Person.active.is_(True), PersonState.required > 0)))


@bp.route("/pulse", methods=["GET", "POST"])
@requires(Permission.PROGRAM_OFFICE)
def pulse_send():
    form = PulseForm(question=surveys.QUESTION)
    if form.validate_on_submit():
        _catch_up()
        try:
            survey = surveys.send(_required_people(), question=form.question.data, sender_id=current_user.id)
        except (DomainError, MailUnavailable) as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(f"The pulse survey went to {survey.recipients} people.", "success")
            return redirect(url_for("adoption.pulse_send"))
    return render_template("adoption/pulse.html", form=form, latest=surveys.latest_survey()), \
        400 if form.is_submitted() else 200


def _rule_form(rule: BadgeRule | None = None) -> BadgeRuleForm:
    form = BadgeRuleForm(obj=rule)
    catalogue = courses_api.catalogue()
    form.path_id.choices = choices([("", "—")] + [(p.id, p.title) for p in catalogue.paths])
    form.quiz.choices = choices([("", "—")] + [(f"{q.course_id}:{q.key}", f"{q.course_title}: {q.title}")
                                               for q in catalogue.quizzes])
    return form


@bp.route("/badges", methods=["GET", "POST"])
@requires(Permission.PROGRAM_OFFICE)
def badges_admin():
    form = _rule_form()
    if form.validate_on_submit():
        course_id, _, quiz_key = (form.quiz.data or "").partition(":")
        info = incentives.RuleInfo(form.name.data, form.description.data or "", form.kind.data, form.path_id.data,
                                   int(course_id) if course_id.isdigit() else None, quiz_key or None,
                                   form.weeks.data, form.colour.data)
        try:
            rule = incentives.save_rule(info)
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Badge “{rule.name}” saved; it is awarded as people earn it.", "success")
            return redirect(url_for("adoption.badges_admin"))
    rules = list(db.session.scalars(select(BadgeRule).order_by(BadgeRule.name)))
    awards = list(db.session.scalars(select(Award).order_by(Award.awarded_at.desc()).limit(200)))
    from adoption.comms_link import kudos_url

    kudos = {a.id: kudos_url(a.person_id, f"{a.person.name} earned the “{a.rule.name}” badge. Well done!")
             for a in awards if a.revoked_at is None}
    return render_template("adoption/badges_admin.html", form=form, rules=rules, awards=awards, kudos=kudos,
                           rule_text=incentives.rule_text, revoke_form=RevokeForm(), points_rule=incentives.POINTS_RULE,
                           settings=readmodel.settings()), 400 if form.is_submitted() else 200


@bp.route("/badges/awards/<int:award_id>/revoke", methods=["POST"])
@requires(Permission.PROGRAM_OFFICE)
def revoke_award(award_id: int):
    award = db.session.get(Award, award_id)
    if award is None:
        raise NotFound("No such award.")
    form = RevokeForm()
    if not form.validate_on_submit():
        flash("Give a reason to revoke the badge.", "error")
        return redirect(url_for("adoption.badges_admin"))
    badges.revoke(award, form.reason.data)
    db.session.commit()
    flash(f"{award.person.name}'s “{award.rule.name}” badge is revoked; its verification page says so.", "success")
    return redirect(url_for("adoption.badges_admin"))


@bp.route("/settings/<what>", methods=["POST"])
@requires(Permission.PROGRAM_OFFICE, Permission.ADMIN)
def switch(what: str):
    form = SwitchForm()
    if what not in ("leaderboard", "digest") or not form.validate_on_submit():
        raise NotFound("No such switch.")
    if what == "leaderboard" and not current_user.can(Permission.ADMIN):
        raise DomainError("Only an admin switches the leaderboard.")
    row = readmodel.settings()
    setattr(row, f"{what}_on", bool(form.on.data))
    db.session.commit()
    flash(f"The {'team leaderboard' if what == 'leaderboard' else 'weekly coaching digest'} is now "
          f"{'on' if form.on.data else 'off'}.", "success")
    return redirect(request.referrer or url_for("adoption.report_page"))


@bp.route("/settings")
@requires(Permission.ADMIN, Permission.PROGRAM_OFFICE)
def settings_page():
    return render_template("adoption/settings.html", settings=readmodel.settings(), form=SwitchForm())


from adoption import views_people  # noqa: E402,F401  (registers the manager's and the learner's pages on bp)
