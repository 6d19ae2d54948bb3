"""Every learning event the courses plugin sends becomes an xAPI statement in the embedded LRS.

The statements go through :func:`tracking.services.store_statements` with Rapport's own principal, so they are
validated, queued for forwarding and projected into progress exactly like statements sent from outside, and they
are written in the learning event's transaction: if it rolls back, so do they. A transaction's statements are
stored together just before it commits (a quiz submit: one batch for every answer and the outcome).
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms import signals
from lms.extensions import db
from lms.plugins import receiver
from lms.signals import (
    AnswerEvent,
    CourseEvent,
    LearnerRef,
    LessonEvent,
    MailEvent,
    PathEvent,
    PlaceRef,
    QuizOutcome,
)
from tracking import statements
from tracking.services import store_statements
from tracking.services_clients import SYSTEM
from tracking.services_progress import link_people
from tracking.statements import Learner, Place, Site


def site() -> Site:
    config = current_app.config
    return Site(config["LMS_BASE_URL"], config.get("LMS_XAPI_ACTOR", "account"))


def learner(ref: LearnerRef) -> Learner:
    return Learner(ref.person_id, ref.name, ref.email, ref.employee_id)


def place(ref: PlaceRef) -> Place:
    return Place(ref.registration, ref.course_slug, ref.course_title, ref.version, ref.module_slug, ref.module_title,
                 ref.path_slug, ref.path_title)


_BUFFER = "tracking.statements"


def _store(statement: dict) -> None:
    """Keep the statement for this transaction's batch (see :func:`_store_batch`)."""
    db.session.info.setdefault(_BUFFER, []).append(statement)


@event.listens_for(Session, "before_commit")
def _store_batch(session: Session) -> None:
    batch = session.info.get(_BUFFER)
    if batch:
        assert session is db.session(), "a learning event's statements are stored by the session that recorded them"
        store_statements(batch, principal=SYSTEM)
    session.info.pop(_BUFFER, None)  # only once stored: a failed commit keeps them with the transaction


@event.listens_for(Session, "after_rollback")
def _forget_batch(session: Session) -> None:
    session.info.pop(_BUFFER, None)


@receiver(signals.people_joined, "tracking")
def link_joiners_to_their_records(sender, person_ids: list[int], **kwargs) -> None:
    """Statements stored about someone before they joined Rapport (from the CRM, say) count as theirs now."""
    link_people()


@receiver(signals.lesson_viewed, "tracking")
def record_lesson_viewed(sender, event: LessonEvent, **kwargs) -> None:
    _store(statements.lesson_experienced(site(), learner(event.learner), place(event.place), event.lesson.key,
                                         event.lesson.title, event.at))


@receiver(signals.lesson_completed, "tracking")
def record_lesson_completed(sender, event: LessonEvent, **kwargs) -> None:
    _store(statements.lesson_completed(site(), learner(event.learner), place(event.place), event.lesson.key,
                                       event.lesson.title, event.at))


@receiver(signals.quiz_answered, "tracking")
def record_answer(sender, event: AnswerEvent, **kwargs) -> None:
    _store(statements.question_answered(site(), learner(event.learner), place(event.place), event.quiz.key,
                                        event.quiz.title, event.question, list(event.response), event.correct,
                                        event.at))


def _record_outcome(event: QuizOutcome) -> None:
    _store(statements.quiz_finished(site(), learner(event.learner), place(event.place), event.quiz.key,
                                    event.quiz.title, passed=event.passed, score=event.score,
                                    max_score=event.max_score, started_at=event.started_at,
                                    submitted_at=event.submitted_at))


@receiver(signals.quiz_passed, "tracking")
def record_quiz_passed(sender, event: QuizOutcome, **kwargs) -> None:
    _record_outcome(event)


@receiver(signals.quiz_failed, "tracking")
def record_quiz_failed(sender, event: QuizOutcome, **kwargs) -> None:
    _record_outcome(event)


@receiver(signals.course_completed, "tracking")
def record_course_completed(sender, event: CourseEvent, **kwargs) -> None:
    _store(statements.course_completed(site(), learner(event.learner), place(event.place), event.completed_at,
                                       event.started_at))


@receiver(signals.path_completed, "tracking")
def record_path_completed(sender, event: PathEvent, **kwargs) -> None:
    _store(statements.path_completed(site(), learner(event.learner), event.path_slug, event.path_title,
                                     event.completed_at))


def _mail_statement(event: MailEvent) -> None:
    _store(statements.mail_read(site(), learner(event.learner), campaign_id=event.campaign_id, mail_id=event.mail_id,
                                title=event.title, category=event.category, at=event.at, url=event.url))


@receiver(signals.mail_opened, "tracking")
def record_mail_opened(sender, event: MailEvent, **kwargs) -> None:
    """A person opened a comms mail: "read" it (comms sends this only while per-person tracking is on)."""
    _mail_statement(event)


@receiver(signals.mail_clicked, "tracking")
def record_mail_clicked(sender, event: MailEvent, **kwargs) -> None:
    """A person followed a link of a comms mail: "experienced" it, the link's target in a context extension."""
    _mail_statement(event)
