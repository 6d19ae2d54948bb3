"""The gap report's read model: one row per requirement of an active person (``governance_requirement``).

Receivers mark people dirty (a plain insert into ``governance_dirty``, in the sender's transaction) whenever their
organisation facts, their requirements or their progress change. Before a report is read, :func:`bring_up_to_date`
derives pending statements (``tracking.api.catch_up``) and recomputes the dirty people's rows from
``courses.api.requirements`` and ``tracking.api.progress_of``; the worker does the same in the background and
``flask lms governance rebuild`` recomputes everyone. Recomputing a person is a function of courses' and
tracking's records alone, so an incremental refresh gives exactly the rows a rebuild gives (tested).

What a row says (the definitions the report shows):
- completed: the person's progress row for the course's activity has a completion (status completed or passed);
- started: courses says the course was started, or the person has any progress row on the course's activities
  (the course, its lessons, its quizzes); a completed requirement counts as started too;
- failed_count: the course's quizzes whose progress status is ``failed`` (failed and never passed since).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select, text

from courses import api as courses_api
from governance.models import DirtyPerson, ReadModelState, RequirementPath, RequirementRow
from lms.extensions import db
from lms.people.models import Person
from lms.types import utcnow
from tracking import api as tracking_api

CHUNK = 1000  # people per recomputation
REQUEST_MOST = 5000  # people a report request recomputes before it reads; the worker does any backlog beyond
_LOCK = 80_042_017  # PostgreSQL advisory lock: one refresher at a time (two would insert the same rows)
_PRECEDENCE = ("attempted", "completed", "failed", "passed")


# --- marking ------------------------------------------------------------------------------------------------

def mark_dirty(person_ids: Iterable[int]) -> None:
    """Queue these people for recomputation, in the caller's transaction (cheap: one insert)."""
    rows = [{"person_id": int(p)} for p in dict.fromkeys(person_ids) if p is not None]
    if rows:
        db.session.execute(insert(DirtyPerson), rows)


def mark_everyone_dirty() -> int:
    """Queue every person (after a change that touches many, e.g. a path's courses); returns how many."""
    result = db.session.execute(insert(DirtyPerson).from_select(["person_id"], select(Person.id)))
    return result.rowcount or 0


def dirty_count() -> int:
    """How many people wait to be recomputed (a person marked twice counts once)."""
    return db.session.scalar(select(func.count(func.distinct(DirtyPerson.person_id)))) or 0


# --- what a course's activities are --------------------------------------------------------------------------

@dataclass(frozen=True)
class CourseActivities:
    course: str
    quizzes: tuple[str, ...]
    others: tuple[str, ...]  # lessons


def course_activities() -> dict[int, CourseActivities]:
    """Course id -> the activity ids of the course and of its lessons and quizzes (every published version)."""
    items = courses_api.course_items()
    found = {}
    for course in courses_api.catalogue().courses:
        item = items.get(course.id)
        quizzes = tuple(tracking_api.quiz_activity(course.slug, key) for key in (item.quiz_keys if item else ()))
        lessons = tuple(tracking_api.lesson_activity(course.slug, key) for key in (item.lesson_keys if item else ()))
        found[course.id] = CourseActivities(tracking_api.course_activity(course.slug), quizzes, lessons)
    return found


# --- recomputing ------------------------------------------------------------------------------------------

def _merged_progress(person_ids: list[int]) -> dict[tuple[int, str], tuple[str, datetime | None]]:
    """(person, activity) -> (status, completed_at); a person known under two identifiers (an email and an
    account) may have two rows for one activity: any pass wins, then any failure, then a completion."""
    merged: dict[tuple[int, str], tuple[str, datetime | None]] = {}
    for fact in tracking_api.progress_of(person_ids):
        pair = (fact.person_id, fact.activity_id)
        completed_at = fact.completed_at if fact.status in ("completed", "passed") else None
        if pair in merged:
            status, earlier = merged[pair]
            status = max(status, fact.status, key=_PRECEDENCE.index)
            times = [t for t in (earlier, completed_at) if t is not None]
            merged[pair] = (status, min(times) if times else None)
        else:
            merged[pair] = (fact.status, completed_at)
    return merged


