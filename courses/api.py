"""The courses plugin's public API: what other plugins (comms, governance, ...) may ask about training.

Everything here returns frozen values, plain dicts of them, or SQLAlchemy ``Select``s of person ids (for audience
and report queries that other plugins combine in SQL); nothing returns a courses model. Other plugins import this
module and the signals in :mod:`lms.signals`, never ``courses.models`` or other courses internals.

Vocabulary:
- A person's *requirements* are the courses they must complete: the courses of their current learning-path
  assignments (assigned or completed, not expired or withdrawn; by rule or by hand, ``PathAssignment.source``) and
  the courses assigned to them by hand. A course that two of their paths share is one requirement. Self-chosen and
  remedial enrolments are not requirements, and neither is a course a trainer waived (excused, with a reason).
- Due dates are the enrolments' and assignments' current ones: a trainer's change shows at once. Every change to
  what people are required to do outside a learning event sends ``lms.signals.training_changed``.
- *Status* of a requirement or an assignment: ``not_started``, ``in_progress``, ``completed``; ``overdue`` is an
  open one whose due date has passed.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import aliased

from courses.enrolment import OPEN, today
from courses.models import Course, CourseVersion, Enrolment, LearningPath, PathAssignment, PathCourse, QuizAttempt
from lms.extensions import db

STATUSES = ("not_started", "in_progress", "completed", "overdue", "not_completed")
_CURRENT_ASSIGNMENT = ("assigned", "completed")
_REQUIRED_SOURCES = ("path", "manual", "recompletion")


# --- the catalogue ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CourseInfo:
    id: int
    slug: str
    title: str
    kind: str
    status: str  # draft | published | archived


@dataclass(frozen=True)
class QuizInfo:
    course_id: int
    course_slug: str
    course_title: str
    key: str  # stable across versions
    title: str


@dataclass(frozen=True)
class PathInfo:
    id: int
    slug: str
    title: str
    course_ids: tuple[int, ...]  # in the path's order


@dataclass(frozen=True)
class Catalogue:
    courses: tuple[CourseInfo, ...]
    paths: tuple[PathInfo, ...]
    quizzes: tuple[QuizInfo, ...]  # of each published course's newest version

    def course(self, course_id: int) -> CourseInfo | None:
        return next((c for c in self.courses if c.id == course_id), None)

    def path(self, path_id: int) -> PathInfo | None:
        return next((p for p in self.paths if p.id == path_id), None)


def catalogue() -> Catalogue:
    """Every course (remedial ones included), every active path, and the quizzes of published courses."""
    courses = tuple(CourseInfo(c.id, c.slug, c.title, c.kind, c.status)
                    for c in db.session.scalars(select(Course).order_by(Course.title)))
    paths = tuple(PathInfo(p.id, p.slug, p.title, tuple(s.course_id for s in p.steps))
                  for p in db.session.scalars(select(LearningPath).where(LearningPath.active.is_(True))
                                              .order_by(LearningPath.title)))
    newest: dict[int, tuple[int, dict]] = {}
    for course_id, number, content in db.session.execute(
            select(CourseVersion.course_id, CourseVersion.number, CourseVersion.content)
            .join(Course, Course.id == CourseVersion.course_id).where(Course.status == "published")):
        if course_id not in newest or number > newest[course_id][0]:
            newest[course_id] = (number, content)
    by_id = {c.id: c for c in courses}
    quizzes = tuple(
        QuizInfo(course_id, by_id[course_id].slug, by_id[course_id].title, item["key"], item["title"])
        for course_id, (_, content) in sorted(newest.items(), key=lambda kv: by_id[kv[0]].title)
        for module in content["modules"] for item in module["items"] if item["type"] == "quiz")
    return Catalogue(courses, paths, quizzes)


def path_courses() -> dict[int, tuple[int, ...]]:
    """Every learning path (active or not) and its courses in the path's order: path id -> course ids. One small
    query, for readers that must notice when a path's courses change (what its holders are required to do)."""
    found: dict[int, list[int]] = defaultdict(list)
    for path_id, course_id in db.session.execute(
            select(PathCourse.path_id, PathCourse.course_id).order_by(PathCourse.path_id, PathCourse.position,
                                                                      PathCourse.course_id)):
        found[path_id].append(course_id)
    return {path_id: tuple(course_ids) for path_id, course_ids in found.items()}


@dataclass(frozen=True)
class CourseItems:
    """The keys of a course's quizzes and lessons, over every published version (keys are stable across
    versions, so this is every key a learner of the course may have a record of)."""

    course_id: int
    slug: str
    title: str
    quiz_keys: tuple[str, ...]
    lesson_keys: tuple[str, ...]


