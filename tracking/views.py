from __future__ import annotations

from flask import Blueprint, render_template

from lms.permissions import Permission, requires

bp = Blueprint("tracking", __name__, url_prefix="/tracking", template_folder="templates")


@bp.route("/")
@requires(Permission.ADMIN)
def records() -> str:
    return render_template("tracking/records.html")
