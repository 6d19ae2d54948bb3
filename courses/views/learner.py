"""The learner's pages: My learning, the course outline, the lesson player, the quiz player, certificates.

Every page starts from ``learning.learner_enrolment(current_user, id)``, so a learner only ever reaches their
own enrolments and attempts; anything else is a 404. Answers are marked on the server only: the question page
gets prompts and option texts, never which option is right.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from courses import assessment, learning, overview
from courses.enrolment import today
from courses.models import Course, Enrolment, PathAssignment
from courses.views import bp
from lms.errors import DomainError
from lms.extensions import db
from lms.permissions import Permission, requires

SECTIONS = (("overdue", "Overdue"), ("due_soon", "Due soon"), ("in_progress", "In progress"),
            ("assigned", "Assigned"), ("completed", "Completed"))


# --- how a course reads to its learner --------------------------------------------------------------------------

@dataclass(frozen=True)
class CourseView:
    """An enrolment's version outline with the learner's progress: what is done, what comes next."""

    enrolment: Enrolment
    plan: learning.Outline
    modules: list[dict[str, Any]]  # the modules this enrolment works through, in order
    sequence: list[dict[str, Any]]  # their lessons and quizzes, in order
    done: set[str]  # completed lesson keys
    passed: set[str]  # passed quiz keys
    locked_by: Course | None  # in an ordered path, the course to finish first

    @property
    def lessons(self) -> list[dict[str, Any]]:
        return [item for item in self.sequence if item["type"] == "lesson"]

    def finished(self, item: dict[str, Any]) -> bool:
        return item["key"] in (self.done if item["type"] == "lesson" else self.passed)

    def next_unfinished(self) -> dict[str, Any] | None:
        return next((item for item in self.sequence if not self.finished(item)), None)

    def neighbours(self, key: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        keys = [item["key"] for item in self.sequence]
        if key not in keys:
            return None, None
        index = keys.index(key)
        return (self.sequence[index - 1] if index else None,
                self.sequence[index + 1] if index + 1 < len(self.sequence) else None)


def _course_view(enrolment: Enrolment, *, check_lock: bool = True) -> CourseView:
    plan = learning.outline(learning.version_of(enrolment))
    modules = [m for m in plan.content["modules"]
               if not enrolment.remedial_module or m["slug"] == enrolment.remedial_module]
    sequence = [item for module in modules for item in module["items"]]
    done = {key for key, p in learning.progress_map(enrolment).items() if p.completed_at}
    passed = learning.passed_quiz_keys(enrolment)
    return CourseView(enrolment, plan, modules, sequence, done, passed,
                      learning.locked_by(enrolment) if check_lock else None)


@bp.app_template_global("learner_item_url")
def item_url(enrolment: Enrolment, item: dict[str, Any] | None) -> str:
    """The page of a lesson or quiz of the enrolment; the course page when there is no item."""
    if item is None:
        return url_for("courses.course", enrolment_id=enrolment.id)
    if item["type"] == "lesson":  # a readable slug when the version has one; the key still works
        return url_for("courses.lesson", enrolment_id=enrolment.id, key=item.get("slug") or item["key"])
    return url_for("courses.quiz", enrolment_id=enrolment.id, key=item["key"])


@bp.errorhandler(learning.CourseLocked)
def _course_locked(error: learning.CourseLocked) -> Response:
    """An ordered path's later course stays closed until the earlier one is done: say so on the course page."""
    db.session.rollback()
    flash(error.message, "error")
    return redirect(url_for("courses.course", enrolment_id=error.enrolment.id))


def _question_for_learner(question: dict[str, Any], order: list[int]) -> dict[str, Any]:
    """What the question page may show, options in the attempt's order as (own index, text): never the right
    answers or their explanations."""
    return {"key": question["key"], "type": question["type"], "prompt": question["prompt"],
            "options": [(index, question["options"][index]["text"]) for index in order]}


# --- pages ------------------------------------------------------------------------------------------------------

