"""Course packs cannot cost unbounded work or store unbounded text: YAML anchors and aliases are refused, every
text field has a length limit, YAML documents have size, value-count and depth limits, and a zip's entry count and
unpacked size are checked before it is unpacked. Every refusal is ``file:line: message`` and nothing is written.
(bench/pack_parse.py prints the parse times of the worst cases.)"""
from __future__ import annotations

import io
import zipfile

import pytest
import yaml
from sqlalchemy import func, select

from courses import packs
from courses.models import Course
from lms.extensions import db
from lms.permissions import Permission
from tests.conftest import post_form

LESSON = "---\ntitle: Stages\nminutes: 5\n---\n\nText.\n"
QUIZ = ("title: Check\nquestions:\n  - id: q1\n    type: single\n    prompt: Which?\n    options:\n"
        "      - text: This\n        correct: true\n      - text: That\n")


def course_yaml(summary: str = "Short.", extra: str = "") -> str:
    return (f"slug: limits\ntitle: Limits\nkind: crm_application\nsummary: {summary}\n{extra}modules:\n"
            "  - slug: one\n    title: One\n    items:\n      - lesson: lessons/01-stages.md\n"
            "      - quiz: quizzes/check.yaml\n")


def files(**changes: str) -> dict[str, bytes]:
    base = {"course.yaml": course_yaml(), "lessons/01-stages.md": LESSON, "quizzes/check.yaml": QUIZ}
    base.update(changes)
    return {name: text.encode() for name, text in base.items()}


def problems_of(pack: dict[str, bytes]) -> list[str]:
    with pytest.raises(packs.PackError) as caught:
        packs.parse_pack(pack)
    return caught.value.problems


# The bomb: nested aliases expanding into `summary` (446 bytes zipped; 730 MB and rising when loaded).
ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "slug: bomb\ntitle: Bomb\nkind: crm_application\nsummary: *g\nmodules: []\n"
)


def test_the_alias_bomb_is_refused_before_it_expands(app):
    problems = problems_of(files(**{"course.yaml": ALIAS_BOMB}))
    assert problems == ["course.yaml:1: YAML: anchors and aliases (&name, *name) are not allowed in a course pack"]


def test_an_alias_anywhere_is_refused_with_its_line(app):
    quiz = QUIZ + "  - id: q2\n    type: single\n    prompt: Again?\n    options: *opts\n"
    assert "quizzes/check.yaml:13: YAML: anchors and aliases" in problems_of(files(**{"quizzes/check.yaml": quiz}))[0]
    lesson = "---\ntitle: &t Stages\nminutes: 5\n---\n\nText.\n"
    assert problems_of(files(**{"lessons/01-stages.md": lesson}))[0].startswith(
        "lessons/01-stages.md:2: YAML: anchors and aliases")


def test_the_c_loader_is_used_when_libyaml_is_there():
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml")
    from yaml.cyaml import CParser

    assert issubclass(packs._LineLoader, CParser)
    assert packs.load_yaml("a: 1\nb: [x]\n") == {"a": 1, "b": ["x"], "__line__": 1}


@pytest.mark.parametrize(("change", "expected"), [
    ({"course.yaml": course_yaml(summary="x" * 4001)}, "course.yaml:1: summary is longer than 4,000 characters"),
    ({"course.yaml": course_yaml(summary="[1, 2]")}, "course.yaml:1: summary must be text"),
    ({"course.yaml": course_yaml().replace("title: One", "title: " + "o" * 201)},
     "course.yaml:6: title is longer than 200 characters"),
    ({"course.yaml": course_yaml(extra="job_roles: [" + "r" * 61 + "]\n")},
     "course.yaml:1: job role is longer than 60 characters"),
    ({"lessons/01-stages.md": LESSON.replace("title: Stages", "title: " + "s" * 201)},
     "lessons/01-stages.md:2: title is longer than 200 characters"),
    ({"quizzes/check.yaml": QUIZ.replace("prompt: Which?", "prompt: " + "w" * 4001)},
     "quizzes/check.yaml:3: prompt is longer than 4,000 characters"),
    ({"quizzes/check.yaml": QUIZ.replace("text: That", "text: " + "t" * 1001)},
     "quizzes/check.yaml:9: text is longer than 1,000 characters"),
    ({"quizzes/check.yaml": QUIZ.replace("prompt: Which?", "prompt: Which?\n    topic: " + "t" * 81)},
     "quizzes/check.yaml:3: topic is longer than 80 characters"),
    ({"quizzes/check.yaml": QUIZ + "".join(f"      - text: o{i}\n" for i in range(20))},
     "quizzes/check.yaml:3: question q1: more than 20 options"),
    ({"course.yaml": course_yaml(extra="notes: " + "n" * 20_001 + "\n")},
     "course.yaml:5: YAML: a value longer than 20,000 characters"),
])
def test_text_fields_have_limits(app, change, expected):
    assert expected in problems_of(files(**change))


