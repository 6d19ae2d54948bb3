from __future__ import annotations

from flask import Blueprint, render_template

from lms.permissions import Permission, requires

bp = Blueprint("governance", __name__, url_prefix="/governance", template_folder="templates")


@bp.route("/")
@requires(Permission.SPONSOR)
def board() -> str:
    return render_template("governance/board.html")
