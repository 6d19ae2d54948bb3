"""What a learner does: open lessons, complete them, take quizzes; completion of courses and paths; remedial
training when a quiz is failed."""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defer

from courses import assessment, events
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

    def resolve(self, ref: str) -> dict[str, Any] | None:
        """An item by its key or, for a lesson, its readable slug (old addresses used the key)."""
        found = self.by_key.get(ref)
        if found is None:
            found = next((i for i in self.items if i["type"] == "lesson" and i.get("slug") == ref), None)
        return found

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
            Enrolment.status.in_(("completed", "waived"))))
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
    lesson_key = lesson["key"]  # it may have been named by its slug
    _require_open(enrolment)
    now = utcnow()
    if enrolment.started_at is None:
        enrolment.started_at, enrolment.status = now, "in_progress"
    if db.session.get(LessonProgress, (enrolment.id, lesson_key)) is None:
        # Two tabs (or two workers) may open the same lesson at once: the second insert is a no-op, not a 500.
        insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
        db.session.execute(insert(LessonProgress).values(enrolment_id=enrolment.id, lesson_key=lesson_key,
                                                         first_viewed_at=now)
                           .on_conflict_do_nothing(index_elements=["enrolment_id", "lesson_key"]))
    db.session.flush()
    signals.lesson_viewed.send(None, event=LessonEvent(events.learner_ref(enrolment.person),
                                                       events.place_ref(enrolment, lesson_key),
                                                       events.item_ref(lesson), now))
    return lesson


def complete_lesson(enrolment: Enrolment, lesson_key: str, *, scrolled: bool = True) -> None:
    """Mark a lesson complete. A course may ask for a minimum time on the lesson and/or that the learner scrolled
    to its end (``scrolled``, reported by the lesson page); otherwise it raises a DomainError saying what is left."""
    lesson = _item(enrolment, lesson_key, "lesson")
    lesson_key = lesson["key"]  # it may have been named by its slug
    _require_open(enrolment)
    progress = db.session.get(LessonProgress, (enrolment.id, lesson_key))
    if progress is None:
        view_lesson(enrolment, lesson_key)
        progress = db.session.get(LessonProgress, (enrolment.id, lesson_key))
    if progress.completed_at is None:
        content = outline(version_of(enrolment)).content
        minimum = int(content.get("min_lesson_seconds") or 0)
        spent = (utcnow() - progress.first_viewed_at).total_seconds()
        if minimum and spent < minimum:
            left = int(minimum - spent) + 1
            raise DomainError(f"Take your time with this lesson: it can be marked complete in {left} second"
                              f"{'' if left == 1 else 's'}.")
        if content.get("require_scroll") and not scrolled:
            raise DomainError("Read the lesson to its end before marking it complete.")
        progress.completed_at = utcnow()
        db.session.flush()
        signals.lesson_completed.send(None, event=LessonEvent(
            events.learner_ref(enrolment.person), events.place_ref(enrolment, lesson_key), events.item_ref(lesson),
            progress.completed_at))
        _check_completion(enrolment)


def _item(enrolment: Enrolment, key: str, kind: str) -> dict[str, Any]:
    item = outline(version_of(enrolment)).resolve(key)
    if item is None or item["type"] != kind:
        raise NotFound(f"There is no such {kind} in this course.")
    return item


# --- quizzes ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuizState:
    attempts_used: int
    attempts_allowed: int  # 0 = unlimited (extra attempts granted by a trainer included)
    passed: bool
    blocked_by: Enrolment | None  # an unfinished remedial enrolment
    open_attempt: QuizAttempt | None
    lessons_needed: tuple[str, ...] = ()  # titles of the module's lessons still to do (quiz opens after them)

    @property
    def attempts_left(self) -> int | None:
        return None if not self.attempts_allowed else max(0, self.attempts_allowed - self.attempts_used)

    @property
    def can_start(self) -> bool:
        return (self.blocked_by is None and not self.lessons_needed
                and (self.attempts_left is None or self.attempts_left > 0))

    @property
    def out_of_attempts(self) -> bool:
        return not self.passed and self.attempts_left == 0


def quiz_state(enrolment: Enrolment, quiz_key: str) -> QuizState:
    quiz = _item(enrolment, quiz_key, "quiz")
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.enrolment_id == enrolment.id,
                                                            QuizAttempt.quiz_key == quiz_key)).all()
    used = [a for a in attempts if a.submitted_at is not None and a.reset_at is None]
    blocker = db.session.scalar(select(Enrolment).where(
        Enrolment.unlocks_enrolment_id == enrolment.id, Enrolment.unlocks_quiz_key == quiz_key,
        Enrolment.status.in_(OPEN)))
    allowed = quiz["attempts"] or 0
    if allowed:
        allowed += int((enrolment.extra_attempts or {}).get(quiz_key, 0))
    needed: tuple[str, ...] = ()
    if quiz.get("lessons_first"):
        plan = outline(version_of(enrolment))
        done = {k for k, p in progress_map(enrolment).items() if p.completed_at}
        needed = tuple(i["title"] for i in plan.module_of[quiz["key"]]["items"]
                       if i["type"] == "lesson" and i["key"] not in done)
    return QuizState(len(used), allowed, any(a.passed for a in attempts if a.submitted_at), blocker,
                     next((a for a in attempts if a.submitted_at is None), None), needed)


