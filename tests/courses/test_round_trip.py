"""One rule for the editor and course packs: what the editor saves, the pack accepts, and export then import gives
an identical course, for any course the editor can produce (property-based, a bounded number of examples)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses import authoring, packs
from courses.authoring import CourseInfo, LessonInfo, ModuleInfo, QuestionInfo, QuizInfo
from courses.models import FEEDBACK
from lms.errors import DomainError
from lms.extensions import db

# What a person can type: no control characters but newlines and tabs in long text, no lone surrogates.
_LINE = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
_TEXT = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), whitelist_characters="\n\t")
line = st.text(_LINE, max_size=150)
title = st.text(_LINE, min_size=1, max_size=200).filter(lambda t: t.strip())
snippets = st.sampled_from([
    "# Heading\n", "**bold** and *it*", "[a link](https://example.com/x)", "[mail](mailto:a@example.com)",
    "![chart](https://img.example.com/c.png)", "![local](/learning/media/abc.png)", "```\n<b>code</b>\n```\n", "`<i>`",
    "!!! tip \"In the CRM\"\n    An admonition.\n", "| a | b |\n|---|---|\n| 1 | 2 |\n", "---\n", "- item\n- item\n",
    "    indented code\n", "title: not front matter\n", "\n\n", "&amp; &lt;", "{{ not jinja }}", "'\"quotes\"'",
])
body = st.lists(st.one_of(snippets, st.text(_TEXT, max_size=80)), max_size=8).map("".join)


@st.composite
def question(draw):
    kind = draw(st.sampled_from(["single", "multiple", "true_false", "scenario"]))
    if kind == "true_false":
        options = authoring.true_false_options(draw(st.booleans()))
    else:
        count = draw(st.integers(2, 6))
        right = draw(st.sets(st.integers(0, count - 1), min_size=2 if kind == "multiple" else 1,
                             max_size=count if kind == "multiple" else 1))
        texts = draw(st.lists(title, min_size=count, max_size=count))
        explanation = title if kind == "scenario" else line
        options = tuple({"text": t, "correct": i in right, "explanation": draw(explanation)}
                        for i, t in enumerate(texts))
    return QuestionInfo(type=kind, prompt=draw(title), options=options, explanation=draw(line),
                        topic=draw(st.text(_LINE, max_size=80)), shuffle=draw(st.booleans()))


@st.composite
def course_plan(draw):
    info = CourseInfo(slug="round-trip", title=draw(title), kind=draw(st.sampled_from(
        ["business_process", "crm_application", "soft_skills", "culture", "new_hire"])), summary=draw(line),
        estimated_minutes=draw(st.integers(0, 10_000)), min_lesson_seconds=draw(st.integers(0, 3600)),
        require_scroll=draw(st.booleans()))
    modules = []
    for number in range(draw(st.integers(1, 2))):
        lessons = draw(st.lists(st.tuples(title, body, st.integers(1, 600)), min_size=1, max_size=3))
        questions = draw(st.lists(question(), min_size=1, max_size=3))
        quiz = QuizInfo(title=draw(title), pass_mark=draw(st.integers(1, 100)), max_attempts=draw(st.integers(0, 9)),
                        draw=draw(st.one_of(st.none(), st.integers(1, len(questions)))),
                        feedback=draw(st.sampled_from(sorted(FEEDBACK))), lessons_first=draw(st.booleans()))
        modules.append((ModuleInfo(slug=f"module-{number}", title=draw(title), summary=draw(line)), lessons,
                        quiz, questions))
    return info, modules


def build(plan):
    info, modules = plan
    course = authoring.save_course(info, course=None, actor_id=None)
    for module_info, lessons, quiz_info, questions in modules:
        module = authoring.save_module(course, module_info)
        for lesson_title, text, minutes in lessons:
            authoring.save_lesson(module, LessonInfo(title=lesson_title, body=text, minutes=minutes))
        quiz = authoring.save_quiz(module, quiz_info)
        for q in questions:
            authoring.save_question(quiz, q)
    return course


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(plan=course_plan())
def test_what_the_editor_saves_survives_export_and_import_unchanged(app, plan):
    try:
        try:
            course = build(plan)
        except DomainError:
            return  # the editor refused it (raw HTML, an unsafe link): a pack would refuse it too, see below
        before = authoring.snapshot(course)
        files = packs.export_pack(course)
        imported, _published = packs.import_pack(packs.read_zip(packs.zip_bytes(files, "round-trip")),
                                                 actor_id=None, publish=False)
        assert authoring.snapshot(imported) == before
        assert packs.export_pack(imported).keys() == files.keys()
    finally:
        db.session.rollback()


@pytest.mark.parametrize("text, refused", [
    ("![chart](http://example.com/chart.png)", "must be https"),
    ("Before <script>alert(1)</script> after", "raw HTML <script>"),
    ("[click](javascript:alert(1))", "javascript:"),
])
def test_the_editor_refuses_what_a_pack_refuses(app, text, refused):
    course = authoring.save_course(CourseInfo(slug="c", title="C", kind="culture"), course=None, actor_id=None)
    module = authoring.save_module(course, ModuleInfo(slug="m", title="M"))
    with pytest.raises(DomainError) as error:
        authoring.save_lesson(module, LessonInfo(title="L", body=text))
    assert refused in error.value.message
    files = {"course.yaml": b"slug: c\ntitle: C\nkind: culture\nmodules:\n  - slug: m\n    title: M\n    items:\n"
                            b"      - lesson: lessons/l.md\n",
             "lessons/l.md": f"---\ntitle: L\nminutes: 5\n---\n{text}\n".encode()}
    with pytest.raises(packs.PackError) as pack_error:
        packs.parse_pack(files)
    assert refused in " ".join(pack_error.value.problems)
    db.session.rollback()


def test_pack_file_names_are_readable(app):
    course = authoring.save_course(CourseInfo(slug="names", title="Names", kind="culture"), course=None,
                                   actor_id=None)
    module = authoring.save_module(course, ModuleInfo(slug="m", title="M"))
    authoring.save_lesson(module, LessonInfo(title="Qualifying a lead", body="Text."))
    for _ in range(2):
        quiz = authoring.save_quiz(module, QuizInfo(title="Check: leads"))
        authoring.save_question(quiz, QuestionInfo(type="true_false", prompt="P",
                                                   options=authoring.true_false_options(True)))
    keys = [i.key for m in course.modules for i in m.items]
    files = packs.export_pack(course)
    assert sorted(files) == ["course.yaml", "lessons/01-qualifying-a-lead.md", "quizzes/check-leads-2.yaml",
                             "quizzes/check-leads.yaml"]
    imported, _ = packs.import_pack(files, actor_id=None, publish=False)
    assert [i.key for m in imported.modules for i in m.items] == keys  # the keys travel inside the files
    db.session.rollback()
