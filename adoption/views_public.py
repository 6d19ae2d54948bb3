"""Public pages, reached without signing in: each badge credential's verification page and JSON, its downloads
(the VC-JWT and the baked PNG), the issuer profile with its public keys, and the pulse survey's signed answer
links."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, jsonify, render_template, url_for
from sqlalchemy import select

from adoption import badges, images, surveys
from adoption.models import Award, BadgeRule
from lms.admin.forms import ConfirmForm
from lms.errors import DomainError
from lms.extensions import db
from lms.permissions import public

bp = Blueprint("adoption_public", __name__, template_folder="templates")


def _award(uid: str) -> Award:
    award = db.session.scalar(select(Award).where(Award.uid == uid)) if len(uid) == 36 else None
    if award is None:
        abort(404)
    return award


@bp.route("/badges/issuer")
@public
def issuer():
    profile = badges.issuer_profile()
    db.session.commit()
    return render_template("adoption/issuer.html", profile=profile,
                           keys=json.dumps(profile["publicKey"], indent=2))


@bp.route("/badges/issuer.json")
@public
def issuer_json():
    profile = badges.issuer_profile()
    db.session.commit()
    return jsonify(profile)


@bp.route("/badges/issuer/jwks.json")
@public
def issuer_jwks():
    return jsonify({"keys": badges.published_keys()})


def _status(award: Award) -> dict:
    result = badges.verify(award.jwt)
    return {"id": badges.credential_url(award.uid), "status": result.status, "verified": result.valid,
            "revoked": result.revoked, "message": result.reason,
            "revokedAt": award.revoked_at.isoformat() if award.revoked_at else None,
            "issuer": badges.issuer_id(), "credential": badges.credential_of(award), "jwt": award.jwt}


@bp.route("/badges/credentials/<uid>")
@public
def credential_page(uid: str):
    award = _award(uid)
    result = badges.verify(award.jwt)
    return render_template("adoption/verify.html", award=award, result=result,
                           credential=badges.credential_of(award))


@bp.route("/badges/credentials/<uid>.json")
@public
def credential_json(uid: str):
    return jsonify(_status(_award(uid)))


@bp.route("/badges/credentials/<uid>/status")
@public
def credential_status(uid: str):
    status = _status(_award(uid))
    return jsonify({k: status[k] for k in ("id", "status", "verified", "revoked", "message", "revokedAt")})


@bp.route("/badges/credentials/<uid>/credential.jwt")
@public
def credential_download(uid: str):
    award = _award(uid)
    return Response(award.jwt, mimetype="application/vc+jwt", headers={
        "Content-Disposition": f"attachment; filename=badge-{award.uid}.jwt"})


@bp.route("/badges/credentials/<uid>/image.png")
@public
def credential_image(uid: str):
    award = _award(uid)
    png = images.badge_png(award.rule.name, award.rule.colour, award.jwt)
    return Response(png, mimetype="image/png", headers={
        "Content-Disposition": f"inline; filename=badge-{award.uid}.png"})


@bp.route("/badges/achievements/<int:rule_id>")
@public
def achievement(rule_id: int):
    rule = db.session.get(BadgeRule, rule_id) or abort(404)
    from adoption.incentives import rule_text

    return jsonify({"id": f"{badges.base_url()}/badges/achievements/{rule.id}", "type": ["Achievement"],
                    "name": rule.name, "description": rule.description or rule_text(rule),
                    "criteria": {"narrative": rule_text(rule)}})


@bp.route("/badges/achievements/<int:rule_id>/image.png")
@public
def achievement_image(rule_id: int):
    rule = db.session.get(BadgeRule, rule_id) or abort(404)
    return Response(images.badge_png(rule.name, rule.colour), mimetype="image/png")


@bp.route("/adoption/pulse/<token>", methods=["GET", "POST"])
@public
def pulse_answer(token: str):
    """A pulse survey's answer link: it shows the answer and records it when confirmed (a mail scanner that
    follows every link must not answer for the person)."""
    try:
        survey_id, person_id, answer = surveys.read_token(token)
    except DomainError as error:
        return render_template("adoption/pulse_answer.html", problem=error.message, form=None), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        surveys.record_answer(survey_id, person_id, answer)
        db.session.commit()
        flash("Thank you: your answer is recorded.", "success")
        return render_template("adoption/pulse_answer.html", answer=answer, done=True, form=None)
    return render_template("adoption/pulse_answer.html", answer=answer, form=form,
                           action=url_for("adoption_public.pulse_answer", token=token))
