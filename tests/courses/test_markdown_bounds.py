"""Lesson Markdown that would make rendering slow (quadratic in Python-Markdown) is refused before it is rendered,
with the line named: on the lesson form, the preview (button and live), publishing and course pack import alike.
The render times of what is accepted are measured by bench/markdown_render.py."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from courses import authoring, markdown, packs
from courses.models import Course, Lesson
from lms.extensions import db
from lms.permissions import Permission
from tests.conftest import csrf_token, post_form
from tests.courses.builders import build_course

A = "/learning/author"

# The issue's inputs (each took 28-43 s to render), and others found while bounding the work.
ISSUE_INPUTS = {
    "nested brackets": "[" * 20_000 + "a" + "]" * 20_000,
    "unclosed tags": "<a " * 20_000,
    "unclosed links": "[a](" * 10_000,
}
# Each under the size limit; before the bounds each took the time noted to render (2 cores, Python 3.11).
SMALL_BUT_SLOW = {
    "unclosed links in brackets": ("[[[[[a](" * 2_000, 1, "( after ] are never closed"),  # 20 s
    "unclosed reference links": ("[a][" * 4_900, 1, "[ are never closed"),  # 9.5 s
    "unclosed tags across paragraphs": ("<a \n\n" * 300, 1, "< are never closed by >"),  # 1.6 s at 4,000
    "headings in one paragraph": ("intro\n\n" + "a\n=\n" * 150, 3, "more than 200 lines"),  # 2.0 s at 4,900
    "many lines": ("#\n" * 9_000, 1_001, "more than 1,000 lines"),  # 2.2 s
    "nested lists": ("\n".join("\t" * i + "- a" for i in range(190)), 10, "nested more than 8 deep"),  # 0.2 s
    "nested quotes": ("\n".join(">" * i + " a" for i in range(1, 195)), 9, "nested more than 8 deep"),
    "long line": ("ok\n" + "word " * 1_000, 2, "longer than 3,000 characters"),
}


@pytest.fixture()
def trainer(factory, as_person):
    return as_person(factory.person(role="trainer", permissions=(Permission.TRAINER,)))


@pytest.mark.parametrize("name", ISSUE_INPUTS)
def test_the_issues_inputs_are_refused_naming_the_line(name):
    found = markdown.check(ISSUE_INPUTS[name])
    assert found and found[0][0] == 1 and "longer than 20,000 characters" in found[0][1]
    with pytest.raises(markdown.LessonTooComplex, match="Line 1: the lesson is longer"):
        markdown.render(ISSUE_INPUTS[name])


@pytest.mark.parametrize("name", SMALL_BUT_SLOW)
def test_pathological_constructs_are_refused_naming_the_line(name):
    text, line, message = SMALL_BUT_SLOW[name]
    assert len(text) <= markdown.MAX_LESSON_CHARS
    found = markdown.check(text)
    assert found, name
    assert found[0][0] == line and message in found[0][1], found


def test_ordinary_lessons_pass_and_render():
    text = ("# Pipeline\n\nA [link](https://example.com) and `code [0]`, *emphasis*, a < b.\n\n"
            "- one\n    - two\n        - three\n\n> a quote\n> > inside\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            "```\n[[[[[[ unclosed in code is fine <<<<<< ``````\n```\n\n!!! tip \"Try it\"\n    Do it.\n")
    assert markdown.check(text) == []
    assert "<table>" in markdown.render(text)


def test_repeated_references_to_a_long_link_are_refused_by_the_html_size_budget():
    text = "[a]: https://example.com/" + "x" * 2_900 + "\n\n" + "\n".join("[a] [a] [a] [a]" for _ in range(190))
    assert markdown.check(text) == []
    with pytest.raises(markdown.LessonTooComplex, match="renders to more than"):
        markdown.render(text)


def test_the_lesson_form_refuses_with_the_line_and_saves_nothing(trainer):
    course = build_course("bounded", lessons=1, questions=0, publish=False)
    module = course.modules[0]
    url = f"{A}/modules/{module.id}/lessons/new"
    body = "Intro\n\n" + "[[[[[a](" * 2_000
    for button in ("save", "preview"):
        response = post_form(trainer, url, {"title": "Slow", "minutes": "5", "body": body, button: "x"})
        page = response.get_data(as_text=True)
        assert response.status_code == 400, button
        assert "Line 3: 2000 ( after ] are never closed" in page
        assert 'class="lesson-body"' in page  # the page is whole, the preview empty
    response = post_form(trainer, url, {"title": "Huge", "minutes": "5", "body": ISSUE_INPUTS["unclosed links"],
                                        "save": "x"})
    assert response.status_code == 400 and "longer than 20,000 characters" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Lesson.id)).where(Lesson.title.in_(["Slow", "Huge"]))) == 0


def test_the_live_preview_refuses_with_a_json_error_naming_the_line(trainer):
    course = build_course("bounded", lessons=1, questions=0, publish=False)
    token = csrf_token(trainer, f"{A}/modules/{course.modules[0].id}/lessons/new")
    response = trainer.post(f"{A}/preview", json={"markdown": "<a " * 20_000}, headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert response.json["line"] == 1 and response.json["error"].startswith("Line 1: the lesson is longer")
    response = trainer.post(f"{A}/preview", json={"markdown": "ok\n\n" + "[a][" * 4_000},
                            headers={"X-CSRFToken": token})
    assert response.status_code == 400 and response.json["line"] == 3


def test_publishing_refuses_a_stored_lesson_outside_the_bounds(trainer):
    course = build_course("bounded", lessons=1, questions=0, publish=False)
    lesson = course.modules[0].lessons[0]
    lesson.body = "Fine\n\n" + "\n".join("    " * i + "- a" for i in range(12)) + "\n"  # saved before the bounds
    db.session.commit()
    response = post_form(trainer, f"{A}/courses/{course.id}/publish", {"note": "first"})
    assert response.status_code == 400
    assert "line 12: lists, quotes and notes are nested more than 8 deep" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Course, course.id).versions == []
    with pytest.raises(Exception, match="line 12"):
        authoring.publish(db.session.get(Course, course.id), actor_id=None)
    db.session.rollback()


def _pack(lesson_body: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pack/course.yaml", "slug: slow\ntitle: Slow\nkind: crm_application\nmodules:\n"
                                             "  - slug: one\n    title: One\n    items:\n"
                                             "      - lesson: lessons/01-slow.md\n")
        archive.writestr("pack/lessons/01-slow.md", "---\ntitle: Slow\nminutes: 5\n---\n\nIntro\n\n" + lesson_body)
    return buffer.getvalue()


def test_pack_import_refuses_with_file_and_line_and_writes_nothing(trainer):
    for body, expected in (("[[[[[a](" * 2_000, "lessons/01-slow.md:8: 2000 ( after ] are never closed"),
                           (ISSUE_INPUTS["nested brackets"], "lessons/01-slow.md:8: the lesson is longer")):
        with pytest.raises(packs.PackError) as caught:
            packs.import_pack(packs.read_zip(_pack(body)), actor_id=None)
        assert any(p.startswith(expected) for p in caught.value.problems), caught.value.problems
        response = post_form(trainer, f"{A}/import", {"pack": (io.BytesIO(_pack(body)), "pack.zip")},
                             content_type="multipart/form-data")
        assert response.status_code == 400 and expected in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_publishing_refuses_a_course_whose_lessons_are_too_long_in_all(trainer):
    course = build_course("long-course", lessons=1, questions=0, publish=False)
    module = course.modules[0]
    text = "A paragraph of honest teaching text, long enough to count.\n\n" * 300  # 18 kB, fine alone
    for n in range(14):
        authoring.save_lesson(module, authoring.LessonInfo(title=f"Part {n}", body=text))
    db.session.commit()
    response = post_form(trainer, f"{A}/courses/{course.id}/publish", {"note": "first"})
    assert response.status_code == 400
    assert "its lessons are longer than 250,000 characters in all" in response.get_data(as_text=True)
