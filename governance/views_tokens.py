"""API tokens (admin): create (shown once, with a copyable curl example), list, revoke."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from governance import services_goals as goals
from governance import services_tokens as tokens_service
from governance.forms import TokenForm
from governance.views import bp
from lms.admin.forms import ConfirmForm
from lms.extensions import db
from lms.permissions import Permission, requires
from lms.types import utcnow


@bp.route("/tokens", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def tokens():
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        created = tokens_service.create_token(form.name.data, ("goals",), actor_id=current_user.id)
        db.session.commit()
        form = TokenForm(formdata=None)
    example_goal = next(iter(goals.active_goals()), None)
    return render_template("governance/tokens.html", form=form, created=created, tokens=tokens_service.tokens(),
                           confirm=ConfirmForm(), example_key=example_goal.key if example_goal else "GOAL-KEY",
                           endpoint=url_for("governance_api.goals_list", _external=True),
                           today=utcnow().date().isoformat())


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires(Permission.ADMIN)
def token_revoke(token_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token = tokens_service.revoke_token(token_id, actor_id=current_user.id)
    db.session.commit()
    flash(f"API token {token.name} is revoked: it is refused from now on.", "success")
    return redirect(url_for("governance.tokens"))
