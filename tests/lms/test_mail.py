"""Mail goes through the outbox: sent after commit, retried by the worker, never for rolled-back work."""
from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.mail.models import OutgoingMail
from lms.mail.services import deliver, queue_mail
from lms.types import utcnow


def test_queued_mail_is_not_sent_if_the_transaction_rolls_back(app, inbox):
    queue_mail("a@example.com", "Hello", "Body")
    db.session.rollback()
    assert deliver() == (0, 0)
    assert inbox.messages == []


def test_failed_delivery_is_retried_by_the_worker(make_app, inbox, smtp_server):
    broken = make_app(LMS_SMTP_PORT=1)  # nothing listens there
    with broken.app_context():
        mail = queue_mail("a@example.com", "Reminder", "Your course is due", "<p>Your course is due</p>")
        db.session.commit()
        assert deliver() == (0, 1)
        mail = db.session.get(OutgoingMail, mail.id)
        assert mail.status == "queued" and mail.attempts == 1 and "ConnectionRefused" in mail.last_error
        mail.next_attempt_at = utcnow()
        db.session.commit()
    working = make_app()
    with working.app_context():
        result = working.test_cli_runner().invoke(args=["lms", "worker", "--once"])
        assert "mail: 1 sent, 0 failed" in result.output
        sent = db.session.scalar(select(OutgoingMail))
        assert sent.status == "sent" and sent.sent_at is not None
    assert inbox.messages[0]["Subject"] == "Reminder"
    assert inbox.messages[0].get_body(("html",)).get_content().strip() == "<p>Your course is due</p>"
