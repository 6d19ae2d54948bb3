"""Audience pages: saved segments, the builder with its live count and sample (JSON for the page's script, and the
same count rendered by the server when the "Count" button is used without JavaScript)."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from comms import audiences
from comms.audience_form import describe, fill_choices, load, rules_from
from comms.forms import AudienceForm
from comms.models import Audience, Campaign
from comms.views import bp, office
from lms.admin.forms import ConfirmForm
from lms.errors import DomainError, NotFound
from lms.extensions import db


def _get(audience_id: int) -> Audience:
    audience = db.session.get(Audience, audience_id)
    if audience is None:
        raise NotFound("There is no such audience.")
    return audience


@bp.route("/audiences")
@office
def audience_list() -> str:
    rows = list(db.session.scalars(select(Audience).order_by(Audience.name)))
    sizes = {}
    for audience in rows:
        try:
            sizes[audience.id] = audiences.estimate(audience.rules, sample=0, audience_id=audience.id).reachable
        except DomainError:
            sizes[audience.id] = None
    return render_template("comms/audiences.html", audiences=rows, sizes=sizes, describe=describe)


@bp.route("/audiences/new", methods=["GET", "POST"])
@office
def new_audience():
    return _builder(None)


@bp.route("/audiences/<int:audience_id>", methods=["GET", "POST"])
@office
def audience(audience_id: int):
    return _builder(_get(audience_id))


def _builder(audience: Audience | None):
    form = AudienceForm()
    fill_choices(form, exclude_audience=audience.id if audience else None)
    estimate = problem = None
    status = 200
    if request.method == "GET" and audience is not None:
        load(form, audience)
    if request.method == "POST":
        if form.validate_on_submit():
            rules = rules_from(form)
            try:
                if request.form.get("action") == "count":
                    estimate = audiences.estimate(rules, audience_id=audience.id if audience else None)
                else:
                    saved = audiences.save(form.name.data or "", rules, audience=audience, actor_id=current_user.id)
                    db.session.commit()
                    flash(f"Audience {saved.name!r} saved.", "success")
                    return redirect(url_for("comms.audience", audience_id=saved.id))
            except DomainError as error:
                db.session.rollback()
                problem, status = error.message, 400
        else:
            problem, status = "Check the highlighted fields.", 400
    elif audience is not None:
        try:
            estimate = audiences.estimate(audience.rules, audience_id=audience.id)
        except DomainError as error:
            problem = error.message
    return render_template("comms/audience.html", form=form, audience=audience, estimate=estimate,
                           problem=problem, confirm=ConfirmForm()), status


@bp.route("/audiences/estimate.json", methods=["POST"])
@office
def audience_estimate():
    """The count and a sample for the builder's current state (posted as the form)."""
    form = AudienceForm()
    fill_choices(form)
    if not form.validate_on_submit():
        return jsonify(error="Check the highlighted fields.", fields=form.errors), 400
    try:
        found = audiences.estimate(rules_from(form), audience_id=request.args.get("audience", type=int))
    except DomainError as error:
        return jsonify(error=error.message), 400
    return jsonify(matching=found.matching, reachable=found.reachable,
                   sample=[{"name": name, "email": email, "department": dept} for _, name, email, dept in found.sample])


@bp.route("/audiences/<int:audience_id>/delete", methods=["POST"])
@office
def delete_audience(audience_id: int):
    audience = _get(audience_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("comms.audience", audience_id=audience_id))
    if audiences.used_by(audience):
        flash("Another audience includes this one; change that one first.", "error")
        return redirect(url_for("comms.audience", audience_id=audience_id))
    waiting = db.session.scalar(select(Campaign.id).where(Campaign.audience_id == audience.id,
                                                          Campaign.status.in_(("draft", "scheduled"))).limit(1))
    if waiting:
        flash("A draft or scheduled campaign uses this audience; choose another audience there first.", "error")
        return redirect(url_for("comms.audience", audience_id=audience_id))
    db.session.delete(audience)
    db.session.commit()
    flash("Audience deleted.", "success")
    return redirect(url_for("comms.audience_list"))