def course_items(course_ids: set[int] | None = None) -> dict[int, CourseItems]:
    """Course id -> its quiz and lesson keys (all courses when ``course_ids`` is None)."""
    query = select(Course.id, Course.slug, Course.title, CourseVersion.content).join(
        CourseVersion, CourseVersion.course_id == Course.id)
    if course_ids is not None:
        query = query.where(Course.id.in_(course_ids))
    found: dict[int, tuple[str, str, dict[str, None], dict[str, None]]] = {}
    for course_id, slug, title, content in db.session.execute(query.order_by(Course.id, CourseVersion.number)):
        _, _, quizzes, lessons = found.setdefault(course_id, (slug, title, {}, {}))
        for module in content["modules"]:
            for item in module["items"]:
                (quizzes if item["type"] == "quiz" else lessons)[item["key"]] = None
    return {course_id: CourseItems(course_id, slug, title, tuple(quizzes), tuple(lessons))
            for course_id, (slug, title, quizzes, lessons) in found.items()}


# --- requirements (governance's gap report) ---------------------------------------------------------------------

@dataclass(frozen=True)
class Requirement:
    """One course a person must complete, and where they are with it in courses' own records."""

    person_id: int
    course_id: int
    path_ids: tuple[int, ...]  # the current assignments that require it; empty: assigned by hand
    assigned_at: datetime
    due_date: date | None  # the earliest due date among what requires it
    started_at: datetime | None
    completed_at: datetime | None  # courses' own record; the projections may say otherwise (an outside LRS)


def requirements(person_ids: list[int]) -> list[Requirement]:
    """The requirements of these people (inactive people included: callers filter), in person, course order."""
    if not person_ids:
        return []
    by_pair: dict[tuple[int, int], dict] = {}
    for start in range(0, len(person_ids), 2000):
        chunk = person_ids[start:start + 2000]
        for person_id, path_id, course_id, assigned_at, due in db.session.execute(
                select(PathAssignment.person_id, PathAssignment.path_id, PathCourse.course_id,
                       PathAssignment.assigned_at, PathAssignment.due_date)
                .join(PathCourse, PathCourse.path_id == PathAssignment.path_id)
                .where(PathAssignment.person_id.in_(chunk), PathAssignment.status.in_(_CURRENT_ASSIGNMENT))):
            entry = by_pair.setdefault((person_id, course_id), {"paths": set(), "assigned": assigned_at, "due": []})
            entry["paths"].add(path_id)
            entry["assigned"] = min(entry["assigned"], assigned_at)
            if due:
                entry["due"].append(due)
        enrolments = db.session.execute(
            select(Enrolment.person_id, Enrolment.course_id, Enrolment.source, Enrolment.assigned_at,
                   Enrolment.due_date, Enrolment.started_at, Enrolment.completed_at, Enrolment.status)
            .where(Enrolment.person_id.in_(chunk), Enrolment.remedial_module.is_(None),
                   Enrolment.status.not_in(("replaced", "withdrawn")))
            .order_by(Enrolment.assigned_at, Enrolment.id)).all()
        latest: dict[tuple[int, int], tuple] = {}
        for row in enrolments:
            pair = (row.person_id, row.course_id)
            latest[pair] = row  # the newest enrolment answers for the course
            if row.source in ("manual", "recompletion") and row.status in (*OPEN, "completed"):
                entry = by_pair.setdefault(pair, {"paths": set(), "assigned": row.assigned_at, "due": []})
                entry["assigned"] = min(entry["assigned"], row.assigned_at)
                if row.due_date:
                    entry["due"].append(row.due_date)
        for pair, entry in by_pair.items():
            if pair[0] in chunk:
                entry["enrolment"] = latest.get(pair)
    result = []
    for (person_id, course_id), entry in sorted(by_pair.items()):
        enrolment = entry.get("enrolment")
        if enrolment is not None and enrolment.status == "waived":
            continue  # excused by a trainer, with a reason: not a requirement
        due = [*entry["due"], *([enrolment.due_date] if enrolment is not None and enrolment.due_date else [])]
        result.append(Requirement(
            person_id, course_id, tuple(sorted(entry["paths"])), entry["assigned"], min(due) if due else None,
            enrolment.started_at if enrolment is not None else None,
            enrolment.completed_at if enrolment is not None and enrolment.status == "completed" else None))
    return result


# --- audiences (comms): people by training status -------------------------------------------------------------

def _course_enrolments(course_id: int):
    return and_(Enrolment.course_id == course_id, Enrolment.remedial_module.is_(None),
                Enrolment.status.not_in(("replaced", "withdrawn")))


