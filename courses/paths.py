"""Learning paths edited in the UI: courses and their order, assignment rules, due dates, recertification; who the
rules match before saving; the people on a path and where they are with it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Select, and_, false, func, or_, select

from courses import enrolment
from courses.authoring import SLUG
from courses.models import TRAINING_KINDS, Course, Enrolment, LearningPath, PathAssignment, PathCourse, PathRule
from lms.audit.services import record as audit
from lms.errors import Conflict, DomainError, NotFound
from lms.extensions import db
from lms.people.models import Person

DUE_MODES = {"none": "No due date", "date": "On a date", "hire_date": "Days after the hire date",
             "assignment": "Days after assignment"}


@dataclass(frozen=True)
class RuleInfo:
    """Every condition that is set must match; ``new_hire`` None: anyone, True: new hires only, False: others."""

    job_role_id: int | None = None
    department_id: int | None = None
    wave_id: int | None = None
    new_hire: bool | None = None

    @property
    def empty(self) -> bool:
        return self.job_role_id is None and self.department_id is None and self.wave_id is None \
            and self.new_hire is None


@dataclass(frozen=True)
class PathInfo:
    slug: str
    title: str
    kind: str = "crm_application"
    summary: str = ""
    ordered: bool = True
    course_ids: tuple[int, ...] = ()  # in order
    rules: tuple[RuleInfo, ...] = ()
    due_mode: str = "none"  # see DUE_MODES
    due_date: date | None = None
    due_days: int | None = None
    recertify_months: int | None = None
    active: bool = True


def get_path(path_id: int) -> LearningPath:
    path = db.session.get(LearningPath, path_id)
    if path is None:
        raise NotFound("There is no such learning path.")
    return path


def _rule_condition(rule: RuleInfo | PathRule, on: date):
    conditions = [getattr(Person, column) == getattr(rule, column)
                  for column in ("job_role_id", "department_id", "wave_id") if getattr(rule, column) is not None]
    if rule.new_hire is not None:
        since = on - timedelta(days=current_app.config["LMS_NEW_HIRE_DAYS"])
        recent = and_(Person.hire_date.is_not(None), Person.hire_date >= since)
        conditions.append(recent if rule.new_hire else ~recent | Person.hire_date.is_(None))
    return and_(*conditions) if conditions else Person.id.is_not(None)


def matching_people(rules: tuple[RuleInfo, ...], on: date | None = None) -> Select:
    """Active people whom any of ``rules`` matches (the same test as :func:`courses.enrolment.rule_matches`)."""
    on = on or enrolment.today()
    wanted = [rule for rule in rules if not rule.empty]
    condition = or_(*[_rule_condition(rule, on) for rule in wanted]) if wanted else false()
    return select(Person).where(Person.active.is_(True), condition).order_by(Person.name, Person.id)


@dataclass(frozen=True)
class Preview:
    count: int
    sample: tuple[Person, ...]


def preview(rules: tuple[RuleInfo, ...], *, sample: int = 10, on: date | None = None) -> Preview:
    """How many active people the rules match, and the first ``sample`` of them by name."""
    query = matching_people(rules, on)
    count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return Preview(count, tuple(db.session.scalars(query.limit(sample))))


def _check(info: PathInfo, path: LearningPath | None) -> None:
    if not SLUG.match(info.slug):
        raise DomainError("Use lowercase letters, digits and hyphens (at most 80).", field="slug")
    if not info.title.strip():
        raise DomainError("A path needs a title.", field="title")
    if info.kind not in TRAINING_KINDS:
        raise DomainError("Choose a training kind.", field="kind")
    clash = db.session.scalar(select(LearningPath.id).where(LearningPath.slug == info.slug,
                                                            LearningPath.id != (path.id if path else 0)))
    if clash:
        raise Conflict(f"Another path already uses the slug {info.slug}.", field="slug")
    if not info.course_ids:
        raise DomainError("Choose at least one course.", field="courses")
    if len(set(info.course_ids)) != len(info.course_ids):
        raise DomainError("Each course appears once in a path.", field="courses")
    found = set(db.session.scalars(select(Course.id).where(Course.id.in_(info.course_ids))))
    if found != set(info.course_ids):
        raise DomainError("One of the courses does not exist.", field="courses")
    if info.due_mode not in DUE_MODES:
        raise DomainError("Choose how the due date is set.", field="due_mode")
    if info.due_mode == "date" and info.due_date is None:
        raise DomainError("Give the due date.", field="due_date")
    if info.due_mode in ("hire_date", "assignment") and (info.due_days is None or info.due_days < 0):
        raise DomainError("Give the number of days.", field="due_days")
    if info.recertify_months is not None and info.recertify_months < 1:
        raise DomainError("Recertification is every 1 month or more, or never.", field="recertify_months")


def save_path(info: PathInfo, *, path: LearningPath | None, actor_id: int | None) -> LearningPath:
    """Create or change a path, then apply its rules: people who now match get it, people it was assigned to by
    rule who no longer match have it withdrawn (completed work stays completed)."""
    _check(info, path)
    path = path or LearningPath()
    path.slug, path.title, path.kind = info.slug, info.title.strip(), info.kind
    path.summary, path.ordered, path.active = info.summary.strip(), info.ordered, info.active
    path.due_date = info.due_date if info.due_mode == "date" else None
    path.due_days = info.due_days if info.due_mode in ("hire_date", "assignment") else None
    path.due_after = info.due_mode if info.due_mode in ("hire_date", "assignment") else "assignment"
    path.recertify_months = info.recertify_months
    courses = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(info.course_ids)))}
    path.steps = [PathCourse(course=courses[course_id], position=i) for i, course_id in enumerate(info.course_ids)]
    path.rules = [PathRule(job_role_id=r.job_role_id, department_id=r.department_id, wave_id=r.wave_id,
                           new_hire=r.new_hire) for r in info.rules if not r.empty]
    db.session.add(path)
    db.session.flush()
    audit(actor_id, "path.save", path.slug, courses=[courses[i].slug for i in info.course_ids],
          rules=len(path.rules), active=path.active)
    holders = list(db.session.scalars(select(PathAssignment.person_id).where(
        PathAssignment.path_id == path.id, PathAssignment.status == "assigned", PathAssignment.source == "rule")))
    if holders:
        enrolment.withdraw_unmatched(holders)
    if path.active:
        enrolment.assign_paths(list(db.session.scalars(select(Person.id).where(Person.active.is_(True)))))
    return path


@dataclass(frozen=True)
class PathMember:
    assignment: PathAssignment
    person: Person
    courses_done: int
    courses_total: int
    started: bool
    overdue: bool

    @property
    def status(self) -> str:
        if self.assignment.status == "completed":
            return "Completed"
        if self.overdue:
            return "Overdue"
        return "In progress" if self.started else "Not started"


def members(path: LearningPath, *, on: date | None = None) -> list[PathMember]:
    """The people the path is currently assigned to, with their progress on it, by name."""
    on = on or enrolment.today()
    course_ids = [s.course_id for s in path.steps]
    assignments = db.session.execute(
        select(PathAssignment, Person).join(Person, Person.id == PathAssignment.person_id)
        .where(PathAssignment.path_id == path.id, PathAssignment.status.in_(("assigned", "completed")))
        .order_by(Person.name, Person.id)).all()
    person_ids = [person.id for _a, person in assignments]
    done: dict[int, set[int]] = {}
    started: set[int] = set()
    for person_id, course_id, status, started_at in db.session.execute(
            select(Enrolment.person_id, Enrolment.course_id, Enrolment.status, Enrolment.started_at).where(
                Enrolment.person_id.in_(person_ids), Enrolment.course_id.in_(course_ids),
                Enrolment.remedial_module.is_(None))):
        if status in ("completed", "waived"):
            done.setdefault(person_id, set()).add(course_id)
        if started_at is not None:
            started.add(person_id)
    return [PathMember(a, person, len(done.get(person.id, ())), len(course_ids), person.id in started,
                       a.status == "assigned" and a.due_date is not None and a.due_date < on)
            for a, person in assignments]
