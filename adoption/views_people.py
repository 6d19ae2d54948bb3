"""The manager's stewardship page (team progress and readiness, overdue, trained but not using, weakest questions,
coaching notes, nudges, the digest switch) and the learner's own page (readiness, points, badges, notes about
them, the leaderboard opt-out, the pulse survey)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from adoption import adkar, coaching, comms_link, incentives, readmodel, report, surveys
from adoption.forms import AnswerForm, NoteForm, OptOutForm, SwitchForm
from adoption.models import Award, DigestOptOut
from adoption.views import _catch_up, bp
from courses import api as courses_api
from lms.admin.forms import ConfirmForm
from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import Person
from lms.permissions import Permission, requires
from lms.types import utcnow


@bp.route("/team")
@requires(Permission.MANAGER)
def manager_page():
    team_ids = list(db.session.scalars(select(Person.id).where(Person.manager_id == current_user.id,
                                                              Person.active.is_(True))))
    for person_id in team_ids:
        readmodel.state_of(person_id)
    _catch_up()
    db.session.commit()
    today = utcnow().date()
    rows, total = report.adoption_rows("team", today, manager_id=current_user.id)
    due = courses_api.due_items(team_ids, today, with_undated=False)
    overdue = {pid: [d for d in items if d.overdue] for pid, items in due.items()}
    people = report.person_readiness(current_user.id)
    teams = report.readiness_by_team(manager_id=current_user.id)
    settings = readmodel.settings()
    return render_template(
        "adoption/manager.html", total=total, people=people, team=teams[0] if teams else None, adkar=adkar,
        overdue={pid: items for pid, items in overdue.items() if items},
        idle=report.trained_not_using(today, manager_id=current_user.id),
        weakest=courses_api.weakest_questions(team_ids, most=5),
        notes={pid: coaching.notes_for(current_user, pid) for pid in team_ids},
        note_form=NoteForm(), button=ConfirmForm(), switch=SwitchForm(),
        digest_on=settings.digest_on, my_digest=db.session.get(DigestOptOut, current_user.id) is None,
        leaderboard=incentives.leaderboard(current_user.id) if settings.leaderboard_on else None, today=today,
        opened=request.args.get("person", type=int))  # whose notes to show open (after adding one)


def _own(person_id: int) -> Person:
    """One of the signed-in manager's people; anyone else is "not found" (404: whether they exist is not said)."""
    try:
        return coaching.report_of(current_user, person_id)
    except coaching.NotYourPerson:
        abort(404)


@bp.route("/team/<int:person_id>/notes", methods=["POST"])
@requires(Permission.MANAGER)
def add_note(person_id: int):
    _own(person_id)
    form = NoteForm()
    if form.validate_on_submit():
        coaching.add_note(current_user, person_id, form.text.data)
        db.session.commit()
        flash("Note added. Only you and this person can read it.", "success")
    else:
        flash("Write the note first (at most 4,000 characters).", "error")
    return redirect(url_for("adoption.manager_page", person=person_id) + f"#person-{person_id}")


@bp.route("/team/notes/<int:note_id>/delete", methods=["POST"])
@requires(Permission.MANAGER)
def delete_note(note_id: int):
    if ConfirmForm().validate_on_submit():
        coaching.delete_note(current_user, note_id)
        db.session.commit()
        flash("Note deleted.", "success")
    return redirect(url_for("adoption.manager_page"))


@bp.route("/team/<int:person_id>/nudge", methods=["POST"])
@requires(Permission.MANAGER)
def nudge(person_id: int):
    person = _own(person_id)
    if ConfirmForm().validate_on_submit():
        try:
            sent = coaching.nudge(current_user, person_id)
        except (DomainError, comms_link.MailUnavailable) as error:
            db.session.rollback()
            flash(f"The nudge was not sent: {error}", "error")
        else:
            db.session.commit()
            flash(f"Nudge mailed to {person.name}." if sent else
                  f"{person.name} was not mailed (no address, bounced, or inactive).", "success" if sent else "error")
    return redirect(url_for("adoption.manager_page"))


@bp.route("/team/digest", methods=["POST"])
@requires(Permission.MANAGER)
def my_digest():
    form = SwitchForm()
    if form.validate_on_submit():
        coaching.set_digest(current_user, bool(form.on.data))
        db.session.commit()
        flash(f"Your weekly coaching digest is {'on' if form.on.data else 'off'}.", "success")
    return redirect(url_for("adoption.manager_page"))


@bp.route("/me")
@requires(Permission.LEARNER)
def mine():
    state = readmodel.state_of(current_user.id)
    db.session.commit()
    awards = list(db.session.scalars(select(Award).where(Award.person_id == current_user.id)
                                     .order_by(Award.awarded_at.desc())))
    survey = surveys.latest_survey()
    answer_form = AnswerForm(survey_id=survey.id if survey else "")
    if survey is not None:
        answer_form.answer.data = surveys.answer_of(survey.id, current_user.id) or 3
    kudos = {a.id: comms_link.kudos_url(current_user.id, f"I earned the “{a.rule.name}” badge!") for a in awards}
    board = None
    if readmodel.settings().leaderboard_on and current_user.manager_id is not None:
        board = incentives.leaderboard(current_user.manager_id)
    return render_template(
        "adoption/mine.html", state=state, adkar=adkar, scores=_scores(state), awards=awards, survey=survey,
        leaderboard=board,
        answer_form=answer_form, opt_form=OptOutForm(opt_out=state.leaderboard_opt_out), kudos=kudos,
        notes=coaching.notes_for(current_user, current_user.id), points_rule=incentives.POINTS_RULE)


def _scores(state) -> dict:
    return {"awareness": state.awareness, "desire": state.desire_score, "knowledge": state.knowledge,
            "ability": state.ability, "reinforcement": state.reinforcement}


@bp.route("/me/leaderboard", methods=["POST"])
@requires(Permission.LEARNER)
def opt_out():
    form = OptOutForm()
    if form.validate_on_submit():
        incentives.set_opt_out(current_user.id, bool(form.opt_out.data))
        db.session.commit()
        flash("You are off the team leaderboard." if form.opt_out.data else "You are on the team leaderboard.",
              "success")
    return redirect(url_for("adoption.mine"))


@bp.route("/me/pulse", methods=["POST"])
@requires(Permission.LEARNER)
def answer_pulse():
    form = AnswerForm()
    if form.validate_on_submit() and str(form.survey_id.data).isdigit():
        surveys.record_answer(int(form.survey_id.data), current_user.id, form.answer.data)
        db.session.commit()
        flash("Thank you: your answer is recorded.", "success")
    else:
        flash("Choose an answer from 1 to 5.", "error")
    return redirect(url_for("adoption.mine"))
