"""Authoring: trainers edit a course's draft and publish it as an immutable version."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from courses import markdown
from courses.models import QUESTION_TYPES, TRAINING_KINDS, Course, CourseVersion, Lesson, Module, Question, Quiz
from lms.audit.services import record as audit
from lms.errors import Conflict, DomainError, NotFound
from lms.extensions import db
from lms.people.models import JobRole

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


@dataclass(frozen=True)
class CourseInfo:
    slug: str
    title: str
    kind: str
    summary: str = ""
    estimated_minutes: int = 0
    job_role_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ModuleInfo:
    slug: str
    title: str
    summary: str = ""


@dataclass(frozen=True)
class LessonInfo:
    title: str
    body: str
    minutes: int = 5


@dataclass(frozen=True)
class QuizInfo:
    title: str
    pass_mark: int = 75
    max_attempts: int = 3
    draw: int | None = None
    remedial: str | None = None


@dataclass(frozen=True)
class QuestionInfo:
    type: str
    prompt: str
    options: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    explanation: str = ""
    topic: str = ""


def get_course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound("There is no such course.")
    return course


def _check_slug(slug: str, field_name: str = "slug") -> str:
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise DomainError("Use lowercase letters, digits and hyphens (at most 80).", field=field_name)
    return slug


def save_course(info: CourseInfo, *, course: Course | None, actor_id: int | None) -> Course:
    """Create a course (draft) or change its details."""
    slug = _check_slug(info.slug)
    if info.kind not in TRAINING_KINDS:
        raise DomainError(f"Unknown training kind {info.kind!r}.", field="kind")
    clash = db.session.scalar(select(Course.id).where(Course.slug == slug, Course.id != (course.id if course else 0)))
    if clash:
        raise Conflict(f"Another course already uses the slug {slug}.", field="slug")
    if course is not None and course.versions and slug != course.slug:
        raise DomainError("A published course keeps its slug: learning records point at it.", field="slug")
    course = course or Course(status="draft")
    course.slug, course.title, course.kind = slug, info.title.strip(), info.kind
    course.summary, course.estimated_minutes = info.summary.strip(), max(0, info.estimated_minutes)
    course.job_roles = list(db.session.scalars(select(JobRole).where(JobRole.id.in_(info.job_role_ids)))) \
        if info.job_role_ids else []
    db.session.add(course)
    db.session.flush()
    audit(actor_id, "course.save", course.slug)
    return course


def save_module(course: Course, info: ModuleInfo, *, module: Module | None = None) -> Module:
    slug = _check_slug(info.slug)
    if any(m.slug == slug and m is not module for m in course.modules):
        raise Conflict(f"This course already has a module {slug}.", field="slug")
    if module is None:
        module = Module(position=len(course.modules))
        course.modules.append(module)
    module.slug, module.title, module.summary = slug, info.title.strip(), info.summary.strip()
    db.session.flush()
    return module


def _next_position(module: Module) -> int:
    return max([item.position for item in module.items], default=-1) + 1


def normal_body(text: str) -> str:
    """Lesson Markdown as stored: Unix newlines, no blank lines around it, one final newline."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n") + "\n"


def save_lesson(module: Module, info: LessonInfo, *, lesson: Lesson | None = None) -> Lesson:
    if lesson is None:
        lesson = Lesson(position=_next_position(module))
        module.lessons.append(lesson)
    lesson.title, lesson.body, lesson.minutes = info.title.strip(), normal_body(info.body), max(1, info.minutes)
    db.session.flush()
    return lesson


def save_quiz(module: Module, info: QuizInfo, *, quiz: Quiz | None = None) -> Quiz:
    if not 0 < info.pass_mark <= 100:
        raise DomainError("The pass mark is a percentage from 1 to 100.", field="pass_mark")
    if info.remedial and not re.match(r"^[a-z0-9-]+/[a-z0-9-]+$", info.remedial):
        raise DomainError("Name the remedial module as course-slug/module-slug.", field="remedial")
    if quiz is None:
        quiz = Quiz(position=_next_position(module))
        module.quizzes.append(quiz)
    quiz.title, quiz.pass_mark = info.title.strip(), info.pass_mark
    quiz.max_attempts, quiz.draw, quiz.remedial = max(0, info.max_attempts), info.draw or None, info.remedial or None
    db.session.flush()
    return quiz


def check_question(info: QuestionInfo) -> list[dict[str, Any]]:
    """Validate a question; return its options in stored form. Raises DomainError naming the problem."""
    if info.type not in QUESTION_TYPES:
        raise DomainError(f"Unknown question type {info.type!r}.", field="type")
    if not info.prompt.strip():
        raise DomainError("A question needs a prompt.", field="prompt")
    options = [dict(o) for o in info.options if str(o.get("text", "")).strip()]
    right = sum(1 for o in options if o.get("correct"))
    if info.type == "true_false":
        if len(options) != 2 or right != 1:
            raise DomainError("A true/false question has the options True and False, one of them right.")
    elif len(options) < 2:
        raise DomainError("Give at least two options.", field="options")
    elif info.type in ("single", "scenario") and right != 1:
        raise DomainError("Mark exactly one option as right.", field="options")
    elif info.type == "multiple" and right < 2:
        raise DomainError("A multiple-choice question has at least two right options.", field="options")
    if info.type == "scenario" and not all(str(o.get("explanation", "")).strip() for o in options):
        raise DomainError("In a scenario, every option explains what happens if the learner picks it.",
                          field="options")
    return [{"text": str(o["text"]).strip(), "correct": bool(o.get("correct")),
             "explanation": str(o.get("explanation", "")).strip()} for o in options]


