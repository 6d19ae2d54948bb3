"""Pages a person reaches from a mail without signing in, through signed links (:mod:`comms.links`): the open
pixel, tracked links, one-click unsubscribe (RFC 8058) and the mail preferences page. A link that was not made by
Rapport, or was changed, is refused with 404 and never redirects anywhere."""
from __future__ import annotations

import base64

from flask import Response, abort, redirect, render_template, request, url_for

from comms import engagement, links, preferences
from comms.forms import PreferencesForm
from comms.models import CATEGORY_LABELS, LEAVABLE
from comms.views import bp
from lms.extensions import csrf, db
from lms.people.models import Person
from lms.permissions import public

_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _refuse():
    return render_template("comms/bad_link.html"), 404


@bp.route("/o/<token>.gif")
@public
def pixel(token: str):
    try:
        mail_id = links.read_open_token(token)
    except links.BadLink:
        abort(404)
    engagement.record(mail_id, "open")
    db.session.commit()
    return Response(_PIXEL, mimetype="image/gif", headers={"Cache-Control": "no-store, private"})


@bp.route("/l/<token>")
@public
def follow(token: str):
    try:
        mail_id, url = links.read_click_token(token)
    except links.BadLink:
        return _refuse()
    engagement.record(mail_id, "click", url)
    db.session.commit()
    return redirect(url, 302)


def _person(token: str) -> tuple[links.Preferences, Person] | None:
    try:
        found = links.read_preferences_token(token)
    except links.BadLink:
        return None
    person = db.session.get(Person, found.person_id)
    return (found, person) if person is not None else None


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str):
    """GET asks (so that a mail scanner following links unsubscribes nobody); POST leaves the category. Mail
    clients post ``List-Unsubscribe=One-Click`` here (RFC 8058) without a session, so the signed token, not a
    CSRF token, is what makes the request trustworthy."""
    found = _person(token)
    if found is None or found[0].category not in LEAVABLE:
        return _refuse()
    target, person = found
    label = CATEGORY_LABELS[target.category].lower()
    if request.method == "POST":
        preferences.leave(person.id, target.category, via_mail_id=target.mail_id)
        db.session.commit()
        if request.form.get("List-Unsubscribe") == "One-Click":
            return Response(f"Unsubscribed from {label}.\n", mimetype="text/plain")
        return render_template("comms/unsubscribed.html", label=label, person=person,
                               preferences=url_for("comms.mail_preferences", token=links.preferences_token(
                                   person.id, target.mail_id, None)))
    return render_template("comms/unsubscribe.html", label=label, person=person, token=token)


csrf.exempt(unsubscribe)


@bp.route("/preferences/<token>", methods=["GET", "POST"])
@public
def mail_preferences(token: str):
    found = _person(token)
    if found is None:
        return _refuse()
    target, person = found
    left = preferences.left(person.id)
    form = PreferencesForm(data={c: c not in left for c in LEAVABLE} if request.method == "GET" else None)
    saved = False
    if form.validate_on_submit():
        preferences.set_wanted(person.id, {c for c in LEAVABLE if getattr(form, c).data}, via_mail_id=target.mail_id)
        db.session.commit()
        saved = True
    return render_template("comms/preferences.html", form=form, person=person, saved=saved,
                           fixed=[CATEGORY_LABELS[c] for c in ("announcement", "reminder")])
