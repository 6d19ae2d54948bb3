"""Program goals: specific and measurable (a metric from a baseline to a target by a deadline), values recorded
over time (form, CSV import, JSON API), the training each depends on, and the status rule."""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from governance.models import Goal, GoalCourse, GoalPath, GoalValue
from governance.services_report import GoalLink, goal_links, linked_completion
from lms.audit.services import record as audit
from lms.errors import Conflict, DomainError, NotFound
from lms.extensions import db
from lms.people.models import Department, JobRole, Person
from lms.types import utcnow

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
SOURCES = ("form", "csv", "api")

# The status rule's thresholds, and the rule in words (shown next to every goal; tests check each branch).
ON_TRACK_TRAINING = 0.8  # linked training completed at least this share for "on track"
OFF_TRACK_TRAINING = 0.5  # below this share: "off track"
OFF_TRACK_PROJECTION = 0.5  # a projection covering less than this share of the way: "off track"
RULE = (
    "On track: the trend of the recorded values (least squares over time), projected to the deadline, reaches the "
    "target, and at least 80% of the linked training is completed. Off track: the deadline passed without "
    "reaching the target, or the projection covers less than half of the way from baseline to target, or less "
    "than 50% of the linked training is completed. At risk: anything in between, or no value recorded yet. With a "
    "single value, the share of the way covered is set against the share of the time elapsed since the baseline."
)
STATUS_LABELS = {"on_track": "On track", "at_risk": "At risk", "off_track": "Off track"}


@dataclass(frozen=True)
class GoalInfo:
    key: str
    title: str
    metric: str
    baseline: float
    baseline_on: date
    target: float
    deadline: date
    direction: str = "up"
    unit: str = ""
    description: str = ""
    owner_id: int | None = None
    course_ids: tuple[int, ...] = ()
    path_ids: tuple[int, ...] = ()
    job_role_ids: tuple[int, ...] = ()
    department_ids: tuple[int, ...] = ()
    auto_metric: str | None = None  # measured automatically by this metric (see automatic_metrics())


def automatic_metrics() -> list[tuple[str, str]]:
    """The (key, label) of every automatic metric other plugins offer (lms.signals.goal_metrics_offered)."""
    from lms import signals

    offered = []
    for _receiver, answer in signals.goal_metrics_offered.send(None):
        offered += list(answer or [])
    return offered


def _check(info: GoalInfo, goal_id: int | None) -> None:
    if not KEY.match(info.key or ""):
        raise DomainError("The key is lowercase letters, digits and hyphens (it names the goal in the API).",
                          field="key")
    clash = db.session.scalar(select(Goal.id).where(Goal.key == info.key, Goal.id != (goal_id or 0)))
    if clash:
        raise Conflict(f"Another goal already has the key {info.key}.", field="key")
    if not info.title.strip() or not info.metric.strip():
        raise DomainError("A goal needs a title and the metric it is measured by.", field="metric")
    if info.direction not in ("up", "down"):
        raise DomainError("Direction is up (higher is better) or down (lower is better).", field="direction")
    for name in ("baseline", "target"):
        if not math.isfinite(getattr(info, name)):
            raise DomainError(f"The {name} must be a number.", field=name)
    if info.target == info.baseline:
        raise DomainError("The target must differ from the baseline: a goal is a change.", field="target")
    if (info.target > info.baseline) != (info.direction == "up"):
        better = "higher" if info.direction == "up" else "lower"
        raise DomainError(f"With {better} values better, the target must be {better} than the baseline.",
                          field="target")
    if info.deadline <= info.baseline_on:
        raise DomainError("The deadline must come after the baseline's date.", field="deadline")
    if info.owner_id is not None and db.session.get(Person, info.owner_id) is None:
        raise DomainError("The chosen owner does not exist.", field="owner_id")