def true_false_options(answer: bool) -> tuple[dict[str, Any], ...]:
    return ({"text": "True", "correct": answer}, {"text": "False", "correct": not answer})


def save_question(quiz: Quiz, info: QuestionInfo, *, question: Question | None = None) -> Question:
    options = check_question(info)
    if question is None:
        question = Question(position=len(quiz.questions))
        quiz.questions.append(question)
    question.type, question.prompt, question.options = info.type, info.prompt.strip(), options
    question.explanation, question.topic = info.explanation.strip(), info.topic.strip()
    db.session.flush()
    return question


def move(item: Module | Lesson | Quiz | Question, direction: int) -> None:
    """Swap an item with its neighbour (direction -1 up, +1 down) among its siblings."""
    if isinstance(item, Module):
        siblings = item.course.modules
    elif isinstance(item, Question):
        siblings = item.quiz.questions
    else:
        siblings = item.module.items
    ordered = list(siblings)
    index = ordered.index(item)
    other = index + direction
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, sibling in enumerate(ordered):
        sibling.position = position
    db.session.flush()


def delete(item: Module | Lesson | Quiz | Question) -> None:
    """Remove an item from the draft (published versions keep it)."""
    db.session.delete(item)
    db.session.flush()


# --- publishing -----------------------------------------------------------------------------------------------

def snapshot(course: Course) -> dict[str, Any]:
    """The course as learners get it: every field a version needs, lesson HTML rendered and sanitised."""
    return {
        "slug": course.slug, "title": course.title, "kind": course.kind, "summary": course.summary,
        "estimated_minutes": course.estimated_minutes, "job_roles": sorted(r.code for r in course.job_roles),
        "modules": [{
            "slug": m.slug, "title": m.title, "summary": m.summary,
            "items": [_lesson_snapshot(i) if isinstance(i, Lesson) else _quiz_snapshot(i) for i in m.items],
        } for m in course.modules],
    }


def _lesson_snapshot(lesson: Lesson) -> dict[str, Any]:
    return {"type": "lesson", "key": lesson.key, "title": lesson.title, "minutes": lesson.minutes,
            "markdown": lesson.body, "html": markdown.render(lesson.body)}


def _quiz_snapshot(quiz: Quiz) -> dict[str, Any]:
    return {"type": "quiz", "key": quiz.key, "title": quiz.title, "pass_mark": quiz.pass_mark,
            "attempts": quiz.max_attempts, "draw": quiz.draw, "remedial": quiz.remedial,
            "questions": [{"key": q.key, "type": q.type, "topic": q.topic, "prompt": q.prompt,
                           "explanation": q.explanation, "options": q.options} for q in quiz.questions]}


def publish(course: Course, *, actor_id: int | None, requires_recompletion: bool = False,
            note: str = "") -> CourseVersion:
    """Freeze the draft as the next version. Learners already enrolled keep the version they started."""
    if course.status == "archived":
        raise DomainError("Restore the course before publishing it.")
    problems = validate_for_publishing(course)
    if problems:
        raise DomainError("The course cannot be published yet: " + "; ".join(problems))
    number = (db.session.scalar(select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course.id))
              or 0) + 1
    version = CourseVersion(course=course, number=number, requires_recompletion=requires_recompletion and number > 1,
                            published_by_id=actor_id, note=note.strip(), content=snapshot(course))
    course.status = "published"
    db.session.add(version)
    db.session.flush()
    audit(actor_id, "course.publish", course.slug, version=number, requires_recompletion=requires_recompletion)
    from courses.enrolment import after_publish

    after_publish(version)
    return version


def validate_for_publishing(course: Course) -> list[str]:
    problems = []
    if not course.modules:
        problems.append("it has no modules")
    if sum(len(lesson.body) for module in course.modules for lesson in module.lessons) > markdown.MAX_COURSE_CHARS:
        problems.append(f"its lessons are longer than {markdown.MAX_COURSE_CHARS:,} characters in all; split it "
                        "into two courses")
    for module in course.modules:
        if not module.items:
            problems.append(f"module “{module.title}” is empty")
        for lesson in module.lessons:
            problems.extend(f"lesson “{lesson.title}”, line {line}: {message}"
                            for line, message in markdown.check(lesson.body))
        for quiz in module.quizzes:
            if not quiz.questions:
                problems.append(f"quiz “{quiz.title}” has no questions")
            elif quiz.draw and quiz.draw > len(quiz.questions):
                problems.append(f"quiz “{quiz.title}” draws {quiz.draw} of only {len(quiz.questions)} questions")
            if quiz.remedial and not _remedial_exists(quiz.remedial):
                problems.append(f"quiz “{quiz.title}” names remedial module {quiz.remedial}, which does not exist")
    return problems


def _remedial_exists(reference: str) -> bool:
    course_slug, _, module_slug = reference.partition("/")
    return db.session.scalar(select(Module.id).join(Course).where(Course.slug == course_slug,
                                                                  Module.slug == module_slug)) is not None


def set_status(course: Course, status: str, *, actor_id: int | None) -> None:
    """Archive a course (hidden from new assignments; learners keep their records) or restore it."""
    if status not in ("archived", "draft", "published"):
        raise DomainError("Unknown status.")
    if status == "published" and not course.versions:
        raise DomainError("Publish the course first.")
    if status == "draft" and course.versions:
        raise DomainError("A course with published versions is published or archived, not a draft.")
    course.status = status
    db.session.flush()
    audit(actor_id, f"course.{status}", course.slug)
