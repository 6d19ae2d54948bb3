"""The training-gap report: requirements grouped by department, job role, rollout wave, manager or person, with
the goals each gap threatens, read from the read model (:mod:`governance.services_readmodel`) by GROUP BY queries.

Definitions (shown on the page and in the README):
- required: one (person, course) pair the person must complete (their current paths' courses and courses assigned
  to them by hand; a course two paths share counts once; self-chosen and remedial courses do not count). Only
  active people count; what is required follows the person's current role and assignments.
- completed: the course's progress projection has a completion (completed or passed); in progress: not completed,
  but started (courses says so, or there is progress on any of its lessons or quizzes); not started: the rest;
  overdue: not completed and due before today; failed assessments: quizzes of the course whose outcome is failed
  and never passed since (per person and quiz).
- completion rate: completed / required. Trend: for each of the last 12 weeks, the rate at the week's end from
  today's requirements (when each was assigned and completed); a row's change compares its rate now with its rate
  at the end of the week four weeks before this one.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.sql import ColumnElement

from courses import api as courses_api
from governance.models import RequirementPath, RequirementRow
from lms.errors import NotFound
from lms.extensions import db
from lms.people.models import Department, JobRole, Person, RolloutWave
from lms.types import utcnow

T = RequirementRow.__table__
DIMENSIONS = {"department": "Department", "job_role": "Job role", "wave": "Rollout wave", "manager": "Manager",
              "person": "Person"}
DRILL_ORDER = ("department", "job_role", "wave", "manager", "person")
_COLUMN = {"department": T.c.department_id, "job_role": T.c.job_role_id, "wave": T.c.wave_id,
           "manager": T.c.manager_id, "person": T.c.person_id}
NONE = 0  # a filter value meaning "not set" (no department, no manager...): ids start at 1
WEEKS = 12
CHANGE_WEEKS = 4  # a row's change: its rate now against its rate at the end of the week 4 weeks before this one


# --- what is asked --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GapFilter:
    """Which requirements count: any combination of organisation facts, a course and a path (``NONE``: unset)."""

    department_id: int | None = None
    job_role_id: int | None = None
    wave_id: int | None = None
    manager_id: int | None = None
    course_id: int | None = None
    path_id: int | None = None

    def dimension_value(self, dimension: str) -> int | None:
        return getattr(self, _FILTER_FIELD[dimension]) if dimension in _FILTER_FIELD else None

    def narrowed(self, dimension: str, key: int | None) -> GapFilter:
        return replace(self, **{_FILTER_FIELD[dimension]: NONE if key is None else key})

    def without(self, name: str) -> GapFilter:
        return replace(self, **{name: None})

    def args(self) -> dict[str, int]:
        return {name: value for name, value in self.__dict__.items() if value is not None}


_FILTER_FIELD = {"department": "department_id", "job_role": "job_role_id", "wave": "wave_id",
                 "manager": "manager_id"}


@dataclass(frozen=True)
class Scope:
    """Whose requirements the reader may see: everyone, or the reporting line below a manager (at any depth)."""

    manager_id: int | None = None  # None: everyone

    @property
    def everyone(self) -> bool:
        return self.manager_id is None


EVERYONE = Scope()


def next_dimension(dimension: str, gap_filter: GapFilter) -> str:
    """Where clicking a row of ``dimension`` goes: the next grouping not already narrowed, down to the people."""
    index = DRILL_ORDER.index(dimension)
    for candidate in DRILL_ORDER[index + 1:]:
        if candidate == "person" or gap_filter.dimension_value(candidate) is None:
            return candidate
    return "person"


# --- what is answered -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ThreatenedGoal:
    goal_id: int
    title: str
    owner: str
    incomplete: int  # requirements of this row in the goal's training, among its people, not completed


@dataclass(slots=True)  # thousands per report (one per manager, per person): not frozen, which costs at creation
class GapRow:
    key: int | None
    label: str
    people: int
    required: int
    completed: int
    in_progress: int
    not_started: int
    overdue: int
    failed: int
    required_then: int = 0  # at the end of the week CHANGE_WEEKS before this one
    completed_then: int = 0
    threatened: tuple[ThreatenedGoal, ...] = ()
    detail: str = ""  # for people: their job role and department

    @property
    def incomplete(self) -> int:
        return self.required - self.completed

    @property
    def rate(self) -> float | None:
        return self.completed / self.required if self.required else None

    @property
    def rate_then(self) -> float | None:
        return self.completed_then / self.required_then if self.required_then else None

    @property
    def change(self) -> float | None:
        """Points of completion rate gained since the end of the week four weeks before this one."""
        if self.rate is None or self.rate_then is None:
            return None
        return self.rate - self.rate_then


@dataclass(frozen=True)
class TrendPoint:
    week_end: date
    required: int
    completed: int

    @property
    def rate(self) -> float | None:
        return self.completed / self.required if self.required else None


@dataclass(frozen=True)
class GapReport:
    dimension: str
    gap_filter: GapFilter
    scope: Scope
    rows: list[GapRow]
    total: GapRow
    trend: list[TrendPoint]
    on: date
    goals: list[GoalLink] = field(default_factory=list)
    row_count: int = 0  # rows of the whole grouping (``rows`` may hold one page of them)

    @property
    def next_dimension(self) -> str:
        return next_dimension(self.dimension, self.gap_filter)


@dataclass(frozen=True)
class GoalLink:
    """A goal's linked training as the report tests it: courses (its own and its paths'), and the people
    concerned (job roles and/or departments; none: everyone)."""

    goal_id: int
    title: str
    owner: str
    course_ids: frozenset[int]
    job_role_ids: frozenset[int]
    department_ids: frozenset[int]

    def condition(self) -> ColumnElement[bool]:
        parts = [T.c.course_id.in_(sorted(self.course_ids))]
        if self.job_role_ids:
            parts.append(T.c.job_role_id.in_(sorted(self.job_role_ids)))
        if self.department_ids:
            parts.append(T.c.department_id.in_(sorted(self.department_ids)))
        return and_(*parts)


def goal_links(goals) -> list[GoalLink]:
    """The links of these goals (``Goal`` rows) with each path replaced by its current courses."""
    paths = courses_api.path_courses()
    found = []
    for goal in goals:
        courses = set(goal.course_ids)
        for path_id in goal.path_ids:
            courses |= set(paths.get(path_id, ()))
        if courses:
            found.append(GoalLink(goal.id, goal.title, goal.owner.name if goal.owner else "no owner",
                                  frozenset(courses), frozenset(r.id for r in goal.job_roles),
                                  frozenset(d.id for d in goal.departments)))
    return found


# --- queries ----------------------------------------------------------------------------------------------

def reporting_line(manager_id: int):
    """A Select of the ids of everyone below ``manager_id``, directly or through other managers."""
    chain = select(Person.id).where(Person.manager_id == manager_id).cte("reporting_line", recursive=True)
    chain = chain.union(select(Person.id).where(Person.manager_id == chain.c.id))
    return select(chain.c.id)


def _conditions(gap_filter: GapFilter, scope: Scope) -> list[ColumnElement[bool]]:
    conditions = []
    for dimension, name in _FILTER_FIELD.items():
        value = getattr(gap_filter, name)
        if value is not None:
            column = _COLUMN[dimension]
            conditions.append(column.is_(None) if value == NONE else column == value)
    if gap_filter.course_id is not None:
        conditions.append(T.c.course_id == gap_filter.course_id)
    if gap_filter.path_id is not None:
        link = RequirementPath.__table__
        conditions.append(select(literal(1)).where(link.c.person_id == T.c.person_id,
                                                   link.c.course_id == T.c.course_id,
                                                   link.c.path_id == gap_filter.path_id).exists())
    if not scope.everyone:
        conditions.append(T.c.person_id.in_(reporting_line(scope.manager_id)))
    return conditions


def week_ends(on: date) -> list[date]:
    """The last day of each of the last 12 weeks (weeks end on Sunday; the current week ends today)."""
    sunday = on + timedelta(days=6 - on.weekday())
    ends = [sunday - timedelta(weeks=k) for k in range(WEEKS - 1, -1, -1)]
    return [min(end, on) for end in ends]


def _filtered_by_training(gap_filter: GapFilter) -> bool:
    return gap_filter.course_id is not None or gap_filter.path_id is not None


def _measures(on: date, gap_filter: GapFilter) -> list:
    """What a row sums. Each person's rows share their department, role, wave and manager, so a group's people are
    the rows flagged ``first`` (one per person), unless a course or path filter may have left that row out."""
    then = week_ends(on)[-1 - CHANGE_WEEKS].toordinal()
    people = (func.count(func.distinct(T.c.person_id)) if _filtered_by_training(gap_filter)
              else func.coalesce(func.sum(T.c.first), 0))
    return [
        people.label("people"),
        func.count().label("required"),
        func.coalesce(func.sum(T.c.done), 0).label("completed"),
        func.coalesce(func.sum(T.c.started), 0).label("started"),
        func.sum(case((T.c.open_due_day < on.toordinal(), 1), else_=0)).label("overdue"),
        func.coalesce(func.sum(T.c.failed_count), 0).label("failed"),
        func.sum(case((T.c.assigned_day <= then, 1), else_=0)).label("required_then"),
        func.sum(case((T.c.done_day <= then, 1), else_=0)).label("completed_then"),
    ]


def _row(key, label: str, values, threats: dict[int, int], links: list[GoalLink], detail: str = "") -> GapRow:
    """A row from the measures (a Row with them in :func:`_measures`' order, after the key when there is one)."""
    threatened = [ThreatenedGoal(link.goal_id, link.title, link.owner, threats[link.goal_id])
                  for link in links if threats.get(link.goal_id)]
    if len(threatened) > 1:
        threatened.sort(key=lambda g: (-g.incomplete, g.title))
    people, required, completed, started, overdue, failed, required_then, completed_then = (
        int(v or 0) for v in tuple(values)[-8:])
    return GapRow(key, label, people, required, completed, started - completed, required - started, overdue, failed,
                  required_then, completed_then, tuple(threatened), detail)


def _threats(column, conditions: list, links: list[GoalLink]) -> dict:
    """key -> {goal id: requirements not completed in the goal's training among its people} (``column`` None: the
    total, under the key None). One query over the incomplete requirements of the goals' courses only, through the
    course index: a goal's training is a few courses of many."""
    if not links:
        return {}
    courses = sorted(set().union(*(link.course_ids for link in links)))
    counts = [func.sum(case((link.condition(), 1), else_=0)).label(f"goal_{link.goal_id}") for link in links]
    query = select(*([column] if column is not None else []), *counts).where(
        *conditions, T.c.course_id.in_(courses), T.c.done == 0)
    if column is not None:
        query = query.group_by(column)
    goal_ids = [link.goal_id for link in links]
    skip = 1 if column is not None else 0
    found: dict = {}
    for row in db.session.execute(query):  # by position: thousands of rows, no attribute lookups
        found[row[0] if skip else None] = dict(zip(goal_ids, (int(n or 0) for n in row[skip:]), strict=True))
    return found


def _labels(dimension: str, keys: list[int]) -> dict[int, tuple[str, str]]:
    """key -> (label, detail) for the keys a grouping found."""
    keys = [k for k in keys if k is not None]
    found: dict[int, tuple[str, str]] = {}
    model = {"department": Department, "job_role": JobRole, "wave": RolloutWave}.get(dimension)
    for start in range(0, len(keys), 2000):
        chunk = keys[start:start + 2000]
        if model is not None:
            found.update({row.id: (row.name, "") for row in db.session.execute(
                select(model.id, model.name).where(model.id.in_(chunk)))})
        elif dimension == "manager":
            found.update({row.id: (row.name + ("" if row.active else " (inactive)"), "") for row in db.session.execute(
                select(Person.id, Person.name, Person.active).where(Person.id.in_(chunk)))})
        else:
            for row in db.session.execute(
                    select(Person.id, Person.name, Person.active, JobRole.name.label("role"),
                           Department.name.label("department"))
                    .outerjoin(JobRole, JobRole.id == Person.job_role_id)
                    .outerjoin(Department, Department.id == Person.department_id).where(Person.id.in_(chunk))):
                detail = " · ".join(x for x in (row.role, row.department) if x)
                found[row.id] = (row.name + ("" if row.active else " (inactive)"), detail)
    return found


_NO_LABEL = {"department": "No department", "job_role": "No job role", "wave": "No wave", "manager": "No manager",
             "person": "Unknown person"}


def gap_report(dimension: str, gap_filter: GapFilter = GapFilter(), scope: Scope = EVERYONE, *,
               goals=(), on: date | None = None, page: tuple[int, int] | None = None) -> GapReport:
    """Group the requirements that ``gap_filter`` and ``scope`` allow by ``dimension``; rows sorted by their gap
    (requirements not completed), largest first. ``goals``: the ``Goal`` rows whose threats to show. ``page``:
    (offset, limit) to read only those rows, sorted by the database (for the people of a large organisation);
    ``row_count`` says how many there are. The caller brings the read model up to date first
    (:func:`governance.services_readmodel.bring_up_to_date`)."""
    if dimension not in DIMENSIONS:
        raise NotFound(f"There is no grouping called {dimension!r}.")
    on = on or utcnow().date()
    links = goal_links(goals)
    conditions = _conditions(gap_filter, scope)
    column = _COLUMN[dimension]
    measures = _measures(on, gap_filter)
    if page is None:
        grouped = db.session.execute(select(column.label("key"), *measures).where(*conditions)
                                     .group_by(column)).all()
        threats = _threats(column, conditions, links)
    else:
        gap = func.count() - func.coalesce(func.sum(T.c.done), 0)
        grouped = db.session.execute(
            select(column.label("key"), *measures).where(*conditions).group_by(column)
            .order_by(gap.desc(), func.count().desc(), column).offset(page[0]).limit(page[1])).all()
        keys = [row.key for row in grouped]
        threats = _threats(column, [*conditions, column.in_(keys)], links) if keys else {}
    labels = _labels(dimension, [row.key for row in grouped])
    rows = [_row(row.key, labels.get(row.key, (_NO_LABEL[dimension], ""))[0], row, threats.get(row.key, {}), links,
                 labels.get(row.key, ("", ""))[1]) for row in grouped]
    if page is None:
        rows.sort(key=lambda r: (-r.incomplete, -r.required, r.label.lower(), r.key or 0))
        total, row_count = _sum(rows, links), len(rows)
    else:
        total, row_count = _paged_total(column, measures, conditions, links)
    return GapReport(dimension, gap_filter, scope, rows, total, trend(gap_filter, scope, on=on), on, links,
                     row_count)


def _paged_total(column, measures: list, conditions: list, links: list[GoalLink]) -> tuple[GapRow, int]:
    """The whole grouping's total and how many groups it has (when only a page of them was read)."""
    values = db.session.execute(select(func.count(func.distinct(column)).label("groups"), *measures)
                                .where(*conditions)).one()
    everything = _threats(None, conditions, links).get(None, {})
    return _row(None, "All", values, everything, links), int(values.groups or 0)


def _sum(rows: list[GapRow], links: list[GoalLink]) -> GapRow:
    """The total of a grouping's rows (every person is in exactly one group)."""
    threats = dict.fromkeys((link.goal_id for link in links), 0)
    for row in rows:
        for threat in row.threatened:
            threats[threat.goal_id] += threat.incomplete
    threatened = tuple(ThreatenedGoal(link.goal_id, link.title, link.owner, threats[link.goal_id])
                       for link in links if threats[link.goal_id])
    return GapRow(None, "All", *(sum(getattr(r, name) for r in rows) for name in (
        "people", "required", "completed", "in_progress", "not_started", "overdue", "failed", "required_then",
        "completed_then")), tuple(sorted(threatened, key=lambda g: (-g.incomplete, g.title))))


def trend(gap_filter: GapFilter = GapFilter(), scope: Scope = EVERYONE, *, on: date | None = None
          ) -> list[TrendPoint]:
    """The completion rate at the end of each of the last 12 weeks, from today's requirements: how many were
    assigned, and completed, by each week's end (one query through the index on those two days)."""
    on = on or utcnow().date()
    counts = db.session.execute(select(T.c.assigned_day, T.c.done_day, func.count()).where(
        *_conditions(gap_filter, scope)).group_by(T.c.assigned_day, T.c.done_day)).all()
    ends = week_ends(on)
    assigned_by, done_by = [0] * len(ends), [0] * len(ends)
    days = [end.toordinal() for end in ends]
    for assigned, done, n in counts:  # each count goes to the first week end on or after its day
        first = bisect_left(days, assigned)
        if first < len(days):
            assigned_by[first] += n
        if done is not None and (first := bisect_left(days, done)) < len(days):
            done_by[first] += n
    return [TrendPoint(end, sum(assigned_by[:k + 1]), sum(done_by[:k + 1])) for k, end in enumerate(ends)]


@dataclass(frozen=True)
class GapCell:
    """One department's gap in one course: the sponsor's "largest gaps"."""

    department_id: int | None
    department: str
    course_id: int
    course: str
    row: GapRow


def largest_gaps(goals=(), *, most: int = 3, on: date | None = None) -> list[GapCell]:
    """The (department, course) pairs with the most requirements not completed, with the goals they threaten."""
    on = on or utcnow().date()
    links = goal_links(goals)
    gap = (func.count() - func.coalesce(func.sum(T.c.done), 0)).label("gap")
    overdue = func.sum(case((T.c.open_due_day < on.toordinal(), 1), else_=0)).label("overdue")
    top = db.session.execute(
        select(T.c.department_id, T.c.course_id, gap, overdue).group_by(T.c.department_id, T.c.course_id)
        .order_by(gap.desc(), overdue.desc(), T.c.department_id, T.c.course_id).limit(most)).all()
    courses = {c.id: c.title for c in courses_api.catalogue().courses}
    departments = _labels("department", [r.department_id for r in top])
    cells = []
    for cell in top:
        if cell.gap <= 0:
            break
        where = [T.c.department_id.is_(None) if cell.department_id is None else T.c.department_id
                 == cell.department_id, T.c.course_id == cell.course_id]
        values = db.session.execute(select(*_measures(on, GapFilter())).where(*where)).one()
        threats = {link.goal_id: db.session.scalar(select(func.count()).where(*where, T.c.done == 0,
                                                                              link.condition()))
                   for link in links if cell.course_id in link.course_ids}
        department = departments.get(cell.department_id, (_NO_LABEL["department"], ""))[0]
        cells.append(GapCell(cell.department_id, department, cell.course_id,
                             courses.get(cell.course_id, f"course {cell.course_id}"),
                             _row(cell.department_id, department, values, threats, links)))
    return cells


# --- one person -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonRequirement:
    course_id: int
    course: str
    paths: tuple[str, ...]
    status: str  # completed | overdue | in_progress | not_started
    assigned_at: datetime
    due_date: date | None
    completed_at: datetime | None
    failed_quizzes: tuple[str, ...]


def in_scope(person_id: int, scope: Scope) -> bool:
    if scope.everyone:
        return True
    return db.session.scalar(select(literal(1)).where(
        Person.id == person_id, Person.id.in_(reporting_line(scope.manager_id)))) is not None


def person_requirements(person_id: int, scope: Scope = EVERYONE, *, on: date | None = None
                        ) -> tuple[Person, list[PersonRequirement]]:
    """A person's requirements with their status; a person outside ``scope`` is not found (404)."""
    from tracking import api as tracking_api

    on = on or utcnow().date()
    person = db.session.get(Person, person_id)
    if person is None or not in_scope(person_id, scope):
        raise NotFound("There is no such person in your report.")
    catalogue = courses_api.catalogue()
    courses = {c.id: c for c in catalogue.courses}
    paths = {p.id: p.title for p in catalogue.paths}
    links: dict[int, list[str]] = {}
    for course_id, path_id in db.session.execute(select(RequirementPath.course_id, RequirementPath.path_id)
                                                 .where(RequirementPath.person_id == person_id)):
        links.setdefault(course_id, []).append(paths.get(path_id, f"path {path_id}"))
    quizzes = {tracking_api.quiz_activity(q.course_slug, q.key): q for q in catalogue.quizzes}
    failed: dict[int, list[str]] = {}
    for fact in tracking_api.progress_of([person_id], list(quizzes)):
        if fact.status == "failed":
            failed.setdefault(quizzes[fact.activity_id].course_id, []).append(quizzes[fact.activity_id].title)
    result = []
    for row in db.session.scalars(select(RequirementRow).where(RequirementRow.person_id == person_id)):
        if row.completed_at is not None:
            status = "completed"
        elif row.due_date is not None and row.due_date < on:
            status = "overdue"
        else:
            status = "in_progress" if row.started else "not_started"
        course = courses.get(row.course_id)
        result.append(PersonRequirement(row.course_id, course.title if course else f"course {row.course_id}",
                                        tuple(sorted(links.get(row.course_id, []))), status, row.assigned_at,
                                        row.due_date, row.completed_at,
                                        tuple(sorted(failed.get(row.course_id, []))) if row.failed_count else ()))
    order = {"overdue": 0, "in_progress": 1, "not_started": 2, "completed": 3}
    result.sort(key=lambda r: (order[r.status], r.due_date or date.max, r.course))
    return person, result


def linked_completion(link: GoalLink) -> tuple[int, int]:
    """(completed, required) of a goal's linked training among its people, across the organisation."""
    values = db.session.execute(select(func.coalesce(func.sum(T.c.done), 0), func.count()).where(
        link.condition())).one()
    return int(values[0] or 0), int(values[1] or 0)


def any_requirements() -> bool:
    return db.session.scalar(select(T.c.person_id).limit(1)) is not None


