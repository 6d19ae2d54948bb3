"""Course packs and the starter library: import, validation with file:line errors, export round trip."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from courses import authoring, library, packs
from courses.models import Course, LearningPath, Question
from lms.extensions import db
from tests.courses.builders import build_course

ROLES = ("sales_rep", "service_agent", "sales_manager", "service_manager", "marketer")
SOFT_SKILLS = {"listening", "realistic-promises", "customer-point-of-view", "meeting-deadlines",
               "win-win-negotiation"}


@pytest.fixture()
def roles(factory):
    for code in ROLES:
        factory.job_role(code)
    db.session.commit()


def test_starter_library_imports_cleanly_and_covers_every_kind(roles):
    summary = library.import_library(library.STARTER, actor_id=None)
    db.session.commit()
    courses = db.session.scalars(select(Course)).all()
    assert {c.kind for c in courses} >= {"business_process", "crm_application", "remedial", "new_hire",
                                         "soft_skills", "culture"}
    soft = next(c for c in courses if c.kind == "soft_skills")
    assert {m.slug for m in soft.modules} == SOFT_SKILLS
    for course in courses:
        assert course.status == "published" and course.latest_version.number == 1
        for module in course.modules:
            assert 3 <= len(module.lessons) <= 6, f"{course.slug}/{module.slug}"
            assert all(len(q.questions) >= 8 for q in module.quizzes), f"{course.slug}/{module.slug}"
    paths = {p.slug: p for p in db.session.scalars(select(LearningPath))}
    for role in ROLES:
        assert any(p.kind == "new_hire" and any(r.job_role and r.job_role.code == role for r in p.rules)
                   for p in paths.values()), role
    assert len(summary["paths"]) == len(paths)
    again = library.import_library(library.STARTER, actor_id=None)
    assert again["published"] == []  # unchanged content publishes nothing new


def _copy_pack(tmp_path: Path, slug: str = "crm-sales-rep") -> Path:
    target = tmp_path / slug
    shutil.copytree(library.STARTER / "packs" / slug, target)
    return target


def test_lesson_errors_name_file_and_line_and_nothing_is_written(roles, tmp_path):
    pack = _copy_pack(tmp_path)
    lesson = pack / "lessons" / "02-qualifying-leads.md"
    lines = lesson.read_text().split("\n")
    lines[13] = "Click [here](javascript:alert(1)) to see."  # line 14
    lesson.write_text("\n".join(lines))
    quiz = pack / "quizzes" / "leads.yaml"
    data = yaml.safe_load(quiz.read_text())
    data["questions"][0]["options"] = [{"text": "only one"}]
    quiz.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(packs.PackError) as caught:
        packs.import_pack(packs.read_folder(pack), actor_id=None)
    problems = caught.value.problems
    assert any(p.startswith("lessons/02-qualifying-leads.md:14: link 'javascript:alert(1' uses javascript:")
               for p in problems), problems
    assert any(p.startswith("quizzes/leads.yaml:") and "Give at least two options" in p for p in problems), problems
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_yaml_and_front_matter_errors_have_line_numbers(roles, tmp_path):
    pack = _copy_pack(tmp_path)
    (pack / "course.yaml").write_text((pack / "course.yaml").read_text().replace("kind: crm_application",
                                                                                "kind: astrology"))
    (pack / "lessons" / "01-what-is-a-lead.md").write_text("---\ntitle: [unclosed\nminutes: 5\n---\nBody\n")
    with pytest.raises(packs.PackError) as caught:
        packs.import_pack(packs.read_folder(pack), actor_id=None)
    text = "\n".join(caught.value.problems)
    assert "course.yaml:1: kind 'astrology' is not one of" in text
    assert "lessons/01-what-is-a-lead.md:3: YAML:" in text or "lessons/01-what-is-a-lead.md:2: YAML:" in text


def test_missing_lesson_file_is_reported_on_the_referencing_line(roles, tmp_path):
    pack = _copy_pack(tmp_path)
    (pack / "lessons" / "03-converting-a-lead.md").unlink()
    with pytest.raises(packs.PackError) as caught:
        packs.import_pack(packs.read_folder(pack), actor_id=None)
    [problem] = caught.value.problems
    line = next(n for n, text in enumerate((pack / "course.yaml").read_text().split("\n"), 1)
                if "03-converting-a-lead.md" in text)
    assert problem == f"course.yaml:{line}: file lessons/03-converting-a-lead.md does not exist"


def test_export_then_import_gives_an_identical_course(roles, tmp_path):
    course, _ = packs.import_pack(packs.read_folder(library.STARTER / "packs" / "soft-skills"), actor_id=None)
    before = authoring.snapshot(course)
    data = packs.zip_bytes(packs.export_pack(course), course.slug)
    db.session.delete(course)
    db.session.flush()
    again, published = packs.import_pack(packs.read_zip(data), actor_id=None)
    assert published and authoring.snapshot(again) == before


def test_ui_built_course_round_trips_too(factory, tmp_path):
    course = build_course("built-in-ui", lessons=3, questions=4)
    before = authoring.snapshot(course)
    files = packs.export_pack(course)
    packs.write_folder(files, tmp_path / "out")
    course.slug = "renamed-away"
    db.session.flush()
    copy, _ = packs.import_pack(packs.read_folder(tmp_path / "out"), actor_id=None)
    assert authoring.snapshot(copy) == before


def test_cli_import_reports_problems_and_exits_non_zero(app, roles, tmp_path):
    pack = _copy_pack(tmp_path)
    (pack / "lessons" / "01-what-is-a-lead.md").write_text("---\ntitle: Leads\nminutes: 5\n---\n\n<script>x</script>\n")
    result = app.test_cli_runner().invoke(args=["lms", "courses", "import", str(pack)])
    assert result.exit_code == 1
    assert "lessons/01-what-is-a-lead.md:6: raw HTML <script> is not allowed" in result.output
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_wrong_types_in_a_pack_are_reported_not_crashed_on(roles, tmp_path):
    pack = _copy_pack(tmp_path)
    text = (pack / "course.yaml").read_text()
    text = text.replace("estimated_minutes:", "estimated_minutes: lots\nold_minutes:", 1)
    (pack / "course.yaml").write_text(text)
    quiz = pack / "quizzes" / "leads.yaml"
    data = yaml.safe_load(quiz.read_text())
    data["questions"] = "all of them"
    quiz.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(packs.PackError) as caught:
        packs.parse_pack(packs.read_folder(pack))
    text = "\n".join(caught.value.problems)
    assert "course.yaml:1: estimated_minutes must be a whole number" in text
    assert "quizzes/leads.yaml:1: questions must be a list" in text
    assert text.count("questions must be a list") == 1


def test_a_damaged_zip_is_a_clear_error():
    with pytest.raises(packs.PackError, match="problem"):
        packs.read_zip(b"PK\x03\x04 definitely not a zip")
