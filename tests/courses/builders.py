"""Helpers that build courses through the real authoring services."""
from __future__ import annotations

from courses import authoring
from courses.models import Course
from lms.extensions import db


def build_course(slug: str = "pipeline-basics", *, kind: str = "crm_application", lessons: int = 2,
                 questions: int = 3, remedial: str | None = None, job_role_ids: tuple[int, ...] = (),
                 publish: bool = True, module_slug: str = "basics", draw: int | None = None) -> Course:
    course = authoring.save_course(authoring.CourseInfo(slug=slug, title=slug.replace("-", " ").title(), kind=kind,
                                                        job_role_ids=job_role_ids), course=None, actor_id=None)
    module = authoring.save_module(course, authoring.ModuleInfo(slug=module_slug, title="Basics"))
    for n in range(1, lessons + 1):
        authoring.save_lesson(module, authoring.LessonInfo(title=f"Lesson {n}", body=f"# Lesson {n}\n\nText {n}."))
    if questions:
        quiz = authoring.save_quiz(module, authoring.QuizInfo(title="Check", pass_mark=100, max_attempts=3,
                                                              remedial=remedial, draw=draw))
        for n in range(questions):
            authoring.save_question(quiz, authoring.QuestionInfo(
                type="single", prompt=f"Question {n}?", explanation="Because.",
                options=({"text": "Right", "correct": True}, {"text": "Wrong"})))
    if publish:
        authoring.publish(course, actor_id=None)
    db.session.commit()
    return course
