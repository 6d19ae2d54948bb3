"""The comms composer and ``comms.api.send_to_people``, checked on the mails a real SMTP server (aiosmtpd) receives:
headers, both parts, inlined CSS, personalisation, who is skipped, and template problems named before anything is
queued."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from comms import api
from comms.models import OptOut
from courses.enrolment import enrol, today
from lms.extensions import db
from lms.mail.delivery import deliver
from lms.mail.models import MailSuppression, OutgoingMail
from tests.courses.builders import build_course

BODY = """Hello {{ first_name }},

As a **{{ job_role }}** in {{ department }} (manager: {{ manager }}) you have this to do:

{{ due }}

See [My learning]({{ my_learning_url }}) and [the go-live plan](https://intranet.example.com/go-live?a=1&b=2).
"""


@pytest.fixture()
def ann(app, factory):
    boss = factory.person(name="Maria Boss", role="sales_manager")
    person = factory.person(name="Ann Lee", role="sales_rep", department="Sales", manager=boss,
                            email="ann@example.com")
    course = build_course("pipeline-basics")
    enrol(person, course, source="manual", due_date=today() + timedelta(days=5))
    db.session.commit()
    return person


def test_a_newsletter_arrives_personalised_in_both_parts_with_inlined_css(app, inbox, ann):
    queued = api.send_to_people([ann.id], subject="News for {{ first_name }}", body_markdown=BODY,
                                category="newsletter", source="adoption-digest", sender_name="Program Office")
    db.session.commit()
    assert queued == 1
    assert deliver().sent == 1
    [mail] = inbox.messages
    assert mail["Subject"] == "News for Ann"
    assert mail["From"] == "Program Office <no-reply@rapport.invalid>"
    assert mail["To"] == "ann@example.com"
    assert mail["Message-ID"].endswith("@rapport.invalid>") and mail["Date"]
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["List-Unsubscribe"].strip().startswith("<http://localhost/comms/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = inbox.text(), inbox.html()
    due = (today() + timedelta(days=5)).strftime("%d %b %Y")
    assert "Hello Ann," in text and "As a **Sales rep** in Sales (manager: Maria Boss)" in text
    assert re.search(rf"- Pipeline Basics \(http://localhost/comms/l/[^)]+\), due {due}\r?\n", text)
    assert "Pipeline Basics</a>" in html and f"due {due}" in html
    assert "<style" not in html and 'style="' in html  # css-inline moved the layout's CSS onto the elements
    assert "<strong" in html and "Sales rep" in html
    row = db.session.scalar(select(OutgoingMail))
    assert row.source == "adoption-digest" and row.category == "newsletter"


def test_announcements_cannot_be_left_so_they_carry_no_unsubscribe_header(app, inbox, ann):
    db.session.add(OptOut(person_id=ann.id, category="newsletter"))
    db.session.commit()
    assert api.send_to_people([ann.id], subject="S", body_markdown="Hi", category="newsletter", source="t") == 0
    assert api.send_to_people([ann.id], subject="We go live", body_markdown="Monday.", category="announcement",
                              source="t") == 1
    db.session.commit()
    deliver()
    [mail] = inbox.messages
    assert mail["List-Unsubscribe"] is None and "/comms/preferences/" in inbox.text()


def test_inactive_bounced_and_unusable_people_are_skipped(app, inbox, factory):
    fine = factory.person(name="Fine One")
    gone = factory.person(name="Gone Two", active=False)
    bounced = factory.person(name="Bounced Three", email="bounced@example.com")
    db.session.add(MailSuppression(email="bounced@example.com", reason="bounce", detail="550"))
    db.session.commit()
    assert api.send_to_people([fine.id, gone.id, bounced.id], subject="Hi {{ name }}", body_markdown="x",
                              category="reminder", source="adoption-nudge") == 1
    db.session.commit()
    deliver()
    assert [m["Subject"] for m in inbox.messages] == ["Hi Fine One"]


def test_an_unknown_placeholder_is_named_and_nothing_is_queued(app, ann):
    with pytest.raises(api.TemplateProblem) as problem:
        api.send_to_people([ann.id], subject="Hi", body_markdown="Dear {{ frist_name }}", category="newsletter",
                           source="t")
    assert "frist_name" in problem.value.message and problem.value.field == "body"
    with pytest.raises(api.TemplateProblem) as problem:
        api.send_to_people([ann.id], subject="Hi {{ first_name", body_markdown="x", category="newsletter",
                           source="t")
    assert "subject" in problem.value.message and "line 1" in problem.value.message
    with pytest.raises(api.TemplateProblem) as problem:
        api.send_to_people([ann.id], subject="Hi", body_markdown="Code {{ extra.code }}", category="survey",
                           source="t", extra={ann.id: {"link": "x"}})
    assert "extra.code" in problem.value.message
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0


def test_extra_values_personalise_and_names_cannot_inject_markdown(app, inbox, factory):
    tricky = factory.person(name="[Click me](https://evil.example.com) <b>x</b>", role="sales_rep")
    api.send_to_people([tricky.id], subject="Survey", category="survey", source="adoption-survey",
                       body_markdown="Hi {{ name }}: [answer here]({{ extra.link }}) code {{ extra.code }}",
                       extra={tricky.id: {"link": "https://survey.example.com/s/1", "code": "A*B"}})
    db.session.commit()
    deliver()
    html, text = inbox.html(), inbox.text()
    assert "Hi [Click me](https://evil.example.com) &lt;b&gt;x&lt;/b&gt;:" in html  # shown as typed, not a link
    assert text.startswith("Hi [Click me](https://evil.example.com) <b>x</b>: answer here (http://localhost/comms/l/")
    assert html.count("/comms/l/") == 1 and "code A*B" in html and "code A*B" in text


def test_an_unknown_category_is_refused(app, ann):
    with pytest.raises(api.DomainError):
        api.send_to_people([ann.id], subject="S", body_markdown="B", category="spam", source="t")


def test_a_body_with_blocks_takes_the_general_path_and_reads_the_same(app, inbox, ann):
    loop = "Hi {{ first_name }}:\n\n{% for c in due %}- {{ c.title }}{{ ' (late)' if c.overdue }}\n{% endfor %}"
    plain = "Hi {{ first_name }}:\n\n- Pipeline Basics"
    for body in (loop, plain):
        api.send_to_people([ann.id], subject="S", body_markdown=body, category="reminder", source="t")
    db.session.commit()
    deliver()
    first, second = (m.get_body(("html",)).get_content() for m in inbox.messages)
    assert "<li>Pipeline Basics</li>" in first and "<li>Pipeline Basics</li>" in second
    assert inbox.text(0).split("--")[0] == inbox.text(1).split("--")[0]
