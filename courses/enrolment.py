"""Who learns what: learning paths, their assignment rules, enrolments, new-hire onboarding, recertification."""
from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import insert, select, update

from courses.models import Course, CourseVersion, Enrolment, LearningPath, PathAssignment, PathRule
from lms import signals
from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import Person
from lms.types import utcnow

OPEN = ("assigned", "in_progress")
_CHUNK = 2000


@dataclass(frozen=True)
class _PersonFacts:
    id: int
    job_role_id: int | None
    department_id: int | None
    wave_id: int | None
    hire_date: date | None


def today() -> date:
    return utcnow().date()


def is_new_hire(hire_date: date | None, on: date) -> bool:
    """Hired within ``LMS_NEW_HIRE_DAYS`` (default 90) days before ``on``, or hired in the future."""
    if hire_date is None:
        return False
    return hire_date >= on - timedelta(days=current_app.config["LMS_NEW_HIRE_DAYS"])


def rule_matches(rule: PathRule, person: _PersonFacts | Person, on: date) -> bool:
    for column in ("job_role_id", "department_id", "wave_id"):
        wanted = getattr(rule, column)
        if wanted is not None and getattr(person, column) != wanted:
            return False
    return rule.new_hire is None or rule.new_hire == is_new_hire(person.hire_date, on)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date_for(path: LearningPath, hire_date: date | None, on: date) -> date | None:
    if path.due_date:
        return path.due_date
    if path.due_days is None:
        return None
    base = hire_date if path.due_after == "hire_date" and hire_date else on
    return base + timedelta(days=path.due_days)