@bp.route("/", endpoint="learning")
@requires(Permission.LEARNER)
def my_learning() -> str:
    groups = overview.my_learning(current_user, today())
    shown = [(key, label) for key, label in SECTIONS if groups[key]]
    paths = learning.my_paths(current_user)
    return render_template("courses/learner/my_learning.html", groups=groups, shown=shown,
                           paths=paths, notes=overview.path_notes(current_user, paths), today=today(),
                           available=overview.available_courses(current_user))


@bp.route("/course/<int:course_id>/enrol", methods=["POST"])
@requires(Permission.LEARNER)
def enrol_self(course_id: int) -> Response:
    enrolment = overview.enrol_self(current_user, course_id)
    db.session.commit()
    flash(f"You are enrolled in “{enrolment.course.title}”.", "success")
    return redirect(url_for("courses.course", enrolment_id=enrolment.id))


@bp.route("/e/<int:enrolment_id>")
@requires(Permission.LEARNER)
def course(enrolment_id: int) -> str:
    enrolment = learning.learner_enrolment(current_user, enrolment_id)
    view = _course_view(enrolment)
    quizzes = {item["key"]: (learning.quiz_state(enrolment, item["key"]),
                             learning.submitted_attempts(enrolment, item["key"]))
               for item in view.sequence if item["type"] == "quiz"}
    unlocks = db.session.get(Enrolment, enrolment.unlocks_enrolment_id) if enrolment.unlocks_enrolment_id else None
    locked_path = None
    if view.locked_by is not None and enrolment.assignment_id:
        locked_path = db.session.get(PathAssignment, enrolment.assignment_id).path.title
    return render_template("courses/learner/course.html", enrolment=enrolment, view=view, quizzes=quizzes,
                           version=learning.version_of(enrolment), unlocks=unlocks, locked_path=locked_path)


@bp.route("/e/<int:enrolment_id>/lesson/<key>")
@requires(Permission.LEARNER)
def lesson(enrolment_id: int, key: str) -> str | Response:
    enrolment = learning.learner_enrolment(current_user, enrolment_id)
    item = learning.view_lesson(enrolment, key)
    db.session.commit()
    key = item["key"]  # the address may name the lesson by its slug
    view = _course_view(enrolment, check_lock=False)  # open: view_lesson raised CourseLocked otherwise
    previous, following = view.neighbours(key)
    lesson_keys = [i["key"] for i in view.lessons]
    number = lesson_keys.index(key) + 1 if key in lesson_keys else None
    return render_template("courses/learner/lesson.html", enrolment=enrolment, view=view, item=item,
                           module=view.plan.module_of[key], previous=previous, following=following,
                           number=number, total=len(lesson_keys), checks=_lesson_checks(view))


def _lesson_checks(view: CourseView) -> dict[str, Any]:
    return {"seconds": int(view.plan.content.get("min_lesson_seconds") or 0),
            "scroll": bool(view.plan.content.get("require_scroll"))}


@bp.route("/e/<int:enrolment_id>/lesson/<key>/complete", methods=["POST"])
@requires(Permission.LEARNER)
def complete_lesson(enrolment_id: int, key: str) -> Response:
    enrolment = learning.learner_enrolment(current_user, enrolment_id)
    try:
        learning.complete_lesson(enrolment, key, scrolled=request.form.get("scrolled") == "1")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("courses.lesson", enrolment_id=enrolment.id, key=key))
    db.session.commit()
    key = learning.outline(learning.version_of(enrolment)).resolve(key)["key"]
    if enrolment.status == "completed":
        flash("Remedial done: your next attempt at the quiz is open." if enrolment.remedial_module
              else f"You completed “{enrolment.course.title}”. Well done!", "success")
        return redirect(url_for("courses.course", enrolment_id=enrolment.id))
    _previous, following = _course_view(enrolment, check_lock=False).neighbours(key)
    return redirect(item_url(enrolment, following))


