"""The learner's overview: My learning's sections, the courses a learner may enrol in, the catalogue."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, or_, select

from courses.enrolment import enrol
from courses.learning import locked_by, required_keys
from courses.models import Course, Enrolment, LessonProgress, PathAssignment
from lms.errors import NotFound
from lms.extensions import db
from lms.people.models import Person

# --- courses open to the learner ---------------------------------------------------------------------------------

def available_courses(person: Person) -> list[Course]:
    """Published courses aimed at the person's job role that they are not enrolled in: they may enrol themselves."""
    if person.job_role_id is None:
        return []
    from courses.models import course_job_role

    taken = select(Enrolment.course_id).where(Enrolment.person_id == person.id, Enrolment.status != "replaced")
    return list(db.session.scalars(
        select(Course).join(course_job_role, course_job_role.c.course_id == Course.id)
        .where(course_job_role.c.job_role_id == person.job_role_id, Course.status == "published",
               Course.kind != "remedial", Course.id.not_in(taken))
        .order_by(Course.title)))


def open_to(person: Person) -> Select:
    """Published, non-remedial courses a person may take: aimed at their job role, or at no role in particular."""
    from courses.models import course_job_role

    aimed = select(course_job_role.c.course_id)
    mine = aimed.where(course_job_role.c.job_role_id == person.job_role_id)
    return select(Course).where(Course.status == "published", Course.kind != "remedial",
                                or_(Course.id.in_(mine), Course.id.not_in(aimed)))


@dataclass(frozen=True)
class CatalogueEntry:
    course: Course
    enrolment: Enrolment | None  # the learner's current (or finished) enrolment in it


def catalogue(person: Person, search: str = "") -> list[CatalogueEntry]:
    """The courses open to the person, matching ``search`` in the title or summary (every word), by title."""
    query = open_to(person)
    for word in search.split()[:8]:
        pattern = "%" + word.replace("\\", "").replace("%", "").replace("_", "") + "%"
        query = query.where(or_(Course.title.ilike(pattern), Course.summary.ilike(pattern)))
    courses = list(db.session.scalars(query.order_by(Course.title)))
    mine = {}
    for enrolment in db.session.scalars(select(Enrolment).where(
            Enrolment.person_id == person.id, Enrolment.course_id.in_([c.id for c in courses]),
            Enrolment.remedial_module.is_(None), Enrolment.status.not_in(("replaced", "withdrawn")))
            .order_by(Enrolment.assigned_at)):
        mine[enrolment.course_id] = enrolment
    return [CatalogueEntry(course, mine.get(course.id)) for course in courses]


def enrol_self(person: Person, course_id: int) -> Enrolment:
    """Enrol in a course open to the person (NotFound for any other course)."""
    course = db.session.scalar(open_to(person).where(Course.id == course_id))
    if course is None:
        raise NotFound("That course is not open to you.")
    return enrol(person, course, source="self")


# --- the learner's overview --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LearningItem:
    enrolment: Enrolment
    lessons_done: int
    lessons_total: int
    locked_by: Course | None

    @property
    def percent(self) -> int:
        return 100 if self.enrolment.status == "completed" else (
            int(100 * self.lessons_done / self.lessons_total) if self.lessons_total else 0)


def my_learning(person: Person, on: date, soon_days: int = 7) -> dict[str, list[LearningItem]]:
    """The learner's enrolments sorted into: overdue, due_soon, in_progress, assigned, completed."""
    enrolments = db.session.scalars(select(Enrolment).where(
        Enrolment.person_id == person.id, Enrolment.status.not_in(("replaced", "withdrawn")))
        .order_by(Enrolment.due_date.is_(None), Enrolment.due_date, Enrolment.assigned_at)).all()
    done_counts = dict(db.session.execute(
        select(LessonProgress.enrolment_id, func.count()).where(
            LessonProgress.enrolment_id.in_([e.id for e in enrolments]), LessonProgress.completed_at.is_not(None))
        .group_by(LessonProgress.enrolment_id)).all())
    groups: dict[str, list[LearningItem]] = {k: [] for k in ("overdue", "due_soon", "in_progress", "assigned",
                                                              "completed")}
    for enrolment in enrolments:
        lessons, _quizzes = required_keys(enrolment)
        item = LearningItem(enrolment, done_counts.get(enrolment.id, 0), len(lessons), locked_by(enrolment))
        if enrolment.status in ("completed", "waived"):
            groups["completed"].append(item)
        elif enrolment.due_date and enrolment.due_date < on:
            groups["overdue"].append(item)
        elif enrolment.due_date and (enrolment.due_date - on).days <= soon_days:
            groups["due_soon"].append(item)
        elif enrolment.status == "in_progress":
            groups["in_progress"].append(item)
        else:
            groups["assigned"].append(item)
    return groups


def path_notes(person: Person, assignments: list[PathAssignment]) -> dict[int, list[str]]:
    """Why a path cannot be started yet when its courses wait on another, ordered path (a course two paths share
    is one enrolment, which belongs to the path that assigned it first): assignment id -> sentences."""
    open_enrolments = {e.course_id: e for e in db.session.scalars(select(Enrolment).where(
        Enrolment.person_id == person.id, Enrolment.status.in_(("assigned", "in_progress")),
        Enrolment.remedial_module.is_(None)))}
    notes: dict[int, list[str]] = {}
    for assignment in assignments:
        for step in assignment.path.steps:
            enrolment = open_enrolments.get(step.course_id)
            if enrolment is None or enrolment.assignment_id in (None, assignment.id):
                continue
            blocker = locked_by(enrolment)
            if blocker is not None:
                owner = db.session.get(PathAssignment, enrolment.assignment_id)
                notes.setdefault(assignment.id, []).append(
                    f"“{step.course.title}” opens after “{blocker.title}”: your path “{owner.path.title}” is taken "
                    "in order.")
    return notes