def latest_versions(course_ids: set[int]) -> dict[int, int]:
    """Course id -> id of its newest version, for published courses only."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(CourseVersion.course_id, CourseVersion.id, CourseVersion.number)
        .join(Course, Course.id == CourseVersion.course_id)
        .where(CourseVersion.course_id.in_(course_ids), Course.status == "published")
    )
    best: dict[int, tuple[int, int]] = {}
    for course_id, version_id, number in rows:
        if course_id not in best or number > best[course_id][1]:
            best[course_id] = (version_id, number)
    return {course_id: version_id for course_id, (version_id, _) in best.items()}


def assign_paths(person_ids: list[int], *, on: date | None = None) -> int:
    """Give each active person every active path whose rules match them and that they do not hold yet.

    Called when people join or change role (signals) and by ``flask lms courses assign``. Returns the number
    of path assignments made. Works in batches, so a 100,000-row roster import stays fast.
    """
    on = on or today()
    paths = list(db.session.scalars(select(LearningPath).where(LearningPath.active.is_(True))))
    if not paths or not person_ids:
        return 0
    versions = latest_versions({step.course_id for path in paths for step in path.steps})
    made = 0
    for start in range(0, len(person_ids), _CHUNK):
        chunk = person_ids[start:start + _CHUNK]
        people = [_PersonFacts(*row) for row in db.session.execute(
            select(Person.id, Person.job_role_id, Person.department_id, Person.wave_id, Person.hire_date)
            .where(Person.id.in_(chunk), Person.active.is_(True)))]
        held = set(db.session.execute(
            select(PathAssignment.person_id, PathAssignment.path_id)
            .where(PathAssignment.person_id.in_(chunk), PathAssignment.status.not_in(("expired", "withdrawn")))))
        wanted = [(person, path) for person in people for path in paths
                  if (person.id, path.id) not in held and any(rule_matches(r, person, on) for r in path.rules)]
        made += _create_assignments(wanted, versions, on)
    return made


def withdraw_unmatched(person_ids: list[int]) -> int:
    """Withdraw the open, rule-made path assignments of people who no longer match any of the path's rules (they
    changed role, department or wave; hire-date recency is not a reason). Completed work stays completed; open
    enrolments of a withdrawn assignment are withdrawn too (their records stay). Returns how many were withdrawn."""
    withdrawn: list[PathAssignment] = []
    for start in range(0, len(person_ids), _CHUNK):
        chunk = person_ids[start:start + _CHUNK]
        facts = {row[0]: _PersonFacts(*row) for row in db.session.execute(
            select(Person.id, Person.job_role_id, Person.department_id, Person.wave_id, Person.hire_date)
            .where(Person.id.in_(chunk)))}
        for assignment in db.session.scalars(select(PathAssignment).where(
                PathAssignment.person_id.in_(chunk), PathAssignment.status == "assigned",
                PathAssignment.source == "rule")):
            person = facts[assignment.person_id]
            if not any(_matches_ignoring_recency(rule, person) for rule in assignment.path.rules):
                assignment.status = "withdrawn"
                withdrawn.append(assignment)
    if withdrawn:
        db.session.execute(update(Enrolment).where(
            Enrolment.assignment_id.in_([a.id for a in withdrawn]), Enrolment.status.in_(OPEN))
            .values(status="withdrawn"))
        db.session.flush()
        signals.training_changed.send(None, person_ids=sorted({a.person_id for a in withdrawn}))
    return len(withdrawn)


def _matches_ignoring_recency(rule: PathRule, person: _PersonFacts) -> bool:
    return all(getattr(rule, column) is None or getattr(person, column) == getattr(rule, column)
               for column in ("job_role_id", "department_id", "wave_id"))


def assign_path_by_hand(person_ids: list[int], path: LearningPath, *, due_date: date | None = None,
                        on: date | None = None) -> int:
    """Assign a path by hand (``source`` "manual": a role change does not withdraw it) to people who do not hold it;
    its due date is ``due_date`` or the path's own. People who hold it already get ``due_date`` when one is given.
    Returns how many were newly assigned."""
    on = on or today()
    held = {a.person_id: a for a in db.session.scalars(select(PathAssignment).where(
        PathAssignment.path_id == path.id, PathAssignment.person_id.in_(person_ids),
        PathAssignment.status.in_(("assigned", "completed"))))}
    for assignment in held.values():
        if due_date and assignment.status == "assigned":
            assignment.due_date = due_date
            db.session.execute(update(Enrolment).where(Enrolment.assignment_id == assignment.id,
                                                       Enrolment.status.in_(OPEN)).values(due_date=due_date))
    wanted = [_PersonFacts(*row) for row in db.session.execute(
        select(Person.id, Person.job_role_id, Person.department_id, Person.wave_id, Person.hire_date)
        .where(Person.id.in_([i for i in person_ids if i not in held]), Person.active.is_(True)))]
    versions = latest_versions({step.course_id for step in path.steps})
    return _create_assignments([(person, path) for person in wanted], versions, on, source="manual", due=due_date)


def _create_assignments(wanted: list[tuple[_PersonFacts, LearningPath]], versions: dict[int, int], on: date, *,
                        source: str = "rule", due: date | None = None) -> int:
    if not wanted:
        return 0
    now = utcnow()
    rows = [{"path_id": path.id, "person_id": person.id, "assigned_at": now, "status": "assigned", "source": source,
             "due_date": due or due_date_for(path, person.hire_date, on)} for person, path in wanted]
    # Plain executemany, then read the ids back: RETURNING in parameter order makes SQLite insert row by row.
    db.session.execute(insert(PathAssignment), rows)
    person_ids = {person.id for person, _ in wanted}
    new_ids = {(person_id, path_id): assignment_id for assignment_id, person_id, path_id in db.session.execute(
        select(PathAssignment.id, PathAssignment.person_id, PathAssignment.path_id).where(
            PathAssignment.person_id.in_(person_ids), PathAssignment.status == "assigned",
            PathAssignment.assigned_at == now))}
    ids = [new_ids[(person.id, path.id)] for person, path in wanted]
    signals.training_changed.send(None, person_ids=sorted(person_ids))
    open_courses: dict[tuple[int, int], int] = {
        (person_id, course_id): enrolment_id for person_id, course_id, enrolment_id in db.session.execute(
            select(Enrolment.person_id, Enrolment.course_id, Enrolment.id)
            .where(Enrolment.person_id.in_(person_ids), Enrolment.status.in_(OPEN)))}
    enrolments = []
    for assignment_id, (person, path), row in zip(ids, wanted, rows, strict=True):
        for step in path.steps:
            version_id = versions.get(step.course_id)
            if version_id is None or (person.id, step.course_id) in open_courses:
                continue
            open_courses[(person.id, step.course_id)] = -1
            enrolments.append({"person_id": person.id, "course_id": step.course_id, "version_id": version_id,
                               "assignment_id": assignment_id, "source": "path", "status": "assigned",
                               "assigned_at": now, "due_date": row["due_date"]})
    _insert_enrolments(enrolments)
    return len(ids)


def _insert_enrolments(rows: list[dict]) -> list[int]:
    import uuid

    if not rows:
        return []
    for row in rows:
        row.setdefault("registration", str(uuid.uuid4()))
    db.session.execute(insert(Enrolment), rows)  # executemany; ids are read back by registration
    by_registration: dict[str, int] = {}
    registrations = [row["registration"] for row in rows]
    for start in range(0, len(registrations), 500):
        chunk = registrations[start:start + 500]
        by_registration.update(db.session.execute(
            select(Enrolment.registration, Enrolment.id).where(Enrolment.registration.in_(chunk))).all())
    ids = [by_registration[registration] for registration in registrations]
    signals.enrolled.send(None, person_ids=sorted({row["person_id"] for row in rows}), enrolment_ids=ids)
    return ids


def enrol(person: Person, course: Course, *, source: str = "manual", due_date: date | None = None,
          remedial_module: str | None = None, unlocks: tuple[int, str] | None = None) -> Enrolment:
    """Enrol one person in the newest version of a course (or return their open enrolment in it)."""
    versions = latest_versions({course.id})
    if course.id not in versions:
        raise DomainError(f"“{course.title}” has no published version yet.")
    existing = db.session.scalar(select(Enrolment).where(
        Enrolment.person_id == person.id, Enrolment.course_id == course.id, Enrolment.status.in_(OPEN),
        Enrolment.remedial_module.is_(None) if remedial_module is None else Enrolment.remedial_module
        == remedial_module))
    if existing is not None:
        return existing
    [enrolment_id] = _insert_enrolments([{
        "person_id": person.id, "course_id": course.id, "version_id": versions[course.id], "source": source,
        "status": "assigned", "assigned_at": utcnow(), "due_date": due_date, "remedial_module": remedial_module,
        "unlocks_enrolment_id": unlocks[0] if unlocks else None, "unlocks_quiz_key": unlocks[1] if unlocks else None,
    }])
    return db.session.get(Enrolment, enrolment_id)


def after_publish(version: CourseVersion) -> None:
    """Move not-yet-started enrolments to the new version; with re-completion, re-enrol those who finished."""
    older = select(CourseVersion.id).where(CourseVersion.course_id == version.course_id,
                                           CourseVersion.id != version.id)
    waiting = (Enrolment.version_id.in_(older), Enrolment.status == "assigned", Enrolment.started_at.is_(None))
    moved = sorted(set(db.session.scalars(select(Enrolment.person_id).where(*waiting))))
    db.session.execute(update(Enrolment).where(*waiting).values(version_id=version.id))
    if moved:
        signals.training_changed.send(None, person_ids=moved)
    if not version.requires_recompletion:
        return
    completed = db.session.execute(select(Enrolment.person_id, Enrolment.assignment_id).where(
        Enrolment.course_id == version.course_id, Enrolment.status == "completed",
        Enrolment.remedial_module.is_(None))).all()
    open_people = set(db.session.scalars(select(Enrolment.person_id).where(
        Enrolment.course_id == version.course_id, Enrolment.status.in_(OPEN))))
    due = today() + timedelta(days=current_app.config["LMS_RECOMPLETION_DAYS"])
    seen, rows = set(), []
    for person_id, assignment_id in completed:
        if person_id in open_people or person_id in seen:
            continue
        seen.add(person_id)
        rows.append({"person_id": person_id, "course_id": version.course_id, "version_id": version.id,
                     "assignment_id": assignment_id, "source": "recompletion", "status": "assigned",
                     "assigned_at": utcnow(), "due_date": due})
    _insert_enrolments(rows)


def expire_certifications(on: date | None = None) -> int:
    """Expire path completions past their date and assign the paths again. Run daily (``flask lms courses
    recertify``)."""
    on = on or today()
    expired = db.session.scalars(select(PathAssignment).where(
        PathAssignment.status == "completed", PathAssignment.expires_on.is_not(None),
        PathAssignment.expires_on <= on)).all()
    by_person: dict[int, list[int]] = defaultdict(list)
    for assignment in expired:
        assignment.status = "expired"
        by_person[assignment.person_id].append(assignment.path_id)
    db.session.flush()
    if not expired:
        return 0
    versions = latest_versions({s.course_id for a in expired for s in a.path.steps})
    wanted = []
    for assignment in expired:
        person = assignment.person
        if person.active:
            facts = _PersonFacts(person.id, person.job_role_id, person.department_id, person.wave_id,
                                 person.hire_date)
            wanted.append((facts, assignment.path))
    # Completed enrolments are closed, so the new assignment enrols again in every course.
    _create_assignments(wanted, versions, on)
    return len(expired)
