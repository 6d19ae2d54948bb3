"""Automatic messages' settings (program office): switch each kind on or off, edit its templates, preview it."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug import Response
from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from comms import automatic, automatic_settings
from comms.automatic_settings import EXTRAS, KINDS, MAX_DAYS
from comms.compose import PLACEHOLDERS
from lms.admin.forms import ConfirmForm
from lms.errors import DomainError
from lms.extensions import db
from lms.permissions import Permission, requires

bp = Blueprint("automatic", __name__, url_prefix="/comms/automatic", template_folder="templates")
MAIL_CSP = "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'; frame-ancestors 'self'"


class SettingForm(FlaskForm):
    enabled = BooleanField("Switched on", description="Off: nothing of this kind is sent (and nothing waits for it).")
    days = IntegerField("Days before the due date", default=3,
                        validators=[NumberRange(min=1, max=MAX_DAYS, message=f"Between 1 and {MAX_DAYS}.")])
    subject = StringField("Subject", validators=[DataRequired(), Length(max=300)])
    body = TextAreaField("Body (Markdown)", validators=[DataRequired(), Length(max=20000)], render_kw={"rows": 12})
    submit = SubmitField("Save")


@bp.route("/")
@requires(Permission.PROGRAM_OFFICE)
def settings() -> str:
    return render_template("comms/automatic.html", settings=automatic_settings.settings(),
                           last_run=automatic.last_run(), switch_form=ConfirmForm())


@bp.route("/<kind>/switch", methods=["POST"])
@requires(Permission.PROGRAM_OFFICE)
def switch(kind: str) -> Response:
    if kind not in KINDS:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    enabled = request.form.get("enabled") == "1"
    automatic_settings.switch(kind, enabled, actor_id=current_user.id)
    db.session.commit()
    flash(f"{KINDS[kind].label}: switched {'on' if enabled else 'off'}.", "success")
    return redirect(url_for("automatic.settings"))


@bp.route("/<kind>", methods=["GET", "POST"])
@requires(Permission.PROGRAM_OFFICE)
def edit(kind: str):
    if kind not in KINDS:
        abort(404)
    current = automatic_settings.settings()[kind]
    form = SettingForm(data={"enabled": current.enabled, "days": current.days, "subject": current.subject,
                             "body": current.body} if request.method == "GET" else None)
    if kind != "reminder":
        del form.days
    preview = None
    if form.validate_on_submit():
        days = form.days.data if kind == "reminder" else current.days
        try:
            automatic_settings.save(kind, enabled=form.enabled.data, subject=form.subject.data,
                                    body=form.body.data, days=days, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            target = getattr(form, error.field or "", None)
            (target.errors if target is not None else form.form_errors).append(error.message)
        else:
            db.session.commit()
            flash(f"{current.label}: saved{' and switched on' if form.enabled.data else ' (switched off)'}.",
                  "success")
            return redirect(url_for("automatic.edit", kind=kind))
    if not form.errors:
        try:
            preview = automatic_settings.preview(current_user, current.subject, current.body, current.days)
        except DomainError as error:
            form.form_errors.append(error.message)
    return render_template("comms/automatic_edit.html", form=form, setting=current, preview=preview,
                           placeholders=[p for p in PLACEHOLDERS if p != "extra"], extras=EXTRAS), \
        400 if request.method == "POST" else 200


@bp.route("/<kind>/preview.html")
@requires(Permission.PROGRAM_OFFICE)
def preview_html(kind: str) -> Response:
    if kind not in KINDS:
        abort(404)
    current = automatic_settings.settings()[kind]
    rendered = automatic_settings.preview(current_user, current.subject, current.body, current.days)
    return Response(rendered.html or "", mimetype="text/html",
                    headers={"Content-Security-Policy": MAIL_CSP, "X-Frame-Options": "SAMEORIGIN"})
