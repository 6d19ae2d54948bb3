"""The learner's pages: My learning, the lesson player, the quiz player, certificates."""
from __future__ import annotations

from flask import render_template

from courses.views import bp
from lms.permissions import Permission, requires


@bp.route("/")
@requires(Permission.LEARNER)
def learning() -> str:
    return render_template("courses/learner/my_learning.html")