def shuffles(question: dict[str, Any]) -> bool:
    """Whether a question's options are shown in a new order each attempt (never true/false)."""
    return question["type"] != "true_false" and question.get("shuffle", True)


def start_attempt(enrolment: Enrolment, quiz_key: str, rng: random.Random | None = None) -> QuizAttempt:
    """Draw the questions for a new attempt, each with its options in a shuffled order that stays the same for
    the whole attempt (or return the attempt in progress)."""
    quiz = _item(enrolment, quiz_key, "quiz")
    _require_open(enrolment)
    state = quiz_state(enrolment, quiz_key)
    if state.open_attempt is not None:
        return state.open_attempt
    if state.blocked_by is not None:
        raise DomainError(f"Finish the remedial module in “{state.blocked_by.course.title}” before trying again.")
    if state.lessons_needed:
        raise DomainError("This quiz opens when you have completed the module's lessons: "
                          + ", ".join(f"“{t}”" for t in state.lessons_needed) + ".")
    if not state.can_start:
        raise DomainError("You have used every attempt at this quiz. " + assessment.who_can_help(enrolment))
    rng = rng or random.SystemRandom()
    keys = [q["key"] for q in quiz["questions"]]
    draw = quiz.get("draw") or len(keys)
    chosen = rng.sample(keys, min(draw, len(keys)))
    by_key = {q["key"]: q for q in quiz["questions"]}
    orders = {}
    for key in chosen:
        order = list(range(len(by_key[key]["options"])))
        if shuffles(by_key[key]):
            rng.shuffle(order)
        orders[key] = order
    number = (db.session.scalar(select(func.max(QuizAttempt.number)).where(
        QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.quiz_key == quiz_key)) or 0) + 1  # resets leave gaps
    attempt = QuizAttempt(enrolment_id=enrolment.id, quiz_key=quiz_key, number=number,
                          question_keys=chosen, answers={}, option_orders=orders)
    if enrolment.started_at is None:
        enrolment.started_at, enrolment.status = utcnow(), "in_progress"
    db.session.add(attempt)
    db.session.flush()
    return attempt


def correct_options(question: dict[str, Any]) -> list[int]:
    return [i for i, option in enumerate(question["options"]) if option.get("correct")]


def mark(question: dict[str, Any], answer: list[int]) -> tuple[list[int], bool]:
    """The chosen option indexes as kept (valid ones, one for a single-answer question) and whether they are right.
    Writes nothing: the trainer's preview marks with it too."""
    chosen = sorted({i for i in answer if 0 <= i < len(question["options"])})
    if question["type"] != "multiple":
        chosen = chosen[:1]
    return chosen, chosen == correct_options(question)


def submit_attempt(attempt: QuizAttempt, answers: dict[str, list[int]]) -> QuizAttempt:
    """Mark an attempt on the server. Answers are option indexes in the question's own order (whatever order the
    attempt showed them in). A question left unanswered counts as wrong."""
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
        chosen, correct = mark(question, answers.get(key, []))
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
    if not enrolment.remedial_module:  # a remedial module ends as "remedial done", without a certificate
        enrolment.certificate_ref = secrets.token_urlsafe(18)
    db.session.flush()
    signals.course_completed.send(None, event=CourseEvent(events.learner_ref(enrolment.person),
                                                          events.place_ref(enrolment), enrolment.started_at,
                                                          enrolment.completed_at))
    if enrolment.assignment_id:
        check_path(db.session.get(PathAssignment, enrolment.assignment_id))


def check_path(assignment: PathAssignment | None) -> None:
    """Complete a path assignment whose every course is completed (or waived)."""
    if assignment is None or assignment.status != "assigned":
        return
    course_ids = [step.course_id for step in assignment.path.steps]
    completed = set(db.session.scalars(select(Enrolment.course_id).where(
        Enrolment.person_id == assignment.person_id, Enrolment.course_id.in_(course_ids),
        Enrolment.status.in_(("completed", "waived")), Enrolment.remedial_module.is_(None))))
    if set(course_ids) <= completed:
        assignment.status, assignment.completed_at = "completed", utcnow()
        if assignment.path.recertify_months:
            assignment.expires_on = add_months(assignment.completed_at.date(), assignment.path.recertify_months)
        db.session.flush()
        path = assignment.path
        signals.path_completed.send(None, event=PathEvent(events.learner_ref(assignment.person), assignment.id,
                                                          path.id, path.slug, path.title, assignment.completed_at))
