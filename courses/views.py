from __future__ import annotations

from flask import Blueprint, render_template

from lms.permissions import Permission, requires

bp = Blueprint("courses", __name__, url_prefix="/learning", template_folder="templates")


@bp.route("/")
@requires(Permission.LEARNER)
def learning() -> str:
    return render_template("courses/learning.html")