def compute_rows(person_ids: list[int], activities: dict[int, CourseActivities] | None = None
                 ) -> tuple[list[dict], list[dict]]:
    """The requirement rows and path links of these people, as a rebuild makes them (inactive people: none)."""
    activities = course_activities() if activities is None else activities
    facts = {row.id: row for row in db.session.execute(
        select(Person.id, Person.department_id, Person.job_role_id, Person.wave_id, Person.manager_id)
        .where(Person.id.in_(person_ids), Person.active.is_(True)))}
    active = sorted(facts)
    requirements = courses_api.requirements(active)
    progress = _merged_progress(active)
    rows, links = [], []
    empty = CourseActivities("", (), ())
    first_course: dict[int, int] = {}
    for requirement in requirements:
        first_course[requirement.person_id] = min(first_course.get(requirement.person_id, requirement.course_id),
                                                  requirement.course_id)
    for requirement in requirements:
        person = facts[requirement.person_id]
        found = activities.get(requirement.course_id, empty)
        course_status, completed_at = progress.get((person.id, found.course), ("", None))
        started = requirement.started_at is not None or any(
            (person.id, activity) in progress for activity in (found.course, *found.quizzes, *found.others))
        failed = sum(1 for quiz in found.quizzes if progress.get((person.id, quiz), ("",))[0] == "failed")
        assigned_day = requirement.assigned_at.astimezone(UTC).date().toordinal()
        done_day = max(assigned_day, completed_at.astimezone(UTC).date().toordinal()) if completed_at else None
        rows.append({"person_id": person.id, "course_id": requirement.course_id,
                     "department_id": person.department_id, "job_role_id": person.job_role_id,
                     "wave_id": person.wave_id, "manager_id": person.manager_id,
                     "assigned_at": requirement.assigned_at, "due_date": requirement.due_date,
                     "completed_at": completed_at, "assigned_day": assigned_day, "done_day": done_day,
                     "open_due_day": requirement.due_date.toordinal() if requirement.due_date and not completed_at
                     else None,
                     "started": int(bool(started or completed_at)), "done": int(completed_at is not None),
                     "first": int(first_course[person.id] == requirement.course_id), "failed_count": failed})
        links += [{"person_id": person.id, "course_id": requirement.course_id, "path_id": path_id}
                  for path_id in requirement.path_ids]
    return rows, links


def _lock() -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})


def recompute(person_ids: list[int], activities: dict[int, CourseActivities] | None = None) -> int:
    """Replace these people's rows with what courses and tracking say now; returns how many rows they have."""
    person_ids = sorted(set(person_ids))
    total = 0
    activities = course_activities() if activities is None else activities
    for start in range(0, len(person_ids), CHUNK):
        chunk = person_ids[start:start + CHUNK]
        rows, links = compute_rows(chunk, activities)
        db.session.execute(delete(RequirementPath).where(RequirementPath.person_id.in_(chunk)))
        db.session.execute(delete(RequirementRow).where(RequirementRow.person_id.in_(chunk)))
        if rows:
            db.session.execute(insert(RequirementRow), rows)
        if links:
            db.session.execute(insert(RequirementPath), links)
        total += len(rows)
    return total


def _state() -> ReadModelState:
    state = db.session.get(ReadModelState, 1)
    if state is None:
        state = ReadModelState(id=1, paths_fingerprint="")
        db.session.add(state)
        db.session.flush()
    return state


def paths_fingerprint() -> str:
    """A digest of every path's courses: requirements change for a path's holders when its courses do, and
    courses sends no signal for that, so the read model compares this before it is read."""
    text_ = ";".join(f"{path}:{','.join(map(str, courses))}"
                     for path, courses in sorted(courses_api.path_courses().items()))
    return hashlib.sha256(text_.encode()).hexdigest()


def refresh_dirty(most: int | None = REQUEST_MOST) -> int:
    """Recompute up to ``most`` dirty people (None: all), committing after each chunk as ``catch_up`` does;
    returns how many people were recomputed. When a path's courses changed, everyone is marked first."""
    fingerprint = paths_fingerprint()
    stored = db.session.scalar(select(ReadModelState.paths_fingerprint).where(ReadModelState.id == 1))
    if stored == fingerprint and db.session.scalar(select(DirtyPerson.id).limit(1)) is None:
        return 0  # the usual case for a reader: two index probes, no lock, no transaction
    _lock()
    state = _state()
    if state.paths_fingerprint != fingerprint:
        mark_everyone_dirty()
        state.paths_fingerprint = fingerprint
    activities = None
    done = 0
    while most is None or done < most:
        limit = CHUNK if most is None else min(CHUNK, most - done)
        claimed = db.session.execute(select(DirtyPerson.id, DirtyPerson.person_id).order_by(DirtyPerson.id)
                                     .limit(limit * 4)).all()
        if not claimed:
            break
        people = sorted({row.person_id for row in claimed})[:limit]
        wanted = set(people)
        activities = course_activities() if activities is None else activities
        recompute(people, activities)
        db.session.execute(delete(DirtyPerson).where(DirtyPerson.id.in_(
            [row.id for row in claimed if row.person_id in wanted])))
        db.session.commit()
        _lock()
        done += len(people)
    db.session.commit()
    return done


def bring_up_to_date(most: int | None = REQUEST_MOST) -> int:
    """What every report read calls first: derive pending statements, then recompute dirty people. Returns how
    many people still wait (more than ``most`` were dirty: the worker finishes them)."""
    tracking_api.catch_up()
    refresh_dirty(most)
    return dirty_count()


def rebuild() -> int:
    """Recompute every person's rows from scratch (``flask lms governance rebuild``); returns the row count."""
    _lock()
    db.session.execute(delete(RequirementPath))
    db.session.execute(delete(RequirementRow))
    db.session.execute(delete(DirtyPerson))
    people = list(db.session.scalars(select(Person.id).where(Person.active.is_(True)).order_by(Person.id)))
    total = recompute(people)
    state = _state()
    state.paths_fingerprint = paths_fingerprint()
    state.rebuilt_at = utcnow()
    db.session.commit()
    return total


def refresh_due() -> str | None:
    """The worker's step (``Plugin.workers``): derive what is pending, then recompute one chunk of dirty people."""
    tracking_api.catch_up()
    done = refresh_dirty(CHUNK)
    return f"recomputed {done} person(s)' requirements" if done else None
