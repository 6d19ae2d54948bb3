"""The governance blueprint: shared page context (the board's vacancy warnings, the section's navigation); the
pages themselves are in ``views_*`` modules."""
from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from governance import access
from governance.charts import data_uri  # noqa: F401  (the views use it from here)
from lms.permissions import allowed

bp = Blueprint("governance", __name__, url_prefix="/governance", template_folder="templates",
               static_folder="static", static_url_path="/static")


@bp.context_processor
def _governance_context() -> dict:
    from governance.services_board import vacancies

    return {
        "board_vacancies": vacancies() if current_user.is_authenticated else [],
        "gov_can": {
            "board": allowed(access.SEE_BOARD, current_user),
            "seats": allowed(access.SEE_SEATS, current_user),
            "report": allowed(access.SEE_REPORT, current_user),
            "edit": current_user.is_authenticated and access.can_edit(current_user),
            "edit_seats": current_user.is_authenticated and any(current_user.can(p) for p in access.EDIT_SEATS),
            "admin": current_user.is_authenticated and current_user.can(access.Permission.ADMIN),
        },
    }




from governance import views_board, views_goals, views_meetings, views_report, views_tokens  # noqa: E402,F401