def test_yaml_size_values_and_depth_are_capped(app):
    big = QUIZ + "# " + "padding " * 17_000 + "\n"
    assert "quizzes/check.yaml:1: YAML larger than 128 KiB" in problems_of(files(**{"quizzes/check.yaml": big}))
    many = QUIZ + "extra: [" + ",".join(["1"] * 20_001) + "]\n"
    assert problems_of(files(**{"quizzes/check.yaml": many})) == [
        "quizzes/check.yaml:10: YAML: more than 20,000 values in one file"]
    deep = QUIZ + "extra: " + "[" * 20 + "]" * 20 + "\n"
    assert problems_of(files(**{"quizzes/check.yaml": deep})) == [
        "quizzes/check.yaml:10: YAML: nested more than 16 deep"]
    quiz = QUIZ + "# " + "padding " * 15_000 + "\n"  # 117 KiB each, 1 MiB in all after nine
    items = "".join(f"      - quiz: quizzes/q{i}.yaml\n" for i in range(10))
    pack = files(**{"course.yaml": course_yaml().replace("      - quiz: quizzes/check.yaml\n", items)},
                 **{f"quizzes/q{i}.yaml": quiz.replace("title: Check", f"title: Check\nkey: q{i}") for i in range(10)})
    assert "quizzes/q9.yaml:1: the pack's YAML is larger than 1 MiB in all" in problems_of(pack)


def test_items_and_lesson_text_per_course_are_capped(app):
    items = "".join(f"      - lesson: lessons/{i:03d}.md\n" for i in range(201))
    pack = files(**{"course.yaml": course_yaml().replace("      - lesson: lessons/01-stages.md\n", items)},
                 **{f"lessons/{i:03d}.md": LESSON for i in range(201)})
    assert "course.yaml:6: more than 200 lessons and quizzes in the course" in problems_of(pack)
    long_lesson = LESSON + ("A line of honest teaching text, a bit longer now.\n\n" * 370)  # 19 kB: fine alone
    items = "".join(f"      - lesson: lessons/{i:03d}.md\n" for i in range(14))
    pack = files(**{"course.yaml": course_yaml().replace("      - lesson: lessons/01-stages.md\n", items)},
                 **{f"lessons/{i:03d}.md": long_lesson for i in range(14)})
    assert problems_of(pack) == ["lessons/013.md:1: the course's lessons are longer than 250,000 characters in all"]


def _zip(entries: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files().items():
            archive.writestr(f"pack/{name}", data)
        for index in range(entries):
            archive.writestr(f"pack/extra/{index}", b"")
    return buffer.getvalue()


def test_a_zip_with_too_many_entries_is_refused_before_it_is_read():
    assert packs.read_zip(_zip(10))  # fine
    with pytest.raises(packs.PackError) as caught:
        packs.read_zip(_zip(1_000))
    assert caught.value.problems == ["upload: more than 1,000 files in the zip"]
    # The zip had 300,000 entries (11 s to list): the end record says so before zipfile reads anything.
    zip64_end = (b"PK\x06\x06" + (44).to_bytes(8, "little") + b"\x2d\x00\x2d\x00" + bytes(8)
                 + (300_000).to_bytes(8, "little") * 2 + (300_000 * 46).to_bytes(8, "little") + bytes(8))
    locator = b"PK\x06\x07" + bytes(4) + (0).to_bytes(8, "little") + (1).to_bytes(4, "little")
    end = b"PK\x05\x06" + bytes(4) + b"\xff\xff" * 2 + b"\xff\xff\xff\xff" * 2 + bytes(2)
    with pytest.raises(packs.PackError) as caught:
        packs.read_zip(zip64_end + locator + end)
    assert caught.value.problems == ["upload: more than 1,000 files in the zip"]


def test_a_zip_that_unpacks_too_large_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pack/course.yaml", course_yaml())
        archive.writestr("pack/big.bin", bytes(17 * 2**20))  # compresses to 17 kB
    with pytest.raises(packs.PackError) as caught:
        packs.read_zip(buffer.getvalue())
    assert caught.value.problems == ["upload: unpacks to more than 16 MiB"]


def test_refused_packs_write_nothing_through_the_upload_form(factory, as_person):
    trainer = as_person(factory.person(role="trainer", permissions=(Permission.TRAINER,)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files(**{"course.yaml": ALIAS_BOMB}).items():
            archive.writestr(f"pack/{name}", data)
    assert len(buffer.getvalue()) < 2_000
    response = post_form(trainer, "/learning/author/import", {"pack": (io.BytesIO(buffer.getvalue()), "pack.zip")},
                         content_type="multipart/form-data")
    assert response.status_code == 400
    assert "course.yaml:1: YAML: anchors and aliases" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Course.id))) == 0