def people_by_course_status(course_id: int, status: str, on: date | None = None) -> Select:
    """Person ids whose status in a course is ``status`` (see :data:`STATUSES`). ``not_completed`` is everyone
    enrolled (assigned, by path or by hand) who has not completed it; people never enrolled have no status."""
    on = on or today()
    base = select(Enrolment.person_id).where(_course_enrolments(course_id)).distinct()
    if status == "completed":
        return base.where(Enrolment.status == "completed")
    open_rows = base.where(Enrolment.status.in_(OPEN), ~_has_completed(course_id))
    if status == "not_completed":
        return open_rows
    if status == "not_started":
        return open_rows.where(Enrolment.started_at.is_(None))
    if status == "in_progress":
        return open_rows.where(Enrolment.started_at.is_not(None))
    if status == "overdue":
        return open_rows.where(Enrolment.due_date < on)
    raise ValueError(f"unknown status {status!r}")


def _has_completed(course_id: int):
    done = aliased(Enrolment)
    return exists().where(done.course_id == course_id, done.person_id == Enrolment.person_id,
                          done.status == "completed", done.remedial_module.is_(None))


def people_by_path_status(path_id: int, status: str, on: date | None = None) -> Select:
    """Person ids whose current assignment of a path has ``status`` (see :data:`STATUSES`)."""
    on = on or today()
    base = select(PathAssignment.person_id).where(PathAssignment.path_id == path_id,
                                                  PathAssignment.status.in_(_CURRENT_ASSIGNMENT)).distinct()
    if status == "completed":
        return base.where(PathAssignment.status == "completed")
    open_rows = base.where(PathAssignment.status == "assigned")
    started = exists().where(Enrolment.assignment_id == PathAssignment.id, Enrolment.started_at.is_not(None))
    if status == "not_completed":
        return open_rows
    if status == "not_started":
        return open_rows.where(~started)
    if status == "in_progress":
        return open_rows.where(started)
    if status == "overdue":
        return open_rows.where(PathAssignment.due_date < on)
    raise ValueError(f"unknown status {status!r}")


def people_who_failed_quiz(course_id: int, quiz_key: str) -> Select:
    """Person ids who failed a quiz of a course and have not passed it since."""
    passed = aliased(QuizAttempt)
    passed_enrolment = aliased(Enrolment)
    has_passed = exists().where(passed.enrolment_id == passed_enrolment.id, passed.quiz_key == quiz_key,
                                passed.passed.is_(True), passed_enrolment.person_id == Enrolment.person_id,
                                passed_enrolment.course_id == course_id)
    return (select(Enrolment.person_id).join(QuizAttempt, QuizAttempt.enrolment_id == Enrolment.id)
            .where(Enrolment.course_id == course_id, QuizAttempt.quiz_key == quiz_key,
                   QuizAttempt.passed.is_(False), ~has_passed).distinct())


def people_with_anything_overdue(on: date | None = None) -> Select:
    """Person ids with any open required enrolment or path assignment past its due date."""
    on = on or today()
    enrolments = select(Enrolment.person_id).where(
        Enrolment.status.in_(OPEN), Enrolment.due_date < on, Enrolment.source.in_(_REQUIRED_SOURCES),
        Enrolment.remedial_module.is_(None))
    assignments = select(PathAssignment.person_id).where(PathAssignment.status == "assigned",
                                                         PathAssignment.due_date < on)
    return select(enrolments.union(assignments).subquery().c.person_id)


# --- what is due, per person (personalisation, reminders) ---------------------------------------------------------

@dataclass(frozen=True)
class DueItem:
    """An open course of a person, with its due date and the address of its page (a path under the site)."""

    person_id: int
    enrolment_id: int
    course_id: int
    title: str
    due_date: date | None
    overdue: bool
    started: bool
    path: str  # e.g. /learning/enrolments/12


def due_items(person_ids: list[int], on: date | None = None, *, with_undated: bool = True) -> dict[int, list[DueItem]]:
    """Each person's open required courses (and self-chosen ones), soonest due first; undated ones last."""
    on = on or today()
    found: dict[int, list[DueItem]] = defaultdict(list)
    for start in range(0, len(person_ids), 2000):
        chunk = person_ids[start:start + 2000]
        query = (select(Enrolment.id, Enrolment.person_id, Enrolment.course_id, Course.title, Enrolment.due_date,
                        Enrolment.started_at)
                 .join(Course, Course.id == Enrolment.course_id)
                 .where(Enrolment.person_id.in_(chunk), Enrolment.status.in_(OPEN)))
        if not with_undated:
            query = query.where(Enrolment.due_date.is_not(None))
        for row in db.session.execute(query):
            found[row.person_id].append(DueItem(row.person_id, row.id, row.course_id, row.title, row.due_date,
                                                bool(row.due_date and row.due_date < on), row.started_at is not None,
                                                enrolment_path(row.id)))
    for items in found.values():
        items.sort(key=lambda i: (i.due_date is None, i.due_date or on, i.title))
    return dict(found)


