from __future__ import annotations

from flask import Blueprint, render_template

from lms.permissions import Permission, requires

bp = Blueprint("comms", __name__, url_prefix="/comms", template_folder="templates")


@bp.route("/")
@requires(Permission.PROGRAM_OFFICE)
def campaigns() -> str:
    return render_template("comms/campaigns.html")
