"""The outbox and its sender, against a real SMTP server (aiosmtpd): what arrives, retries, bounces, claims."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.mail import outbox
from lms.mail import smtp as transport
from lms.mail.delivery import deliver
from lms.mail.models import MailSuppression, OutgoingMail
from lms.mail.rendering import NotSent, RenderedMail
from lms.mail.services import cancel, counts, hold, queue_mail, queue_rendered, release
from lms.people.models import Person
from lms.types import utcnow


def _due_now() -> None:
    for mail in db.session.scalars(select(OutgoingMail).where(OutgoingMail.status == "queued")):
        mail.next_attempt_at = utcnow()
    db.session.commit()


def _mail(mail_id: int) -> OutgoingMail:
    db.session.expire_all()
    return db.session.get(OutgoingMail, mail_id)


def test_queued_mail_is_not_sent_if_the_transaction_rolls_back(app, inbox):
    queue_mail("a@example.com", "Hello", "Body")
    db.session.rollback()
    assert deliver().sent == 0
    assert inbox.messages == []


def test_a_mail_arrives_as_multipart_alternative_with_safe_headers(app, inbox):
    mail = queue_mail("zoe@example.com", "Willkommen, Zoë: your path 🎉\r\nBcc: evil@example.com",
                      "Hello Zoë,\n.\nA line that starts with a dot.\n" + "long " * 60,
                      "<p>Hello <strong>Zoë</strong></p>", headers={"List-Id": "Rapport news <news.rapport>"})
    db.session.commit()
    assert deliver().sent == 1
    [received] = inbox.messages
    assert received["Subject"] == "Willkommen, Zoë: your path 🎉 Bcc: evil@example.com"
    assert received["Bcc"] is None and received["To"] == "zoe@example.com"
    assert received["From"] == "Rapport <no-reply@rapport.invalid>"
    assert received["List-Id"] == "Rapport news <news.rapport>"
    assert received.get_content_type() == "multipart/alternative"
    assert received["Date"] is not None and received["MIME-Version"] == "1.0"
    text = received.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Hello Zoë,\n.\nA line that starts with a dot.\n")  # dot-stuffing undone by the relay
    assert text.count("long") == 60
    assert received.get_body(("html",)).get_content().strip() == "<p>Hello <strong>Zoë</strong></p>"
    row = _mail(mail.id)
    assert row.status == "sent" and row.smtp_reply.startswith("250") and row.sent_at is not None
    assert received["Message-ID"] == row.message_id and row.message_id.endswith("@rapport.invalid>")


def test_refused_connections_are_retried_without_using_up_attempts(make_app, inbox):
    broken = make_app(LMS_SMTP_PORT=1)  # nothing listens there
    with broken.app_context():
        mail_id = queue_mail("a@example.com", "Reminder", "Your course is due", "<p>Your course is due</p>").id
        db.session.commit()
        report = deliver()
        assert report.sent == 0 and "ConnectionRefused" in report.relay_down
        row = _mail(mail_id)
        assert row.status == "queued" and row.attempts == 0 and "ConnectionRefused" in row.last_error
        _due_now()
    working = make_app()
    with working.app_context():
        result = working.test_cli_runner().invoke(args=["lms", "worker", "--once"])
        assert "mail: 1 sent" in result.output
        assert _mail(mail_id).status == "sent"
    assert [m["Subject"] for m in inbox.messages] == ["Reminder"]


def test_a_temporary_refusal_is_retried_with_backoff(app, inbox):
    inbox.rcpt_reply = lambda address: "451 4.3.0 Try again later"
    mail = queue_mail("a@example.com", "Hi", "Body")
    db.session.commit()
    report = deliver()
    assert (report.sent, report.retried) == (0, 1)
    row = _mail(mail.id)
    assert row.status == "queued" and row.attempts == 1 and row.last_error.startswith("451")
    assert row.next_attempt_at > utcnow() + timedelta(seconds=20)  # LMS_MAIL_RETRY_BASE is 30 s, with jitter
    assert deliver().sent == 0  # not due yet
    inbox.rcpt_reply = None
    _due_now()
    assert deliver().sent == 1
    assert len(inbox.messages) == 1 and _mail(mail.id).attempts == 2


def test_too_many_temporary_failures_give_the_mail_up(make_app, inbox):
    app = make_app(LMS_MAIL_MAX_ATTEMPTS=2)
    with app.app_context():
        inbox.rcpt_reply = lambda address: "452 4.2.2 Mailbox full"
        mail = queue_mail("a@example.com", "Hi", "Body")
        db.session.commit()
        deliver()
        _due_now()
        assert deliver().failed == 1
        row = _mail(mail.id)
        assert row.status == "failed" and row.attempts == 2 and "452" in row.last_error


def test_a_permanent_bounce_is_recorded_and_the_address_skipped_until_cleared(app, inbox, factory):
    person = factory.person(email="gone@example.com")
    inbox.rcpt_reply = lambda address: "550 5.1.1 No such user" if address.startswith("gone") else None
    bounced = queue_mail("gone@example.com", "First", "Body", person_id=person.id, category="newsletter")
    fine = queue_mail("here@example.com", "First", "Body")
    db.session.commit()
    report = deliver()
    assert (report.sent, report.bounced) == (1, 1)
    row = _mail(bounced.id)
    assert row.status == "bounced" and row.smtp_reply == "550 5.1.1 No such user"
    suppression = db.session.get(MailSuppression, "gone@example.com")
    assert suppression.mail_id == bounced.id and "No such user" in suppression.detail
    assert _mail(fine.id).status == "sent"
    later = queue_mail("Gone@Example.com", "Second", "Body", category="newsletter")
    db.session.commit()
    assert deliver().skipped == 1
    assert _mail(later.id).status == "skipped" and "bounced before" in _mail(later.id).last_error
    assert len(inbox.messages) == 1


def test_mail_to_a_deactivated_person_is_skipped_but_account_mail_is_not(app, inbox, factory):
    person = factory.person(active=False)
    news = queue_mail(person.email, "News", "Body", person_id=person.id, category="newsletter")
    db.session.commit()
    assert deliver().skipped == 1 and _mail(news.id).status == "skipped"
    assert inbox.messages == []


def test_a_claim_whose_worker_died_before_handing_over_is_sent_once_by_another(app, inbox):
    mail = queue_mail("a@example.com", "Hi", "Body")
    db.session.commit()
    row = _mail(mail.id)
    row.status, row.claimed_by, row.claimed_until = "sending", "dead-worker", utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert deliver().sent == 1
    assert deliver().sent == 0
    assert len(inbox.messages) == 1


def test_a_mail_handed_over_before_its_worker_died_is_never_sent_again(app, inbox):
    mail = queue_mail("a@example.com", "Hi", "Body")
    db.session.commit()
    row = _mail(mail.id)  # what a worker killed after its hand-over commit leaves behind
    row.status, row.sent_at, row.attempts = "sent", utcnow(), 1
    db.session.commit()
    assert deliver().sent == 0
    assert inbox.messages == [] and _mail(mail.id).unconfirmed


def test_a_late_refusal_for_a_claim_another_worker_took_over_does_not_queue_the_sent_mail_again(app, inbox):
    mail = queue_mail("a@example.com", "Hi", "Body")
    db.session.commit()
    token, _ = outbox.claim(10, 60, None)  # a slow worker claims it, and is answered 451 long after ...
    row = _mail(mail.id)
    row.claimed_until = utcnow() - timedelta(seconds=1)  # ... its lease ran out, so another worker sent the mail
    db.session.commit()
    assert deliver().sent == 1
    report = outbox.DeliveryReport()
    opts = {"attempts": 8, "retry": 30}
    outbox.write_outcomes([transport.Result(mail.id, transport.Outcome.TEMPORARY, "451 4.3.0 Try later")], token,
                          opts, report)
    db.session.commit()
    assert report.retried == 0 and _mail(mail.id).status == "sent"
    _due_now()
    assert deliver().sent == 0
    assert len(inbox.messages) == 1


def test_a_round_whose_claim_was_taken_over_is_abandoned_before_its_end(app, inbox, smtp_server):
    settings = transport.SmtpSettings("127.0.0.1", smtp_server[0].port, connections=2)
    envelopes = [transport.Envelope(n, "no-reply@rapport.invalid", f"p{n}@example.com",
                                    b"Subject: hi\r\n\r\nbody\r\n") for n in (1, 2)]
    with transport.Pool(settings) as pool:
        results = transport.send_round(pool, envelopes, lambda keys: {2})
    assert [r.outcome for r in results] == [transport.Outcome.LOST_CLAIM, transport.Outcome.SENT]
    assert [rcpts for _, rcpts in inbox.envelopes] == [["p2@example.com"]]


def test_several_connections_send_each_mail_exactly_once(make_app, inbox):
    app = make_app(LMS_SMTP_CONNECTIONS=4, LMS_MAIL_BATCH=7)
    with app.app_context():
        ids = [queue_mail(f"p{n}@example.com", f"Mail {n}", "Body").id for n in range(23)]
        db.session.commit()
        assert deliver().sent == 23
        assert sorted(m["Subject"] for m in inbox.messages) == sorted(f"Mail {n}" for n in range(23))
        assert all(_mail(i).status == "sent" for i in ids)


@pytest.mark.parametrize("senders", [1, 3])
def test_senders_share_the_sessions_and_every_mail_keeps_its_reply_and_message_id(make_app, inbox, senders):
    app = make_app(LMS_SMTP_CONNECTIONS=6, LMS_MAIL_SENDERS=senders, LMS_MAIL_BATCH=10)
    inbox.rcpt_reply = lambda address: "550 5.1.1 No such user" if address.startswith("refuse") else None
    with app.app_context():
        ids = [queue_mail(f"p{n}@example.com", f"Mail {n}", "Body").id for n in range(95)]
        bounced = queue_mail("refuse-permanently@example.com", "Mail to nobody", "Body").id
        db.session.commit()
        report = deliver()
        assert (report.sent, report.bounced) == (95, 1)
        received = {m["To"]: m for m in inbox.messages}
        assert sorted(received) == sorted(f"p{n}@example.com" for n in range(95))  # each once
        for mail_id in ids:
            row = _mail(mail_id)
            assert row.status == "sent" and row.smtp_reply.startswith("250") and row.attempts == 1
            assert received[row.to_address]["Message-ID"] == row.message_id  # recorded when it was handed over
        assert _mail(bounced).status == "bounced"
        assert db.session.get(MailSuppression, "refuse-permanently@example.com") is not None


def test_rows_without_bodies_are_rendered_when_sent_by_their_sources_renderer(app, inbox, factory):
    people = [factory.person(email=f"r{n}@example.com", name=f"Reader {n}") for n in range(3)]

    def render(mails):
        answers = {}
        for mail in mails:
            person = db.session.get(Person, mail.person_id)
            if person.name == "Reader 1":
                answers[mail.id] = NotSent("skipped", "unsubscribed from newsletters")
            elif person.name == "Reader 2":
                answers[mail.id] = NotSent("failed", "template error: 'course' is undefined")
            else:
                answers[mail.id] = RenderedMail(f"News for {person.name}", "Hi", "<p>Hi</p>",
                                                {"List-Unsubscribe": "<https://x.example/u>"}, to_name=person.name)
        return answers

    app.extensions["lms"].mail_renderers["bulletin"] = render
    recipients = select(Person.id.label("person_id"), Person.email.label("to_address")).where(
        Person.id.in_([p.id for p in people]))
    assert queue_rendered(recipients, source="bulletin", source_id=7, category="newsletter") == 3
    db.session.commit()
    report = deliver()
    assert (report.sent, report.skipped, report.failed) == (1, 1, 1)
    [received] = inbox.messages
    assert received["Subject"] == "News for Reader 0" and received["To"] == "Reader 0 <r0@example.com>"
    assert received["List-Unsubscribe"] == "<https://x.example/u>"
    assert counts("bulletin", [7])[7].sent == 1
    failed = db.session.scalar(select(OutgoingMail).where(OutgoingMail.status == "failed"))
    assert "template error" in failed.last_error


def test_mail_whose_renderer_is_missing_waits_and_says_why(app, inbox, factory):
    person = factory.person()
    queue_rendered(select(Person.id.label("person_id"), Person.email.label("to_address")), source="nobody",
                   source_id=1, category="newsletter")
    db.session.commit()
    assert deliver().sent == 0
    row = db.session.scalar(select(OutgoingMail).where(OutgoingMail.person_id == person.id))
    assert row.status == "queued" and "is its plugin enabled" in row.last_error


def test_holding_releasing_and_cancelling_a_sources_mail(app, inbox, factory):
    for n in range(3):
        queue_mail(f"h{n}@example.com", "Held", "Body", source="bulletin", source_id=9)
    db.session.commit()
    assert hold("bulletin", 9) == 3
    db.session.commit()
    assert deliver().sent == 0 and counts("bulletin", [9])[9].queued == 3
    assert release("bulletin", 9) == 3
    db.session.commit()
    first = db.session.scalar(select(OutgoingMail).order_by(OutgoingMail.id))
    first.status = "sent"  # as if it had gone out already
    db.session.commit()
    assert cancel("bulletin", 9) == 2
    db.session.commit()
    assert deliver().sent == 0
    assert counts("bulletin", [9])[9] == counts("bulletin", [9])[9].__class__(total=3, sent=1, unconfirmed=1,
                                                                            cancelled=2)


def test_the_rate_limit_spaces_rounds_out():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limit = transport.RateLimit(2.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(6):
        limit.wait(1)
    assert now[0] == pytest.approx(2.0)  # two at once (the burst), then one every half second
    unlimited = transport.RateLimit(0, clock=lambda: 0.0, sleep=sleep)
    unlimited.wait(1000)
    assert len(slept) == 4