def due_between(first: date, last: date) -> list[DueItem]:
    """Open required enrolments due on a day from ``first`` to ``last`` (inclusive), for reminders."""
    return _due_where(and_(Enrolment.due_date >= first, Enrolment.due_date <= last), first)


def overdue_on(day: date) -> list[DueItem]:
    """Open required enrolments whose due date is before ``day``, for overdue notices."""
    return _due_where(Enrolment.due_date < day, day)


def _due_where(condition, on: date) -> list[DueItem]:
    rows = db.session.execute(
        select(Enrolment.id, Enrolment.person_id, Enrolment.course_id, Course.title, Enrolment.due_date,
               Enrolment.started_at).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.status.in_(OPEN), Enrolment.source.in_(_REQUIRED_SOURCES),
               Enrolment.remedial_module.is_(None), condition)
        .order_by(Enrolment.person_id, Enrolment.due_date, Enrolment.id))
    return [DueItem(r.person_id, r.id, r.course_id, r.title, r.due_date, bool(r.due_date and r.due_date < on),
                    r.started_at is not None, enrolment_path(r.id)) for r in rows]


@dataclass(frozen=True)
class AssignedPath:
    person_id: int
    assignment_id: int
    path_id: int
    title: str
    due_date: date | None
    status: str  # assigned | completed
    course_titles: tuple[str, ...]


def assigned_paths(person_ids: list[int]) -> dict[int, list[AssignedPath]]:
    """Each person's current path assignments (for a welcome mail: "your learning path")."""
    found: dict[int, list[AssignedPath]] = defaultdict(list)
    for start in range(0, len(person_ids), 2000):
        chunk = person_ids[start:start + 2000]
        for assignment in db.session.scalars(select(PathAssignment).where(
                PathAssignment.person_id.in_(chunk), PathAssignment.status.in_(_CURRENT_ASSIGNMENT))
                .order_by(PathAssignment.assigned_at, PathAssignment.id)):
            path = assignment.path
            found[assignment.person_id].append(AssignedPath(
                assignment.person_id, assignment.id, path.id, path.title, assignment.due_date, assignment.status,
                tuple(step.course.title for step in path.steps)))
    return dict(found)


def enrolment_path(enrolment_id: int) -> str:
    """The learner's page of an enrolment, as a path under the site (prefix ``LMS_BASE_URL`` for a mail)."""
    return _build("courses.course", enrolment_id=enrolment_id)


def my_learning_path() -> str:
    """The learner's My learning page, as a path under the site."""
    return _build("courses.learning")


def _build(endpoint: str, **values) -> str:
    # Outside a request (the worker), url_for needs SERVER_NAME; a bare adapter builds the path alone.
    return current_app.url_map.bind("localhost").build(endpoint, values)


@dataclass(frozen=True)
class WeakQuestion:
    """A quiz question these people answer wrongly most often, with the lessons of its module (what teaches it)."""

    course_id: int
    course_title: str
    quiz_title: str
    prompt: str
    topic: str
    answered: int
    right: int
    lessons: tuple[str, ...]

    @property
    def share_right(self) -> float:
        return self.right / self.answered if self.answered else 0.0


def weakest_questions(person_ids: list[int], most: int = 5) -> list[WeakQuestion]:
    """The ``most`` questions these people (a manager's team, say) got right least often in submitted attempts,
    weakest first, over the newest version of each course (questions nobody answered are left out)."""
    from courses.results import question_figures

    if not person_ids:
        return []
    figures = question_figures(person_ids=person_ids)
    return [WeakQuestion(f.course_id, f.course_title, f.quiz_title, f.prompt, f.topic, f.answered, f.right,
                         tuple(f.lessons)) for f in figures[:most]]


# --- Markdown (comms renders mail bodies with the lessons' renderer) -------------------------------------------------

def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML with exactly the renderer and nh3 allowlist lessons use (no script, no style, no
    event handlers; links http/https/mailto; images from this site or https).

    Raises :class:`lms.errors.DomainError` (``LessonTooComplex``, with ``line``) for text outside the bounds that
    keep rendering cheap; its message names the line."""
    from courses.markdown import render

    return render(text)
