"""What a learner does: open lessons, complete them, take quizzes; completion of courses and paths; remedial
training when a quiz is failed."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import defer

from courses import events
from courses.enrolment import OPEN, add_months, enrol
from courses.models import Course, CourseVersion, Enrolment, LessonProgress, PathAssignment, QuizAttempt
from lms import signals
from lms.errors import DomainError, NotFound
from lms.extensions import db
from lms.people.models import Person
from lms.signals import AnswerEvent, CourseEvent, LessonEvent, PathEvent, QuizOutcome, RemedialEvent
from lms.types import utcnow

# --- version content (immutable, so cached per process) -------------------------------------------------------

@dataclass(frozen=True)
class Outline:
    """A version's content with lookups: items in order, by key, and which module holds each."""

    content: dict[str, Any]
    items: tuple[dict[str, Any], ...]
    by_key: dict[str, dict[str, Any]]
    module_of: dict[str, dict[str, Any]]

    @property
    def lesson_keys(self) -> list[str]:
        return [i["key"] for i in self.items if i["type"] == "lesson"]

    @property
    def quiz_keys(self) -> list[str]:
        return [i["key"] for i in self.items if i["type"] == "quiz"]


@lru_cache(maxsize=256)
def _outline(version_id: int, stamp: str) -> Outline:
    content = db.session.scalar(select(CourseVersion.content).where(CourseVersion.id == version_id))
    items, by_key, module_of = [], {}, {}
    for module in content["modules"]:
        for item in module["items"]:
            items.append(item)
            by_key[item["key"]] = item
            module_of[item["key"]] = module
    return Outline(content, tuple(items), by_key, module_of)


def outline(version: CourseVersion) -> Outline:
    # The stamp guards against a reused id (a database rebuilt under a running process).
    return _outline(version.id, f"{version.course_id}:{version.number}:{version.published_at.isoformat()}")


def version_of(enrolment: Enrolment) -> CourseVersion:
    return db.session.scalar(select(CourseVersion).options(defer(CourseVersion.content))
                             .where(CourseVersion.id == enrolment.version_id))


# --- access ---------------------------------------------------------------------------------------------------

def learner_enrolment(person: Person, enrolment_id: int) -> Enrolment:
    """An enrolment of ``person`` (never someone else's)."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.person_id != person.id or enrolment.status == "replaced":
        raise NotFound("There is no such course in your learning.")
    return enrolment


def learner_attempt(person: Person, attempt_id: int) -> tuple[QuizAttempt, Enrolment]:
    """An attempt of ``person`` and its enrolment (NotFound for anyone else's)."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None:
        raise NotFound("There is no such attempt.")
    return attempt, learner_enrolment(person, attempt.enrolment_id)


def my_paths(person: Person) -> list[PathAssignment]:
    """The person's current path assignments (not the expired ones), soonest due first."""
    return list(db.session.scalars(select(PathAssignment).where(
        PathAssignment.person_id == person.id, PathAssignment.status.not_in(("expired", "withdrawn")))
        .order_by(PathAssignment.due_date.is_(None), PathAssignment.due_date, PathAssignment.assigned_at.desc())))


def submitted_attempts(enrolment: Enrolment, quiz_key: str) -> list[QuizAttempt]:
    """Submitted attempts at one quiz of an enrolment, oldest first."""
    return list(db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.quiz_key == quiz_key,
        QuizAttempt.submitted_at.is_not(None)).order_by(QuizAttempt.number)))


def passed_quiz_keys(enrolment: Enrolment) -> set[str]:
    return set(db.session.scalars(select(QuizAttempt.quiz_key).where(
        QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.passed.is_(True))))


def locked_by(enrolment: Enrolment) -> Course | None:
    """In an ordered path, the earlier course that must be finished first (None when open)."""
    if enrolment.assignment_id is None or enrolment.status == "completed":
        return None
    assignment = db.session.get(PathAssignment, enrolment.assignment_id)
    if assignment is None or not assignment.path.ordered:
        return None
    for step in assignment.path.steps:
        if step.course_id == enrolment.course_id:
            return None
        done = db.session.scalar(select(func.count()).select_from(Enrolment).where(
            Enrolment.person_id == enrolment.person_id, Enrolment.course_id == step.course_id,
            Enrolment.status == "completed"))
        if not done:
            return step.course
    return None


class CourseLocked(DomainError):
    """A later course of an ordered path, opened before the earlier one is done."""

    def __init__(self, enrolment: Enrolment, blocker: Course) -> None:
        super().__init__(f"Finish “{blocker.title}” first: this learning path is taken in order.")
        self.enrolment = enrolment


def _require_open(enrolment: Enrolment) -> None:
    blocker = locked_by(enrolment)
    if blocker is not None:
        raise CourseLocked(enrolment, blocker)