def save_goal(info: GoalInfo, *, goal: Goal | None, actor_id: int | None) -> Goal:
    """Create or change a goal and its links (courses, paths, job roles, departments); audited."""
    _check(info, goal.id if goal else None)
    before = _snapshot(goal) if goal else None
    goal = goal or Goal()
    for name in ("key", "title", "metric", "unit", "baseline", "baseline_on", "target", "deadline", "direction",
                 "owner_id"):
        value = getattr(info, name)
        setattr(goal, name, value.strip() if isinstance(value, str) else value)
    goal.description = info.description.strip()
    goal.auto_metric = info.auto_metric or None
    goal.course_links = [GoalCourse(course_id=c) for c in sorted(set(info.course_ids))]
    goal.path_links = [GoalPath(path_id=p) for p in sorted(set(info.path_ids))]
    goal.job_roles = list(db.session.scalars(select(JobRole).where(JobRole.id.in_(info.job_role_ids)))) \
        if info.job_role_ids else []
    goal.departments = list(db.session.scalars(select(Department).where(Department.id.in_(info.department_ids)))) \
        if info.department_ids else []
    db.session.add(goal)
    db.session.flush()
    audit(actor_id, "goal.update" if before else "goal.create", goal.key, before=before, after=_snapshot(goal))
    return goal


def _snapshot(goal: Goal) -> dict:
    return {"title": goal.title, "metric": goal.metric, "unit": goal.unit, "baseline": goal.baseline,
            "baseline_on": goal.baseline_on.isoformat(), "target": goal.target,
            "deadline": goal.deadline.isoformat(), "direction": goal.direction, "owner_id": goal.owner_id,
            "courses": goal.course_ids, "paths": goal.path_ids, "job_roles": sorted(r.id for r in goal.job_roles),
            "departments": sorted(d.id for d in goal.departments)}


def set_archived(goal: Goal, archived: bool, *, actor_id: int | None) -> None:
    goal.archived = archived
    audit(actor_id, "goal.archive" if archived else "goal.restore", goal.key)


def get_goal(goal_id: int) -> Goal:
    goal = db.session.get(Goal, goal_id)
    if goal is None:
        raise NotFound("There is no such goal.")
    return goal


def goal_by_key(key: str) -> Goal:
    goal = db.session.scalar(select(Goal).where(Goal.key == key))
    if goal is None:
        raise NotFound(f"No goal has the key {key!r}.")
    return goal


def active_goals() -> list[Goal]:
    return list(db.session.scalars(select(Goal).where(Goal.archived.is_(False)).order_by(Goal.deadline, Goal.title)))


# --- values ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ValueInfo:
    measured_on: date
    value: float
    note: str = ""


def _check_value(goal: Goal, info: ValueInfo, today: date) -> str | None:
    if not math.isfinite(info.value):
        return "the value must be a number"
    if info.measured_on > today:
        return f"{info.measured_on.isoformat()} is in the future"
    if info.measured_on < goal.baseline_on:
        return f"{info.measured_on.isoformat()} is before the baseline's date ({goal.baseline_on.isoformat()})"
    if len(info.note) > 300:
        return "the note is longer than 300 characters"
    return None


def record_values(goal: Goal, values: list[ValueInfo], *, source: str, actor_id: int | None = None,
                  token_id: int | None = None) -> int:
    """Record measured values (a later value for the same day replaces the earlier one); every value is checked
    before any is written, and each is audited. Returns how many were recorded."""
    today = utcnow().date()
    problems = [f"value {n}: {problem}" if len(values) > 1 else problem[0].upper() + problem[1:]
                for n, info in enumerate(values, start=1) if (problem := _check_value(goal, info, today))]
    if problems:
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise DomainError("; ".join(problems[:20]) + more, field="value")
    existing = {v.measured_on: v for v in goal.values}
    for info in values:
        row = existing.get(info.measured_on)
        before = row.value if row is not None else None
        if row is None:
            row = GoalValue(goal=goal, measured_on=info.measured_on)
            db.session.add(row)
            existing[info.measured_on] = row
        row.value, row.note, row.source = float(info.value), info.note.strip(), source
        row.recorded_by_id, row.token_id, row.recorded_at = actor_id, token_id, utcnow()
        audit(actor_id, "goal_value.record", goal.key, on=info.measured_on.isoformat(), value=float(info.value),
              before=before, source=source, **({"token_id": token_id} if token_id else {}))
    db.session.flush()
    return len(values)


