"""A published course's unpublished edits are marked with a summary of what changed; a trainer previews the
draft and takes its quizzes as a learner would, and no learning record of any kind is created."""
from __future__ import annotations

import re

from sqlalchemy import func, inspect, select, text

from courses import authoring, drafts
from courses.authoring import LessonInfo, QuestionInfo
from lms.extensions import db
from lms.permissions import Permission
from tests.conftest import post_form
from tests.courses.builders import build_course


def test_unpublished_changes_are_listed(client, factory, as_person):
    course = build_course("pipeline", lessons=2, questions=2)
    assert drafts.draft_changes(course) == []
    module = course.modules[0]
    authoring.save_lesson(module, LessonInfo(title="Lesson 1", body="Changed text."), lesson=module.lessons[0])
    authoring.save_lesson(module, LessonInfo(title="Brand new", body="More."))
    quiz = module.quizzes[0]
    quiz.pass_mark = 80
    authoring.save_question(quiz, QuestionInfo(type="true_false", prompt="New?",
                                               options=authoring.true_false_options(True)))
    db.session.commit()
    changes = drafts.draft_changes(course)
    assert "lesson “Lesson 1” edited" in changes and "lesson “Brand new” added" in changes
    assert "quiz “Check”: pass mark changed" in changes and "quiz “Check”: 1 question added" in changes
    as_person(factory.person(permissions=(Permission.TRAINER,)))
    html = client.get(f"/learning/author/courses/{course.id}").get_data(as_text=True)
    assert "Changes not published yet" in html and "lesson “Brand new” added" in html
    assert "changes not published yet" in client.get("/learning/author/").get_data(as_text=True)
    authoring.publish(course, actor_id=None)
    db.session.commit()
    assert "Changes not published yet" not in client.get(f"/learning/author/courses/{course.id}").get_data(
        as_text=True)


def row_counts() -> dict[str, int]:
    names = inspect(db.engine).get_table_names()
    with db.engine.connect() as connection:
        return {n: connection.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar() for n in names}  # noqa: S608


def test_the_preview_creates_no_learning_records(client, factory, as_person):
    course = build_course("pipeline", lessons=2, questions=2)
    module = course.modules[0]
    authoring.save_lesson(module, LessonInfo(title="Draft only", body="**Not published yet.**"))
    db.session.commit()
    quiz = module.quizzes[0]
    as_person(factory.person(permissions=(Permission.TRAINER, Permission.LEARNER)))
    before = row_counts()
    outline = client.get(f"/learning/author/courses/{course.id}/preview").get_data(as_text=True)
    assert "Draft only" in outline and "nothing you do here is recorded" in outline
    lesson = client.get(f"/learning/author/courses/{course.id}/preview/lesson/draft-only").get_data(as_text=True)
    assert "<strong>Not published yet.</strong>" in lesson
    url = f"/learning/author/courses/{course.id}/preview/quiz/{quiz.key}"
    form = client.get(url).get_data(as_text=True)
    answers = {f"q-{q.key}": "0" for q in quiz.questions}  # option 0 is right in the builder
    assert all(re.search(rf'name="q-{q.key}" value="0"', form) for q in quiz.questions)
    result = post_form(client, url, answers).get_data(as_text=True)
    assert "Passed" in result and "2 of 2 right" in result
    wrong = post_form(client, url, {f"q-{q.key}": "1" for q in quiz.questions}).get_data(as_text=True)
    assert "Not passed" in wrong and "Right answer" in wrong
    after = row_counts()
    assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert db.session.scalar(select(func.count()).select_from(text("enrolment"))) == 0


def test_a_field_added_by_a_later_release_is_not_an_unpublished_change(app):
    course = build_course("older", lessons=1, questions=1)
    version = course.latest_version
    content = {**version.content, "modules": [dict(m) for m in version.content["modules"]]}
    for module in content["modules"]:
        module["items"] = [{k: v for k, v in item.items() if k not in ("slug", "feedback", "lessons_first")}
                           for item in module["items"]]
    content.pop("require_scroll")
    version.content = content  # as a version published before lesson slugs and feedback settings existed
    db.session.commit()
    assert drafts.draft_changes(course) == []
