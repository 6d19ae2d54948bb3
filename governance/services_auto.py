"""Goals measured automatically: a goal whose ``auto_metric`` names a metric another plugin offers (through
``lms.signals.goal_metrics_offered``) gets that metric's value recorded once a day by the worker, asked for with
``lms.signals.goal_metric_measured``; governance never imports the plugin that answers. The value's source is the
answering plugin's name (the metric key's prefix, "adoption" for "adoption.active_weekly")."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from governance.models import Goal, GoalValue
from governance.services_goals import ValueInfo, record_values
from lms import signals
from lms.extensions import db
from lms.signals import MetricRequest
from lms.types import utcnow


def measure(goal: Goal, on: date) -> float | None:
    """The value of the goal's automatic metric on ``on`` (None: no plugin could say)."""
    request = MetricRequest(goal.auto_metric, tuple(r.id for r in goal.job_roles),
                            tuple(d.id for d in goal.departments), on)
    for _receiver, value in signals.goal_metric_measured.send(None, request=request):
        if value is not None:
            return float(value)
    return None


def record_today(on: date | None = None) -> int:
    """Record today's value of every active automatic goal that has none yet today; returns how many."""
    on = on or utcnow().date()
    goals = db.session.scalars(select(Goal).where(Goal.archived.is_(False), Goal.auto_metric.is_not(None)))
    recorded = 0
    for goal in goals:
        if on < goal.baseline_on or db.session.scalar(
                select(GoalValue.id).where(GoalValue.goal_id == goal.id, GoalValue.measured_on == on)):
            continue
        value = measure(goal, on)
        if value is None:
            continue
        source = goal.auto_metric.partition(".")[0][:10] or "auto"
        recorded += record_values(goal, [ValueInfo(on, value, "measured automatically")], source=source)
    return recorded


def record_due() -> str | None:
    """The worker's step: today's automatic goal values."""
    recorded = record_today()
    db.session.commit()
    return f"recorded {recorded} automatic goal value(s)" if recorded else None
