"""The question bank: GIFT and CSV imports (line-numbered errors, nothing kept when one is wrong), questions added
to any quiz as copies, a quiz's question kept in the bank; and duplicating a course."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from courses import bank, packs
from courses.models import BankQuestion, Course
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.permissions import Permission
from tests.conftest import post_form
from tests.courses.builders import build_course

GIFT = """// Pipeline questions
$CATEGORY: $course$/pipeline

::Stage exit:: When does an opportunity move on? {
  =When its exit criteria are met #Evidence from the customer.
  ~When the rep feels good about it #Hope is not a stage.
  ~When the manager asks
  ####Stages move on evidence.
}

::Forecast:: Which belong in the commit forecast? {~%50%Closed won ~%50%Commit ~%-100%Pipeline}

A lead can be converted twice.{FALSE}

Escaped \\{braces\\} and a colon\\: fine {=yes ~no}
"""


def test_gift_import(app):
    single, multiple, true_false, escaped = bank.parse_gift(GIFT)
    assert single.type == "single" and single.topic == "pipeline"
    assert single.prompt == "When does an opportunity move on?"
    assert [o["correct"] for o in single.options] == [True, False, False]
    assert single.options[1]["explanation"] == "Hope is not a stage."
    assert single.explanation == "Stages move on evidence."
    assert multiple.type == "multiple" and [o["text"] for o in multiple.options if o["correct"]] == [
        "Closed won", "Commit"]
    assert true_false.type == "true_false" and true_false.options[1]["correct"]  # False is right
    assert escaped.prompt == "Escaped {braces} and a colon: fine"


def test_gift_errors_name_their_lines_and_keep_nothing(app):
    source = "Fine {=a ~b}\n\nNo answers here\n\nShort answer {=Paris =paris}\n\nMatch {=a -> 1 =b -> 2}\n"
    with pytest.raises(packs.PackError) as error:
        bank.parse_gift(source, name="q.gift")
    assert error.value.problems == [
        "q.gift:3: a question needs its answers between { and }",
        "q.gift:5: short-answer questions are not supported: give wrong options with ~",
        "q.gift:7: numeric and matching questions are not supported"]


CSV = ("type,topic,prompt,option1,option2,option3,correct,explanation\n"
       "single,leads,Which record first?,A lead,An opportunity,An account,1,Leads come first.\n"
       "multiple,forecast,Which are in commit?,Closed,Commit,Pipeline,1;2,\n"
       "true_false,leads,A lead converts twice.,,,,false,\n")


def test_csv_import_and_line_numbered_errors(client, factory, as_person):
    single, multiple, true_false = bank.parse_csv(CSV)
    assert single.options[0]["correct"] and single.explanation == "Leads come first."
    assert [o["correct"] for o in multiple.options] == [True, True, False] and true_false.type == "true_false"
    bad = CSV + "single,x,Two right?,a,b,,1;2,\nsingle,x,Empty correct,a,b,,4,\nessay,x,Write,,,,,\n"
    with pytest.raises(packs.PackError) as error:
        bank.parse_csv(bad, name="q.csv")
    assert [p.split(": ", 1)[0] for p in error.value.problems] == ["q.csv:5", "q.csv:6", "q.csv:7"]
    assert "Mark exactly one option as right" in error.value.problems[0]

    as_person(factory.person(permissions=(Permission.TRAINER,)))
    response = post_form(client, "/learning/author/bank", {"file": (io.BytesIO(bad.encode()), "q.csv"),
                                                           "format": "csv"}, content_type="multipart/form-data")
    assert response.status_code == 400 and "q.csv:6" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(BankQuestion)) == 0
    response = post_form(client, "/learning/author/bank", {"file": (io.BytesIO(GIFT.encode()), "q.gift"),
                                                           "format": "gift"}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(BankQuestion)) == 4


def test_bank_questions_are_reused_across_quizzes_as_copies(client, factory, as_person):
    first = build_course("first", questions=1, publish=False)
    second = build_course("second", questions=0, publish=False)
    from courses import authoring

    quiz_two = authoring.save_quiz(second.modules[0], authoring.QuizInfo(title="Second check"))
    db.session.commit()
    as_person(factory.person(permissions=(Permission.TRAINER,)))
    question = first.modules[0].quizzes[0].questions[0]
    post_form(client, f"/learning/author/questions/{question.id}/to-bank", {},
              form_url=f"/learning/author/questions/{question.id}")
    kept = db.session.scalar(select(BankQuestion))
    assert kept.prompt == question.prompt
    url = f"/learning/author/quizzes/{quiz_two.id}/from-bank"
    assert question.prompt in client.get(url).get_data(as_text=True)
    assert post_form(client, url, {"question_ids": str(kept.id)}).status_code == 302
    db.session.expire_all()
    [copy] = db.session.get(type(quiz_two), quiz_two.id).questions
    assert copy.prompt == question.prompt and copy.bank_id == kept.id and copy.key != question.key


def test_a_course_is_duplicated_as_a_new_draft(client, factory, as_person):
    course = build_course("original", lessons=2, questions=2)
    as_person(factory.person(permissions=(Permission.TRAINER,)))
    url = f"/learning/author/courses/{course.id}/duplicate"
    assert "original-copy" in client.get(url).get_data(as_text=True)
    response = post_form(client, url, {"title": "Copy", "slug": "copy"})
    assert response.status_code == 302
    copy = db.session.scalar(select(Course).where(Course.slug == "copy"))
    assert copy.status == "draft" and copy.versions == []
    original_items = [(i.kind, i.title) for m in course.modules for i in m.items]
    assert [(i.kind, i.title) for m in copy.modules for i in m.items] == original_items
    assert {i.key for m in copy.modules for i in m.items}.isdisjoint({i.key for m in course.modules for i in m.items})
    again = post_form(client, url, {"title": "Again", "slug": "copy"})
    assert again.status_code == 400 and "already uses the slug copy" in again.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target == "copy",
                                                              AuditEvent.action == "course.duplicate"))