@bp.route("/e/<int:enrolment_id>/quiz/<key>")
@requires(Permission.LEARNER)
def quiz(enrolment_id: int, key: str) -> str | Response:
    enrolment = learning.learner_enrolment(current_user, enrolment_id)
    state = learning.quiz_state(enrolment, key)
    view = _course_view(enrolment)
    if view.locked_by is not None:
        raise learning.CourseLocked(enrolment, view.locked_by)
    item = view.plan.by_key[key]
    previous, following = view.neighbours(key)
    return render_template("courses/learner/quiz.html", enrolment=enrolment, view=view, item=item, state=state,
                           attempts=learning.submitted_attempts(enrolment, key), module=view.plan.module_of[key],
                           previous=previous, following=following,
                           help=assessment.who_can_help(enrolment) if state.out_of_attempts else None)


@bp.route("/e/<int:enrolment_id>/quiz/<key>/start", methods=["POST"])
@requires(Permission.LEARNER)
def start_attempt(enrolment_id: int, key: str) -> Response:
    enrolment = learning.learner_enrolment(current_user, enrolment_id)
    attempt = learning.start_attempt(enrolment, key)
    db.session.commit()
    return redirect(url_for("courses.attempt", attempt_id=attempt.id))


@bp.route("/attempt/<int:attempt_id>", methods=["GET", "POST"])
@requires(Permission.LEARNER)
def attempt(attempt_id: int) -> str | Response:
    attempt, enrolment = learning.learner_attempt(current_user, attempt_id)
    if attempt.submitted_at is not None:
        if request.method == "POST":
            flash("This attempt was already submitted; here is its result.", "error")
        return redirect(url_for("courses.result", attempt_id=attempt.id))
    item = learning.outline(learning.version_of(enrolment)).by_key[attempt.quiz_key]
    questions = {q["key"]: q for q in item["questions"]}
    if request.method == "POST":
        answers = {key: [int(v) for v in request.form.getlist(f"q-{key}") if v.isdigit()]
                   for key in attempt.question_keys}
        learning.submit_attempt(attempt, answers)
        db.session.commit()
        return redirect(url_for("courses.result", attempt_id=attempt.id))
    shown = [_question_for_learner(questions[key], assessment.shown_order(attempt, questions[key]))
             for key in attempt.question_keys]
    return render_template("courses/learner/attempt.html", enrolment=enrolment, attempt=attempt, item=item,
                           questions=shown)


@bp.route("/attempt/<int:attempt_id>/result")
@requires(Permission.LEARNER)
def result(attempt_id: int) -> str | Response:
    attempt, enrolment = learning.learner_attempt(current_user, attempt_id)
    if attempt.submitted_at is None:
        return redirect(url_for("courses.attempt", attempt_id=attempt.id))
    view = _course_view(enrolment)
    item = view.plan.by_key[attempt.quiz_key]
    questions = {q["key"]: q for q in item["questions"]}
    state = learning.quiz_state(enrolment, attempt.quiz_key)
    reveal = assessment.shows_right_answers(item, attempt, state)
    feedback = []
    for key in attempt.question_keys:
        question, chosen = questions[key], attempt.answers.get(key, [])
        right = learning.correct_options(question)
        order = assessment.shown_order(attempt, question)
        feedback.append({"question": question, "chosen": [i for i in order if i in chosen],
                         "right": [i for i in order if i in right], "correct": chosen == right})
    _previous, following = view.neighbours(attempt.quiz_key)
    return render_template("courses/learner/result.html", enrolment=enrolment, attempt=attempt, item=item,
                           feedback=feedback, state=state, following=following, reveal=reveal,
                           help=assessment.who_can_help(enrolment) if state.out_of_attempts else None)


@bp.route("/e/<int:enrolment_id>/certificate")
@requires(Permission.LEARNER)
def certificate(enrolment_id: int) -> str:
    enrolment = learning.learner_enrolment(current_user, enrolment_id)
    if enrolment.status != "completed" or enrolment.remedial_module:
        abort(404)  # a remedial module ends as "remedial done": no certificate for the whole course
    return render_template("courses/learner/certificate.html", enrolment=enrolment,
                           version=learning.version_of(enrolment))