def delete_value(goal: Goal, value_id: int, *, actor_id: int | None) -> None:
    row = next((v for v in goal.values if v.id == value_id), None)
    if row is None:
        raise NotFound("There is no such value.")
    audit(actor_id, "goal_value.delete", goal.key, on=row.measured_on.isoformat(), value=row.value)
    goal.values.remove(row)
    db.session.delete(row)
    db.session.flush()


@dataclass(frozen=True)
class CsvProblem:
    line: int
    message: str


class CsvRejected(DomainError):
    """A CSV of goal values with problems: nothing was written; ``problems`` lists each with its line."""

    def __init__(self, problems: list[CsvProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file; nothing was recorded.")
        self.problems = problems


def import_values_csv(data: bytes, *, goal: Goal | None = None, actor_id: int | None = None) -> int:
    """Import ``goal,date,value[,note]`` rows (without a ``goal`` column when ``goal`` is given): every line is
    checked first; on any problem nothing is written and :class:`CsvRejected` lists them by line number."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvRejected([CsvProblem(1, "the file is not UTF-8 text")]) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    problems: list[CsvProblem] = []
    needed = ["date", "value"] + ([] if goal else ["goal"])
    missing = [name for name in needed if name not in header]
    if missing:
        raise CsvRejected([CsvProblem(1, f"the header must name the columns {', '.join(needed)} "
                                         f"(missing: {', '.join(missing)})")])
    unknown = [h for h in header if h not in ("goal", "date", "value", "note")]
    if unknown:
        problems.append(CsvProblem(1, f"unknown column(s): {', '.join(unknown)}"))
    goals = {g.key: g for g in db.session.scalars(select(Goal))} if goal is None else {}
    today = utcnow().date()
    planned: dict[int, tuple[Goal, list[ValueInfo]]] = {}
    seen: dict[tuple[int, date], int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            problems.append(CsvProblem(line, f"{len(cells)} cells, but the header names {len(header)} columns"))
            continue
        row = dict(zip(header, [c.strip() for c in cells], strict=False))
        target = goal
        if goal is None:
            target = goals.get(row.get("goal", ""))
            if target is None:
                problems.append(CsvProblem(line, f"no goal has the key {row.get('goal', '')!r}"))
                continue
        try:
            measured_on = date.fromisoformat(row.get("date", ""))
        except ValueError:
            problems.append(CsvProblem(line, f"date {row.get('date', '')!r} is not YYYY-MM-DD"))
            continue
        try:
            value = float(row.get("value", "").replace(",", "")) if row.get("value") else math.nan
        except ValueError:
            value = math.nan
        info = ValueInfo(measured_on, value, row.get("note", ""))
        problem = _check_value(target, info, today)
        if problem:
            problems.append(CsvProblem(line, problem))
            continue
        if (target.id, measured_on) in seen:
            problems.append(CsvProblem(line, f"{target.key} on {measured_on.isoformat()} is already on line "
                                             f"{seen[(target.id, measured_on)]}"))
            continue
        seen[(target.id, measured_on)] = line
        planned.setdefault(target.id, (target, []))[1].append(info)
    if problems:
        raise CsvRejected(problems)
    if not planned:
        raise CsvRejected([CsvProblem(2, "the file has no values")])
    return sum(record_values(target, infos, source="csv", actor_id=actor_id) for target, infos in planned.values())


# --- status -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GoalStatus:
    status: str  # on_track | at_risk | off_track
    reasons: tuple[str, ...]
    latest: float | None
    latest_on: date | None
    projected: float | None  # the trend's value at the deadline
    projected_share: float | None  # of the way from baseline to target the projection covers (1 = target)
    covered_share: float | None  # of the way the latest value covers
    training_completed: int
    training_required: int

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def training_rate(self) -> float | None:
        return self.training_completed / self.training_required if self.training_required else None


def _share(goal: Goal, value: float) -> float:
    return (value - goal.baseline) / (goal.target - goal.baseline)


def _fit(points: list[tuple[date, float]]) -> tuple[float, float]:
    """Least squares line (intercept at day 0, slope per day) through (day ordinal, value) points."""
    xs = [d.toordinal() for d, _ in points]
    ys = [v for _, v in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0
    return mean_y - slope * mean_x, slope


def goal_status(goal: Goal, *, on: date | None = None, training: tuple[int, int] | None = None,
                link: GoalLink | None = None) -> GoalStatus:
    """The goal's status by :data:`RULE`. ``training``: (completed, required) of its linked training, read from the
    report's read model unless given."""
    on = on or utcnow().date()
    if training is None:
        if link is None:
            links = goal_links([goal])
            link = links[0] if links else None
        training = linked_completion(link) if link is not None else (0, 0)
    completed, required = training
    rate = completed / required if required else None
    points = [(v.measured_on, v.value) for v in sorted(goal.values, key=lambda v: v.measured_on)]
    latest_on, latest = points[-1] if points else (None, None)
    reasons: list[str] = []
    projected = projected_share = covered = None
    better = 1 if goal.direction == "up" else -1
    if points:
        covered = _share(goal, latest)
    if on > goal.deadline:
        reached = latest is not None and better * (latest - goal.target) >= 0
        if reached:
            return GoalStatus("on_track", ("The target was reached by the deadline.",), latest, latest_on, latest,
                              covered, covered, completed, required)
        return GoalStatus("off_track", ("The deadline passed without reaching the target.",), latest, latest_on,
                          latest, covered, covered, completed, required)
    if len(points) >= 2:
        intercept, slope = _fit(points)
        projected = intercept + slope * goal.deadline.toordinal()
        projected_share = _share(goal, projected)
        reasons.append(f"The trend of {len(points)} values projects {projected:.4g} at the deadline "
                       f"({projected_share:.0%} of the way to the target).")
    elif len(points) == 1:
        elapsed = (on - goal.baseline_on).days / (goal.deadline - goal.baseline_on).days
        # The straight line from the baseline through the one value, at the deadline: covered / elapsed.
        projected_share = covered / elapsed if elapsed > 0 else (1.0 if covered >= 0 else 0.0)
        projected = goal.baseline + projected_share * (goal.target - goal.baseline)
        reasons.append(f"One value: {covered:.0%} of the way covered in {max(elapsed, 0):.0%} of the time.")
    else:
        reasons.append("No value recorded yet.")
    if rate is None:
        reasons.append("No linked training is required of anyone.")
    else:
        reasons.append(f"Linked training {rate:.0%} completed ({completed} of {required}).")
    if (projected_share is not None and projected_share < OFF_TRACK_PROJECTION) or (
            rate is not None and rate < OFF_TRACK_TRAINING):
        status = "off_track"
    elif projected_share is not None and projected_share >= 1 and (rate is None or rate >= ON_TRACK_TRAINING):
        status = "on_track"
    else:
        status = "at_risk"
    return GoalStatus(status, tuple(reasons), latest, latest_on, projected, projected_share, covered, completed,
                      required)


def statuses(goals: list[Goal], *, on: date | None = None) -> dict[int, GoalStatus]:
    """Each goal's status (the read model must be up to date)."""
    links = {link.goal_id: link for link in goal_links(goals)}
    return {goal.id: goal_status(goal, on=on, link=links.get(goal.id),
                                 training=None if goal.id in links else (0, 0)) for goal in goals}
