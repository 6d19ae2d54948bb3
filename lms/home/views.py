"""The start page and a manager's team page."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from lms.extensions import db
from lms.people import services as people
from lms.permissions import Permission, login_required, public, requires

bp = Blueprint("home", __name__, template_folder="templates")


@bp.route("/")
@login_required
def index() -> str:
    return render_template("home/index.html", panels=_panels())


def _panels() -> list:
    """What the enabled plugins' home panels have to show this person (see ``Plugin.home_panels``)."""
    shown = []
    for name, panel in current_app.extensions["lms"].home_panels:
        try:
            markup = panel(current_user)
        except Exception:  # one plugin's broken panel must not take the home page down
            db.session.rollback()
            current_app.logger.exception("home panel of plugin %s failed", name)
            continue
        if markup:
            shown.append(markup)
    return shown


@bp.route("/team")
@requires(Permission.MANAGER)
def team() -> str:
    page = db.paginate(people.team_query(current_user.id, include_indirect=request.args.get("all") == "1"),
                       per_page=50, error_out=False)
    return render_template("home/team.html", page=page, include_indirect=request.args.get("all") == "1")


@bp.route("/healthz")
@public
def health() -> tuple[dict, int]:
    return {"status": "ok"}, 200