# --- lessons ----------------------------------------------------------------------------------------------------

def progress_map(enrolment: Enrolment) -> dict[str, LessonProgress]:
    return {p.lesson_key: p for p in db.session.scalars(
        select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id))}


def view_lesson(enrolment: Enrolment, lesson_key: str) -> dict[str, Any]:
    """Record that the learner opened a lesson; return the lesson."""
    lesson = _item(enrolment, lesson_key, "lesson")
    _require_open(enrolment)
    now = utcnow()
    if enrolment.started_at is None:
        enrolment.started_at, enrolment.status = now, "in_progress"
    progress = db.session.get(LessonProgress, (enrolment.id, lesson_key))
    if progress is None:
        db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_key=lesson_key, first_viewed_at=now))
    db.session.flush()
    signals.lesson_viewed.send(None, event=LessonEvent(events.learner_ref(enrolment.person),
                                                       events.place_ref(enrolment, lesson_key),
                                                       events.item_ref(lesson), now))
    return lesson


def complete_lesson(enrolment: Enrolment, lesson_key: str) -> None:
    lesson = _item(enrolment, lesson_key, "lesson")
    _require_open(enrolment)
    progress = db.session.get(LessonProgress, (enrolment.id, lesson_key))
    if progress is None:
        view_lesson(enrolment, lesson_key)
        progress = db.session.get(LessonProgress, (enrolment.id, lesson_key))
    if progress.completed_at is None:
        progress.completed_at = utcnow()
        db.session.flush()
        signals.lesson_completed.send(None, event=LessonEvent(
            events.learner_ref(enrolment.person), events.place_ref(enrolment, lesson_key), events.item_ref(lesson),
            progress.completed_at))
        _check_completion(enrolment)


def _item(enrolment: Enrolment, key: str, kind: str) -> dict[str, Any]:
    item = outline(version_of(enrolment)).by_key.get(key)
    if item is None or item["type"] != kind:
        raise NotFound(f"There is no such {kind} in this course.")
    return item


# --- quizzes ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuizState:
    attempts_used: int
    attempts_allowed: int  # 0 = unlimited
    passed: bool
    blocked_by: Enrolment | None  # an unfinished remedial enrolment
    open_attempt: QuizAttempt | None

    @property
    def attempts_left(self) -> int | None:
        return None if not self.attempts_allowed else max(0, self.attempts_allowed - self.attempts_used)

    @property
    def can_start(self) -> bool:
        return self.blocked_by is None and (self.attempts_left is None or self.attempts_left > 0)


def quiz_state(enrolment: Enrolment, quiz_key: str) -> QuizState:
    quiz = _item(enrolment, quiz_key, "quiz")
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.enrolment_id == enrolment.id,
                                                            QuizAttempt.quiz_key == quiz_key)).all()
    used = [a for a in attempts if a.submitted_at is not None]
    blocker = db.session.scalar(select(Enrolment).where(
        Enrolment.unlocks_enrolment_id == enrolment.id, Enrolment.unlocks_quiz_key == quiz_key,
        Enrolment.status.in_(OPEN)))
    return QuizState(len(used), quiz["attempts"] or 0, any(a.passed for a in used), blocker,
                     next((a for a in attempts if a.submitted_at is None), None))


def start_attempt(enrolment: Enrolment, quiz_key: str, rng: random.Random | None = None) -> QuizAttempt:
    """Draw the questions for a new attempt (or return the one in progress)."""
    quiz = _item(enrolment, quiz_key, "quiz")
    _require_open(enrolment)
    state = quiz_state(enrolment, quiz_key)
    if state.open_attempt is not None:
        return state.open_attempt
    if state.blocked_by is not None:
        raise DomainError(f"Finish the remedial module in “{state.blocked_by.course.title}” before trying again.")
    if not state.can_start:
        raise DomainError("You have used every attempt at this quiz. Ask your trainer to review it with you.")
    keys = [q["key"] for q in quiz["questions"]]
    draw = quiz.get("draw") or len(keys)
    chosen = (rng or random.SystemRandom()).sample(keys, min(draw, len(keys)))
    attempt = QuizAttempt(enrolment_id=enrolment.id, quiz_key=quiz_key, number=state.attempts_used + 1,
                          question_keys=chosen, answers={})
    if enrolment.started_at is None:
        enrolment.started_at, enrolment.status = utcnow(), "in_progress"
    db.session.add(attempt)
    db.session.flush()
    return attempt


def correct_options(question: dict[str, Any]) -> list[int]:
    return [i for i, option in enumerate(question["options"]) if option.get("correct")]


