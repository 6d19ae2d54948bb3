"""Meetings: cadence, the next meeting and its generated agenda, minutes, decisions and actions."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from governance import access
from governance import services_dashboard as dashboard_service
from governance import services_goals as goals_service
from governance import services_meetings as meetings
from governance.forms import (
    ActionForm,
    ActionUpdateForm,
    CadenceForm,
    DecisionForm,
    HoldForm,
    MeetingForm,
    MinutesForm,
    RescheduleForm,
)
from governance.views import bp
from governance.views_board import active_people
from lms.admin.forms import ConfirmForm, choices
from lms.extensions import db
from lms.types import utcnow


def _action_form(**kwargs) -> ActionForm:
    form = ActionForm(**kwargs)
    form.owner_id.choices = choices([("", "— choose —"), *active_people()])
    form.goal_id.choices = choices([("", "— none —"), *((g.id, g.title) for g in goals_service.active_goals())])
    return form


def _update_form(action) -> ActionUpdateForm:
    form = ActionUpdateForm(prefix=f"action{action.id}", status=action.status, owner_id=action.owner_id,
                            due_date=action.due_date, note=action.note)
    form.owner_id.choices = choices([("", "— none —"), *active_people()])
    return form


@bp.route("/meetings")
@access.see_board
def meetings_page() -> str:
    actions = meetings.open_actions()
    return render_template("governance/meetings.html", cadence=meetings.cadence(), meetings=meetings.meetings(),
                           actions=actions, carried={a.id: meetings.carried(a) for a in actions},
                           closed=meetings.closed_actions(), today=utcnow().date(),
                           meeting_form=MeetingForm(), cadence_form=CadenceForm(
                               cadence_months=meetings.cadence_months()),
                           action_form=_action_form(), update_forms={a.id: _update_form(a) for a in actions})


@bp.route("/meetings", methods=["POST"])
@access.edit
def meeting_schedule():
    form = MeetingForm()
    if not form.validate_on_submit():
        flash("Give the meeting a date (YYYY-MM-DD).", "error")
        return redirect(url_for("governance.meetings_page"))
    meeting = meetings.schedule(form.scheduled_for.data, form.title.data or "", actor_id=current_user.id)
    db.session.commit()
    flash(f"{meeting.title} planned for {meeting.scheduled_for:%d %B %Y}.", "success")
    return redirect(url_for("governance.meeting", meeting_id=meeting.id))


@bp.route("/meetings/cadence", methods=["POST"])
@access.edit
def meeting_cadence():
    form = CadenceForm()
    if not form.validate_on_submit():
        flash("Choose how often the board meets.", "error")
        return redirect(url_for("governance.meetings_page"))
    meetings.set_cadence(form.cadence_months.data, actor_id=current_user.id)
    db.session.commit()
    flash("Cadence saved.", "success")
    return redirect(url_for("governance.meetings_page"))


@bp.route("/meetings/<int:meeting_id>")
@access.see_board
def meeting(meeting_id: int) -> str:
    meeting = meetings.get_meeting(meeting_id)
    agenda = meeting.agenda
    if meeting.status == "planned":
        agenda = dashboard_service.agenda(dashboard_service.overview())
    actions = meetings.open_actions()
    raised = [a for a in meetings.closed_actions(500) if a.meeting_id == meeting.id]
    return render_template(
        "governance/meeting.html", meeting=meeting, agenda=agenda, actions=actions, raised=raised,
        today=utcnow().date(), carried={a.id: meetings.carried(a) for a in actions},
        minutes_form=MinutesForm(minutes=meeting.minutes), decision_form=DecisionForm(),
        action_form=_action_form(), hold_form=HoldForm(held_on=min(meeting.scheduled_for, utcnow().date())),
        reschedule_form=RescheduleForm(scheduled_for=meeting.scheduled_for), confirm=ConfirmForm(),
        update_forms={a.id: _update_form(a) for a in actions})


def _back(meeting_id: int):
    return redirect(url_for("governance.meeting", meeting_id=meeting_id))


@bp.route("/meetings/<int:meeting_id>/minutes", methods=["POST"])
@access.edit
def meeting_minutes(meeting_id: int):
    meeting = meetings.get_meeting(meeting_id)
    form = MinutesForm()
    if not form.validate_on_submit():
        flash("Minutes are limited to 50,000 characters.", "error")
        return _back(meeting_id)
    meetings.save_minutes(meeting, form.minutes.data or "", actor_id=current_user.id)
    db.session.commit()
    flash("Minutes saved.", "success")
    return _back(meeting_id)


@bp.route("/meetings/<int:meeting_id>/decisions", methods=["POST"])
@access.edit
def meeting_decision(meeting_id: int):
    meeting = meetings.get_meeting(meeting_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("Write the decision first.", "error")
        return _back(meeting_id)
    meetings.add_decision(meeting, form.text.data, actor_id=current_user.id)
    db.session.commit()
    flash("Decision recorded.", "success")
    return _back(meeting_id)


@bp.route("/meetings/<int:meeting_id>/decisions/<int:decision_id>/remove", methods=["POST"])
@access.edit
def meeting_decision_remove(meeting_id: int, decision_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    meetings.remove_decision(meetings.get_meeting(meeting_id), decision_id, actor_id=current_user.id)
    db.session.commit()
    flash("Decision removed.", "success")
    return _back(meeting_id)


@bp.route("/meetings/<int:meeting_id>/hold", methods=["POST"])
@access.edit
def meeting_hold(meeting_id: int):
    meeting = meetings.get_meeting(meeting_id)
    form = HoldForm()
    if not form.validate_on_submit():
        flash("Give the day the meeting was held (YYYY-MM-DD).", "error")
        return _back(meeting_id)
    agenda = dashboard_service.agenda(dashboard_service.overview())
    following = meetings.hold(meeting, form.held_on.data, agenda, actor_id=current_user.id)
    db.session.commit()
    flash("Meeting marked as held; its agenda is kept with the minutes."
          + (f" The next one is planned for {following.scheduled_for:%d %B %Y}." if following else ""), "success")
    return _back(meeting_id)


@bp.route("/meetings/<int:meeting_id>/reschedule", methods=["POST"])
@access.edit
def meeting_reschedule(meeting_id: int):
    meeting = meetings.get_meeting(meeting_id)
    form = RescheduleForm()
    if not form.validate_on_submit():
        flash("Give the new date (YYYY-MM-DD).", "error")
        return _back(meeting_id)
    meetings.reschedule(meeting, form.scheduled_for.data, actor_id=current_user.id)
    db.session.commit()
    flash(f"Meeting moved to {form.scheduled_for.data:%d %B %Y}.", "success")
    return _back(meeting_id)


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@access.edit
def meeting_cancel(meeting_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    meetings.cancel(meetings.get_meeting(meeting_id), actor_id=current_user.id)
    db.session.commit()
    flash("Meeting cancelled.", "success")
    return redirect(url_for("governance.meetings_page"))


@bp.route("/actions", methods=["POST"])
@access.edit
def action_create():
    form = _action_form()
    meeting_id = request.form.get("meeting_id", type=int)
    back = _back(meeting_id) if meeting_id else redirect(url_for("governance.meetings_page"))
    if not form.validate_on_submit():
        flash("An action needs a title; the due date is YYYY-MM-DD.", "error")
        return back
    if meeting_id:
        meetings.get_meeting(meeting_id)
    meetings.add_action(meetings.ActionInfo(form.title.data, form.owner_id.data, form.due_date.data,
                                            form.goal_id.data, meeting_id), actor_id=current_user.id)
    db.session.commit()
    flash("Action added.", "success")
    return back


@bp.route("/actions/<int:action_id>", methods=["POST"])
@access.edit
def action_update(action_id: int):
    action = meetings.get_action(action_id)
    form = _update_form(action)
    back = request.form.get("back") == "meeting" and action.meeting_id
    target = _back(action.meeting_id) if back else redirect(url_for("governance.meetings_page"))
    if not form.validate_on_submit():
        flash("Check the action's fields (the due date is YYYY-MM-DD).", "error")
        return target
    meetings.update_action(action, status=form.status.data, note=form.note.data or "", due_date=form.due_date.data,
                           owner_id=form.owner_id.data, actor_id=current_user.id)
    db.session.commit()
    flash(f"Action “{action.title}” is {meetings.ACTION_STATUSES[action.status].lower()}.", "success")
    return target
