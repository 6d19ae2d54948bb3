"""Admin > People: invite people by mail (one by one from their page, or in bulk from the list); resending is
inviting again."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug import Response

from lms.admin.views import bp
from lms.auth import invitations
from lms.extensions import db
from lms.people import services as people
from lms.permissions import Permission, requires

MAX_BULK = 500


@bp.route("/people/<int:person_id>/invite", methods=["POST"])
@requires(Permission.ADMIN)
def person_invite(person_id: int) -> Response:
    """Invite this person, or invite them again (the older link stops working)."""
    person = people.get_person(person_id)
    result = invitations.invite([person.id], actor_id=current_user.id)
    db.session.commit()
    if result.sent:
        flash(f"An invitation is on its way to {person.email}.", "success")
    else:
        flash(f"{person.name} was not invited: {result.skipped[0][1]}.", "error")
    return redirect(url_for("admin.person_edit", person_id=person.id))


@bp.route("/people/invite", methods=["POST"])
@requires(Permission.ADMIN)
def people_invite() -> Response:
    """Invite the people ticked on the people list."""
    ids = []
    for raw in request.form.getlist("person_id")[:MAX_BULK + 1]:
        if raw.isdigit():
            ids.append(int(raw))
    back = request.form.get("back", "")
    back = back if back.startswith("/admin/people") and not back.startswith("//") else url_for("admin.people_list")
    if not ids:
        flash("Tick the people to invite first.", "error")
        return redirect(back)
    if len(ids) > MAX_BULK:
        flash(f"Invite at most {MAX_BULK} people at once.", "error")
        return redirect(back)
    result = invitations.invite(ids, actor_id=current_user.id)
    db.session.commit()
    flash(result.summary() + ".", "success" if result.sent else "error")
    return redirect(back)