def submit_attempt(attempt: QuizAttempt, answers: dict[str, list[int]]) -> QuizAttempt:
    """Mark an attempt on the server. A question left unanswered counts as wrong."""
    if attempt.submitted_at is not None:
        raise DomainError("This attempt was already submitted.")
    enrolment = attempt.enrolment
    quiz = _item(enrolment, attempt.quiz_key, "quiz")
    questions = {q["key"]: q for q in quiz["questions"]}
    person = enrolment.person
    learner, place, quiz_ref, now = (events.learner_ref(person), events.place_ref(enrolment, attempt.quiz_key),
                                     events.item_ref(quiz), utcnow())
    score, clean = 0, {}
    for key in attempt.question_keys:
        question = questions[key]
        chosen = sorted({i for i in answers.get(key, []) if 0 <= i < len(question["options"])})
        if question["type"] != "multiple":
            chosen = chosen[:1]
        correct = chosen == correct_options(question)
        score += correct
        clean[key] = chosen
        signals.quiz_answered.send(None, event=AnswerEvent(learner, place, quiz_ref, attempt.id,
                                                           events.question_ref(question), tuple(chosen), correct, now))
    attempt.answers, attempt.score, attempt.max_score = clean, score, len(attempt.question_keys)
    attempt.submitted_at = now
    attempt.passed = score * 100 >= quiz["pass_mark"] * attempt.max_score
    db.session.flush()
    outcome = QuizOutcome(learner, place, quiz_ref, attempt.id, attempt.number, bool(attempt.passed), score,
                          attempt.max_score, attempt.started_at, attempt.submitted_at)
    if attempt.passed:
        signals.quiz_passed.send(None, event=outcome)
        _check_completion(enrolment)
    else:
        signals.quiz_failed.send(None, event=outcome)
        _assign_remedial(enrolment, attempt, quiz)
    return attempt


def _assign_remedial(enrolment: Enrolment, attempt: QuizAttempt, quiz: dict[str, Any]) -> None:
    if not quiz.get("remedial"):
        return
    course_slug, _, module_slug = quiz["remedial"].partition("/")
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None or course.status != "published":
        return  # a missing remedial course must not stop the learner from retrying
    remedial = enrol(enrolment.person, course, source="remedial", remedial_module=module_slug,
                     unlocks=(enrolment.id, attempt.quiz_key), due_date=enrolment.due_date)
    signals.remedial_assigned.send(None, event=RemedialEvent(
        events.learner_ref(enrolment.person), events.place_ref(remedial), events.place_ref(enrolment, attempt.quiz_key),
        events.item_ref(quiz)))


# --- completion -------------------------------------------------------------------------------------------------

def required_keys(enrolment: Enrolment) -> tuple[list[str], list[str]]:
    """(lesson keys, quiz keys) the enrolment must finish; a remedial enrolment needs its module's lessons."""
    plan = outline(version_of(enrolment))
    if enrolment.remedial_module:
        items = [i for i in plan.items if plan.module_of[i["key"]]["slug"] == enrolment.remedial_module]
        return [i["key"] for i in items if i["type"] == "lesson"], []
    return plan.lesson_keys, plan.quiz_keys


def _check_completion(enrolment: Enrolment) -> None:
    if enrolment.status == "completed":
        return
    lessons, quizzes = required_keys(enrolment)
    done = {p.lesson_key for p in progress_map(enrolment).values() if p.completed_at}
    if not (set(lessons) <= done and set(quizzes) <= passed_quiz_keys(enrolment)):
        return
    enrolment.status, enrolment.completed_at = "completed", utcnow()
    db.session.flush()
    signals.course_completed.send(None, event=CourseEvent(events.learner_ref(enrolment.person),
                                                          events.place_ref(enrolment), enrolment.started_at,
                                                          enrolment.completed_at))
    if enrolment.assignment_id:
        _check_path(db.session.get(PathAssignment, enrolment.assignment_id))


def _check_path(assignment: PathAssignment | None) -> None:
    if assignment is None or assignment.status != "assigned":
        return
    course_ids = [step.course_id for step in assignment.path.steps]
    completed = set(db.session.scalars(select(Enrolment.course_id).where(
        Enrolment.person_id == assignment.person_id, Enrolment.course_id.in_(course_ids),
        Enrolment.status == "completed")))
    if set(course_ids) <= completed:
        assignment.status, assignment.completed_at = "completed", utcnow()
        if assignment.path.recertify_months:
            assignment.expires_on = add_months(assignment.completed_at.date(), assignment.path.recertify_months)
        db.session.flush()
        path = assignment.path
        signals.path_completed.send(None, event=PathEvent(events.learner_ref(assignment.person), assignment.id,
                                                          path.id, path.slug, path.title, assignment.completed_at))


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


def enrol_self(person: Person, course_id: int) -> Enrolment:
    """Enrol in a course aimed at one's own role (NotFound for any other course)."""
    course = next((c for c in available_courses(person) if c.id == course_id), None)
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
        if enrolment.status == "completed":
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
