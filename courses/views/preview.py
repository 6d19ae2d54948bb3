"""The trainer's preview of a course's draft, as a learner sees it: lessons, and quizzes that can be taken and are
marked, without creating any learning record (no enrolment, no progress, no attempt, no statement)."""
from __future__ import annotations

import random
from typing import Any

from flask import render_template, request

from courses import authoring, learning
from courses.views import bp
from lms.errors import NotFound
from lms.permissions import Permission, requires


def _draft(course_id: int) -> tuple[Any, dict[str, Any], list[dict[str, Any]]]:
    course = authoring.get_course(course_id)
    content = authoring.snapshot(course)
    return course, content, [item for module in content["modules"] for item in module["items"]]


def _find(items: list[dict[str, Any]], key: str, kind: str) -> tuple[dict[str, Any], dict | None, dict | None]:
    keys = [i["key"] for i in items]
    for index, item in enumerate(items):
        if item["key"] == key or (kind == "lesson" and item.get("slug") == key):
            if item["type"] != kind:
                break
            return item, items[index - 1] if index else None, items[index + 1] if index + 1 < len(keys) else None
    raise NotFound(f"There is no such {kind} in this course.")


@bp.route("/author/courses/<int:course_id>/preview")
@requires(Permission.TRAINER)
def author_preview_course(course_id: int) -> str:
    course, content, _items = _draft(course_id)
    return render_template("courses/author/preview_course.html", course=course, content=content)


@bp.route("/author/courses/<int:course_id>/preview/lesson/<key>")
@requires(Permission.TRAINER)
def author_preview_lesson(course_id: int, key: str) -> str:
    course, content, items = _draft(course_id)
    item, previous, following = _find(items, key, "lesson")
    return render_template("courses/author/preview_lesson.html", course=course, content=content, item=item,
                           previous=previous, following=following)


@bp.route("/author/courses/<int:course_id>/preview/quiz/<key>", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_preview_quiz(course_id: int, key: str) -> str:
    course, content, items = _draft(course_id)
    quiz, _previous, following = _find(items, key, "quiz")
    questions = quiz["questions"]
    if request.method == "POST":
        feedback, score = [], 0
        for question in questions:
            chosen, correct = learning.mark(question, [int(v) for v in request.form.getlist(f"q-{question['key']}")
                                                       if v.isdigit()])
            score += correct
            feedback.append({"question": question, "chosen": chosen, "right": learning.correct_options(question),
                             "correct": correct})
        passed = score * 100 >= quiz["pass_mark"] * max(1, len(questions))
        return render_template("courses/author/preview_result.html", course=course, quiz=quiz, feedback=feedback,
                               score=score, passed=passed, following=following)
    rng = random.SystemRandom()
    shown = []
    for question in questions:
        order = list(range(len(question["options"])))
        if learning.shuffles(question):
            rng.shuffle(order)
        shown.append({"key": question["key"], "type": question["type"], "prompt": question["prompt"],
                      "options": [(i, question["options"][i]["text"]) for i in order]})
    return render_template("courses/author/preview_quiz.html", course=course, quiz=quiz, questions=shown)
