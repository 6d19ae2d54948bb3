"""The trainer's authoring pages through the test client, with the real services and database: building,
reordering, previewing and publishing a course; form errors instead of 500s; permissions; course pack upload and
download."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from courses import authoring
from courses.models import Course, CourseVersion, Lesson, Question, Quiz
from lms.extensions import db
from lms.permissions import Permission
from tests.conftest import csrf_token, post_form
from tests.courses.builders import build_course

A = "/learning/author"
UNSAFE_MARKDOWN = (
    "# Safe heading\n\n<script>alert('x')</script>\n\n"
    "[click me](javascript:alert(1)) and [data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
    '<img src="x" onerror="alert(2)">\n\n**bold** text\n'
)


@pytest.fixture()
def trainer(factory, as_person):
    factory.job_role("sales_rep")
    person = factory.person(name="Tess Trainer", role="trainer", permissions=(Permission.TRAINER,))
    return as_person(person)


def course_by_slug(slug: str) -> Course:
    db.session.expire_all()
    return db.session.scalar(select(Course).where(Course.slug == slug))


def location_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/(\d+)(?:[/#?]|$)", response.headers["Location"]).group(1))


def options(*rows) -> dict:
    """Option rows as the question form posts them: (text, correct, explanation)."""
    data = {}
    for index, (text, correct, explanation) in enumerate(rows):
        data[f"options-{index}-text"] = text
        data[f"options-{index}-explanation"] = explanation
        if correct:
            data[f"options-{index}-correct"] = "y"
    return data


def preview_article(html: str) -> str:
    match = re.search(r'<div id="lesson-preview"[^>]*>\s*(<article class="lesson-body".*?</article>)', html, re.S)
    assert match, "no preview on the page"
    return match.group(1)


def new_course(client, slug="pipeline-basics", **extra):
    data = {"slug": slug, "title": "Pipeline basics", "kind": "crm_application", "summary": "Stages and amounts.",
            "estimated_minutes": "45", **extra}
    return post_form(client, f"{A}/courses/new", data)


def test_trainer_builds_reorders_and_publishes_a_course(trainer, factory):
    sales_rep = factory.job_role("sales_rep")
    course_id = location_id(new_course(trainer, job_role_ids=[str(sales_rep.id)]))
    module_id = location_id(post_form(trainer, f"{A}/courses/{course_id}/modules/new",
                                      {"slug": "stages", "title": "Pipeline stages"}))
    lesson_url = f"{A}/modules/{module_id}/lessons/new"
    first = location_id(post_form(trainer, lesson_url, {"title": "What a stage means", "minutes": "6",
                                                        "body": "# Stages\n\nEvidence moves a deal.", "save": "Save"}))
    second = location_id(post_form(trainer, lesson_url, {"title": "Amounts", "minutes": "4", "body": "Be honest.",
                                                         "save": "Save"}))
    quiz_id = location_id(post_form(trainer, f"{A}/modules/{module_id}/quizzes/new",
                                    {"title": "Stages check", "pass_mark": "80", "max_attempts": "2",
                                     "remedial": ""}))
    question_url = f"{A}/quizzes/{quiz_id}/questions/new"
    posts = [
        {"type": "single", "topic": "stages", "prompt": "Which stage needs a signed quote?",
         **options(("Proposal", False, ""), ("Closed won", True, "Signed means won."), ("", False, ""))},
        {"type": "multiple", "topic": "hygiene", "prompt": "Which fields must be current?",
         **options(("Close date", True, ""), ("Amount", True, ""), ("Favourite colour", False, ""))},
        {"type": "true_false", "topic": "forecast", "prompt": "Best case counts in commit.", "answer": "false"},
        {"type": "scenario", "topic": "promises", "prompt": "A customer asks for delivery tomorrow.",
         "explanation": "Promise what you can keep.",
         **options(("Promise it", False, "You will miss it."), ("Check stock first", True, "Realistic."))},
    ]
    for data in posts:
        response = post_form(trainer, question_url, data)
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]

    course = course_by_slug("pipeline-basics")
    assert [r.code for r in course.job_roles] == ["sales_rep"]
    quiz = db.session.get(Quiz, quiz_id)
    assert [q.type for q in quiz.questions] == ["single", "multiple", "true_false", "scenario"]
    assert quiz.questions[2].options == [{"text": "True", "correct": False, "explanation": ""},
                                         {"text": "False", "correct": True, "explanation": ""}]
    assert [o["text"] for o in quiz.questions[0].options] == ["Proposal", "Closed won"]  # the empty row is ignored
    assert [i.title for i in course.modules[0].items] == ["What a stage means", "Amounts", "Stages check"]

    page = trainer.get(f"{A}/courses/{course_id}")
    assert page.status_code == 200
    token = csrf_token(trainer, f"{A}/courses/{course_id}")
    assert trainer.post(f"{A}/lesson/{second}/move", data={"csrf_token": token, "direction": "up"}).status_code == 302
    assert trainer.post(f"{A}/quiz/{quiz_id}/move", data={"csrf_token": token, "direction": "up"}).status_code == 302
    first_question = quiz.questions[0].id
    assert trainer.post(f"{A}/question/{first_question}/move",
                        data={"csrf_token": token, "direction": "down"}).status_code == 302
    course = course_by_slug("pipeline-basics")
    assert [i.title for i in course.modules[0].items] == ["Amounts", "Stages check", "What a stage means"]
    assert [q.type for q in db.session.get(Quiz, quiz_id).questions] == ["multiple", "single", "true_false",
                                                                          "scenario"]
    assert db.session.get(Lesson, first).position == 2

    publish_page = trainer.get(f"{A}/courses/{course_id}/publish")
    assert "Before this course can be published" not in publish_page.get_data(as_text=True)
    response = post_form(trainer, f"{A}/courses/{course_id}/publish", {"note": "First version"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/courses/{course_id}/versions")
    version = db.session.scalar(select(CourseVersion).where(CourseVersion.course_id == course_id))
    assert version.number == 1 and version.note == "First version"
    assert version.content == authoring.snapshot(course_by_slug("pipeline-basics"))
    assert course_by_slug("pipeline-basics").status == "published"

    versions = trainer.get(f"{A}/courses/{course_id}/versions").get_data(as_text=True)
    assert "v1" in versions and "Tess Trainer" in versions and "First version" in versions
    listing = trainer.get(f"{A}/").get_data(as_text=True)
    assert "Pipeline basics" in listing and "published" in listing


def test_trainer_edits_and_deletes_with_a_confirmation_step(trainer):
    course = build_course("editing", lessons=2, questions=2, publish=False)
    module, lesson = course.modules[0], course.modules[0].lessons[0]
    question = course.modules[0].quizzes[0].questions[0]
    lesson_id, question_id = lesson.id, question.id

    edit = trainer.get(f"{A}/questions/{question_id}").get_data(as_text=True)
    assert 'value="Right"' in edit and "checked" in edit
    assert post_form(trainer, f"{A}/lessons/{lesson_id}", {"title": "Renamed", "minutes": "3", "body": "New",
                                                           "save": "Save"}).status_code == 302
    assert post_form(trainer, f"{A}/modules/{module.id}", {"slug": "renamed", "title": "Renamed"}).status_code == 302
    assert post_form(trainer, f"{A}/courses/{course.id}/details",
                     {"slug": "editing", "title": "Edited", "kind": "soft_skills"}).status_code == 302
    confirm = trainer.get(f"{A}/lesson/{lesson_id}/delete")
    assert confirm.status_code == 200 and "Delete Lesson “Renamed”?" in confirm.get_data(as_text=True)
    assert db.session.get(Lesson, lesson_id) is not None  # the GET only asks
    assert post_form(trainer, f"{A}/lesson/{lesson_id}/delete", {}).status_code == 302
    assert post_form(trainer, f"{A}/question/{question_id}/delete", {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Lesson, lesson_id) is None and db.session.get(Question, question_id) is None
    course = course_by_slug("editing")
    assert (course.title, course.kind, course.modules[0].slug) == ("Edited", "soft_skills", "renamed")

    token = csrf_token(trainer, f"{A}/courses/{course.id}")
    assert trainer.post(f"{A}/courses/{course.id}/status", data={"csrf_token": token, "status": "archived"}
                        ).status_code == 302
    assert course_by_slug("editing").status == "archived"
    assert trainer.post(f"{A}/courses/{course.id}/status", data={"csrf_token": token, "status": "draft"}
                        ).status_code == 302
    assert course_by_slug("editing").status == "draft"


def test_preview_shows_sanitised_html_and_saves_nothing(trainer):
    course = build_course("preview", lessons=1, questions=0, publish=False)
    module = course.modules[0]

    response = post_form(trainer, f"{A}/modules/{module.id}/lessons/new",
                         {"title": "Unsafe", "minutes": "5", "body": UNSAFE_MARKDOWN, "preview": "Preview"})

    assert response.status_code == 200
    article = preview_article(response.get_data(as_text=True))
    assert "<h1>Safe heading</h1>" in article and "<strong>bold</strong>" in article
    for active in ("<script", "javascript:", "onerror", "data:text/html", "src="):
        assert active not in article, active
    assert db.session.scalar(select(func.count(Lesson.id)).where(Lesson.title == "Unsafe")) == 0

    token = csrf_token(trainer, f"{A}/modules/{module.id}/lessons/new")
    live = trainer.post(f"{A}/preview", json={"markdown": UNSAFE_MARKDOWN}, headers={"X-CSRFToken": token})
    assert live.status_code == 200
    assert "<h1>Safe heading</h1>" in live.json["html"]
    assert not any(bad in live.json["html"] for bad in ("<script", "javascript:", "onerror", "data:text/html"))
    assert trainer.post(f"{A}/preview", json={"markdown": "x"}).status_code == 400  # no CSRF token
    assert trainer.post(f"{A}/preview", json={"text": 1}, headers={"X-CSRFToken": token}).status_code == 400


def test_bad_input_gives_form_errors_not_500(trainer):
    assert new_course(trainer, slug="taken").status_code == 302
    course = course_by_slug("taken")
    module = authoring.save_module(course, authoring.ModuleInfo(slug="one", title="One"))
    quiz = authoring.save_quiz(module, authoring.QuizInfo(title="Quiz"))
    db.session.commit()

    cases = [
        (f"{A}/courses/new", {"slug": "Bad Slug!", "title": "X", "kind": "culture"}, "Lowercase letters"),
        (f"{A}/courses/new", {"slug": "taken", "title": "X", "kind": "culture"}, "already uses the slug"),
        (f"{A}/courses/new", {"slug": "ok", "title": "X", "kind": "nonsense"}, "Not a valid choice"),
        (f"{A}/courses/new", {"slug": "ok", "title": "X", "kind": "culture", "estimated_minutes": "lots"},
         "Not a valid integer"),
        (f"{A}/courses/{course.id}/modules/new", {"slug": "one", "title": "Again"}, "already has a module"),
        (f"{A}/modules/{module.id}/lessons/new", {"title": "", "minutes": "x", "save": "Save"}, "This field"),
        (f"{A}/quizzes/{quiz.id}", {"title": "Quiz", "pass_mark": "150"}, "percentage from 1 to 100"),
        (f"{A}/quizzes/{quiz.id}", {"title": "Quiz", "pass_mark": "0"}, "percentage from 1 to 100"),
        (f"{A}/quizzes/{quiz.id}", {"title": "Quiz", "pass_mark": "75", "draw": "-2"},
         "Number must be between 1 and 1000"),
        (f"{A}/quizzes/{quiz.id}", {"title": "Quiz", "pass_mark": "75", "remedial": "nowhere"},
         "course-slug/module-slug"),
        (f"{A}/quizzes/{quiz.id}/questions/new", {"type": "single", "prompt": "Two right?",
                                                  **options(("A", True, ""), ("B", True, ""))},
         "Mark exactly one option as right."),
        (f"{A}/quizzes/{quiz.id}/questions/new", {"type": "multiple", "prompt": "Only one?",
                                                  **options(("A", True, ""), ("B", False, ""))},
         "at least two right options"),
        (f"{A}/quizzes/{quiz.id}/questions/new", {"type": "scenario", "prompt": "No explanations",
                                                  **options(("A", True, ""), ("B", False, ""))},
         "every option explains"),
        (f"{A}/quizzes/{quiz.id}/questions/new", {"type": "single", "prompt": "", **options(("A", True, ""))},
         "This field is required"),
        (f"{A}/courses/{course.id}/publish", {"note": "too early"}, "cannot be published yet"),
    ]
    for url, data, message in cases:
        response = post_form(trainer, url, data)
        body = response.get_data(as_text=True)
        assert response.status_code == 400, (url, data, response.status_code)
        assert message in body, (url, message)
    assert db.session.scalar(select(func.count(Course.id))) == 1
    assert db.session.scalar(select(func.count(Question.id))) == 0

    token = csrf_token(trainer, f"{A}/")
    assert trainer.post(f"{A}/module/{module.id}/move", data={"csrf_token": token, "direction": "sideways"}
                        ).status_code == 400
    assert trainer.post(f"{A}/widget/1/move", data={"csrf_token": token, "direction": "up"}).status_code == 404
    assert trainer.get(f"{A}/lessons/999999").status_code == 404
    assert trainer.get(f"{A}/courses/999999").status_code == 404
    not_a_zip = {"pack": (io.BytesIO(b"not a zip at all"), "pack.zip")}
    response = post_form(trainer, f"{A}/import", not_a_zip, content_type="multipart/form-data")
    assert response.status_code == 400 and "upload: not a zip file" in response.get_data(as_text=True)
    damaged = bytearray(pack_zip({"course.yaml": "slug: damaged\ntitle: Damaged\n" * 20}))
    damaged[damaged.find(b"Damaged")] ^= 0xFF  # stored uncompressed, so this breaks the member's CRC
    response = upload(trainer, bytes(damaged))
    assert response.status_code == 400 and "the zip cannot be read" in response.get_data(as_text=True)
    wrong_type = {"pack": (io.BytesIO(b"a,b"), "roster.csv")}
    response = post_form(trainer, f"{A}/import", wrong_type, content_type="multipart/form-data")
    assert response.status_code == 400 and "Upload a .zip file." in response.get_data(as_text=True)


def authoring_urls(app, ids: dict[str, int], *, paths: bool = True) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("courses.author") or (not paths and rule.endpoint.startswith(
                "courses.author_path")):
            continue
        args = {name: ids[name] for name in rule.arguments if name not in ("what", "item_id")}
        if "what" in rule.arguments:
            args["what"] = "lesson"
            args["item_id"] = ids["lesson_id"]
        url = rule.build(args, append_unknown=False)[1]
        urls += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return urls


@pytest.mark.parametrize("permissions", [(Permission.LEARNER,), (Permission.MANAGER, Permission.PROGRAM_OFFICE,
                                                                  Permission.SPONSOR, Permission.ADMIN)],
                         ids=["learner", "everything-but-trainer"])
def test_people_without_the_trainer_permission_get_403_everywhere(app, factory, as_person, permissions):
    course = build_course("guarded", lessons=1, questions=1)
    module = course.modules[0]
    quiz = module.quizzes[0]
    ids = {"course_id": course.id, "module_id": module.id, "lesson_id": module.lessons[0].id, "quiz_id": quiz.id,
           "question_id": quiz.questions[0].id, "path_id": 1, "host_id": 1, "key": "x"}
    client = as_person(factory.person(permissions=permissions))
    token = csrf_token(client, "/auth/account")

    # The program office edits learning paths too (tests/courses/test_paths.py); every other page is the trainer's.
    urls = authoring_urls(app, ids, paths=Permission.PROGRAM_OFFICE not in permissions)
    assert len(urls) >= 20
    for method, url in urls:
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, (method, url, response.status_code)
    assert "Authoring" not in client.get("/learning/").get_data(as_text=True)


def pack_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"pack/{name}", text)
    return buffer.getvalue()


def upload(client, data: bytes, *, publish: bool = False):
    form = {"pack": (io.BytesIO(data), "pack.zip")}
    if publish:
        form["publish"] = "y"
    return post_form(client, f"{A}/import", form, content_type="multipart/form-data")


def test_pack_with_an_error_in_a_lesson_reports_file_and_line_and_writes_nothing(trainer):
    lesson = "---\ntitle: Stages\nminutes: 5\n---\n\n# Stages\n\nFine.\n\n<script>alert(1)</script>\n"
    data = pack_zip({
        "course.yaml": "slug: broken\ntitle: Broken\nkind: crm_application\nmodules:\n"
                       "  - slug: one\n    title: One\n    items:\n      - lesson: lessons/02-pipeline.md\n",
        "lessons/02-pipeline.md": lesson,
    })

    response = upload(trainer, data)

    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported: 1 problem" in body
    assert "lessons/02-pipeline.md:10: raw HTML &lt;script&gt; is not allowed" in body
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_export_then_import_gives_the_same_course(trainer):
    course = build_course("round-trip", lessons=2, questions=2, publish=True)
    quiz = course.modules[0].quizzes[0]
    authoring.save_question(quiz, authoring.QuestionInfo(type="true_false", prompt="True?", topic="t",
                                                         options=authoring.true_false_options(True)))
    authoring.save_question(quiz, authoring.QuestionInfo(
        type="scenario", prompt="A customer on credit hold calls.", explanation="Same treatment everywhere.",
        options=({"text": "Tell them", "correct": True, "explanation": "Honest."},
                 {"text": "Hide it", "explanation": "They find out."})))
    db.session.commit()
    before = authoring.snapshot(course_by_slug("round-trip"))

    download = trainer.get(f"{A}/courses/{course.id}/export.zip")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "round-trip.zip" in download.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert "round-trip/course.yaml" in archive.namelist()

    response = upload(trainer, download.data, publish=True)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert authoring.snapshot(course_by_slug("round-trip")) == before
    versions = db.session.scalar(select(func.count(CourseVersion.id)).where(CourseVersion.course_id == course.id))
    assert versions == 2  # the draft had two new questions: one new version, and only one

    copy = {name.split("/", 1)[1]: archive.read(name).decode() for name in archive.namelist()}
    copy["course.yaml"] = copy["course.yaml"].replace("slug: round-trip", "slug: round-trip-copy", 1)
    assert upload(trainer, pack_zip(copy)).status_code == 302
    assert authoring.snapshot(course_by_slug("round-trip-copy")) == {**before, "slug": "round-trip-copy"}
