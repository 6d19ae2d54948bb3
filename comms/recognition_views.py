"""The recognition wall (every signed-in person) and writing and deleting kudos (program office, managers)."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug import Response
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from comms import recognition
from lms.admin.forms import optional_int
from lms.errors import DomainError
from lms.extensions import db
from lms.permissions import Permission, login_required, requires_any

bp = Blueprint("recognition", __name__, url_prefix="/comms/recognition", template_folder="templates",
               static_folder="static")
PER_PAGE = 20


class KudosForm(FlaskForm):
    # A text field, not a drop-down of everyone (100,000 people in a big organisation): a name or an email, with
    # suggestions from people_search as it is typed (recognition.js).
    person = StringField("About a person", validators=[Optional(), Length(max=400)],
                         description="Type a few letters of their name or email and choose from the suggestions.",
                         render_kw={"list": "kudos-people", "autocomplete": "off"})
    team = SelectField("… or about a team", coerce=optional_int)
    text = TextAreaField("Kudos", validators=[DataRequired(message="Write a few words of recognition."),
                                              Length(max=recognition.MAX_TEXT)],
                         description="What they did well, in a sentence or two (plain text, at most 1,000 "
                                     "characters). It is shown on the recognition wall to everyone.")
    submit = SubmitField("Post kudos")


@bp.route("/")
@login_required
def wall() -> str:
    page = db.paginate(recognition.wall_query(), page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                       error_out=False)
    entries = recognition.items(page.items)
    return render_template("comms/recognition_wall.html", page=page, entries=entries,
                           can_write=recognition.can_write(current_user),
                           can_delete={e.id for e in entries if recognition.can_delete(current_user, e)})


@bp.route("/new", methods=["GET", "POST"])
@requires_any(Permission.PROGRAM_OFFICE, Permission.MANAGER)
def write():
    form = KudosForm()
    form.person.render_kw = {**form.person.render_kw, "data-search-url": url_for("recognition.people_search")}
    form.team.choices = [("", "—")] + [(mid, f"{name}'s team") for mid, name in recognition.teams_for(current_user)]
    if request.method == "GET":
        form.person.data = recognition.person_label(current_user, request.args.get("person_id", type=int))
        form.text.data = (request.args.get("text") or "")[:recognition.MAX_TEXT]
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            person_id = recognition.find_person(current_user, form.person.data)
            recognition.write(current_user, text=form.text.data, person_id=person_id,
                              team_manager_id=form.team.data)
        except DomainError as error:
            db.session.rollback()
            target = {"person": form.person, "team": form.team, "text": form.text}.get(error.field or "")
            (target.errors if target is not None else form.form_errors).append(error.message)
            if error.status_code == 403:
                status = 403
        else:
            db.session.commit()
            flash("Your kudos is on the recognition wall.", "success")
            return redirect(url_for("recognition.wall"))
    return render_template("comms/recognition_write.html", form=form), status


@bp.route("/people.json")
@requires_any(Permission.PROGRAM_OFFICE, Permission.MANAGER)
def people_search() -> Response:
    """The kudos form's suggestions: up to ten people the signed-in writer may write about (anyone for the program
    office, their reporting line for a manager) whose name or email contains ``q``."""
    found = recognition.search_people(current_user, request.args.get("q", ""))
    return jsonify(people=[{"id": pid, "name": name, "email": email, "label": recognition.label(name, email)}
                           for pid, name, email in found])


@bp.route("/<int:kudos_id>/delete", methods=["POST"])
@requires_any(Permission.PROGRAM_OFFICE, Permission.MANAGER)
def delete(kudos_id: int) -> Response:
    recognition.delete(current_user, kudos_id)
    db.session.commit()
    flash("The kudos is deleted.", "success")
    return redirect(url_for("recognition.wall"))
