"""The goal-values JSON API, for BI and CRM systems, authenticated with an API token (``Authorization: Bearer``).

    GET  /api/governance/goals                 the goals: key, title, metric, unit, baseline, target, deadline,
                                               direction, latest value and status
    POST /api/governance/goals/<key>/values    {"values": [{"date": "2026-03-31", "value": 41.5, "note": "..."}]}
                                               (or one {"date": ..., "value": ...}); a value for a day already
                                               recorded replaces it; all or nothing

Errors are JSON ``{"error": "..."}`` with 400 (bad input), 401 (no or bad token), 403 (scope), 404 (no such goal).
"""
from __future__ import annotations

import math
from datetime import date

from flask import Blueprint, current_app, g, jsonify, request

from governance import services_goals as goals
from governance import services_tokens as tokens
from governance.services_readmodel import bring_up_to_date
from lms.errors import DomainError
from lms.extensions import db
from lms.permissions import requires_api_token

bp = Blueprint("governance_api", __name__, url_prefix="/api/governance")


@bp.record_once
def _install(state) -> None:
    from lms.extensions import csrf
    from lms.permissions import TOKEN_AUTHENTICATOR

    state.app.extensions[TOKEN_AUTHENTICATOR] = tokens.authenticate
    csrf.exempt(bp)


@bp.before_request
def _browser_posts_need_csrf() -> None:
    """Without a token only a browser can be calling with a session: treat it like any form post (CSRF check)."""
    from lms.extensions import csrf

    if (request.method not in ("GET", "HEAD", "OPTIONS") and "Authorization" not in request.headers
            and request.cookies.get(current_app.config.get("SESSION_COOKIE_NAME", "session"))
            and current_app.config.get("WTF_CSRF_ENABLED", True)):
        csrf.protect()


def _goal_json(goal, status) -> dict:
    return {"key": goal.key, "title": goal.title, "metric": goal.metric, "unit": goal.unit,
            "baseline": goal.baseline, "baseline_on": goal.baseline_on.isoformat(), "target": goal.target,
            "deadline": goal.deadline.isoformat(), "direction": goal.direction,
            "owner": goal.owner.name if goal.owner else None,
            "latest": {"date": status.latest_on.isoformat(), "value": status.latest} if status.latest_on else None,
            "status": status.status, "reasons": list(status.reasons)}


@bp.route("/goals")
@requires_api_token("goals")
def goals_list():
    bring_up_to_date()
    active = goals.active_goals()
    found = goals.statuses(active)
    tokens.touch(g.api_token)
    db.session.commit()
    return jsonify(goals=[_goal_json(goal, found[goal.id]) for goal in active], rule=goals.RULE)


def _parse(body) -> list[goals.ValueInfo]:
    if isinstance(body, dict) and "values" in body:
        body = body["values"]
    elif isinstance(body, dict):
        body = [body]
    if not isinstance(body, list) or not body:
        raise DomainError('Send {"values": [{"date": "YYYY-MM-DD", "value": 12.5}]}.')
    if len(body) > 10_000:
        raise DomainError("At most 10,000 values per request.")
    values = []
    for n, item in enumerate(body, start=1):
        where = f"values[{n - 1}]"
        if not isinstance(item, dict):
            raise DomainError(f"{where} must be an object with date and value.")
        try:
            measured_on = date.fromisoformat(str(item.get("date", "")))
        except ValueError:
            raise DomainError(f"{where}.date must be a date, YYYY-MM-DD.") from None
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise DomainError(f"{where}.value must be a number.")
        note = item.get("note", "")
        if not isinstance(note, str):
            raise DomainError(f"{where}.note must be text.")
        values.append(goals.ValueInfo(measured_on, float(value), note))
    return values


@bp.route("/goals/<key>/values", methods=["POST"])
@requires_api_token("goals")
def goal_values(key: str):
    body = request.get_json(silent=True)
    if body is None:
        raise DomainError("The body must be JSON (Content-Type: application/json).")
    goal = goals.goal_by_key(key)
    count = goals.record_values(goal, _parse(body), source="api", token_id=g.api_token.id)
    tokens.touch(g.api_token)
    db.session.commit()
    bring_up_to_date()
    status = goals.goal_status(goal)
    return jsonify(goal=goal.key, recorded=count, status=status.status, reasons=list(status.reasons))
