"""Every learning event the courses plugin sends becomes an xAPI statement in the embedded LRS.

The statements go through :func:`tracking.services.store_statements` with Rapport's own principal, so they are
validated, queued for forwarding and projected into progress exactly like statements sent from outside, and they
are written in the learning event's transaction: if it rolls back, so do they. A transaction's statements are
stored together just before it commits (a quiz submit: one batch for every answer and the outcome).
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, defer

from courses.learning import outline
from courses.models import CourseVersion, Enrolment, LearningPath, PathAssignment, QuizAttempt
from lms import signals
from lms.extensions import db
from lms.people.models import Person
from lms.plugins import receiver
from lms.types import utcnow
from tracking import statements
from tracking.services import store_statements
from tracking.services_clients import SYSTEM
from tracking.services_progress import link_people
from tracking.statements import Learner, Place, Site


def site() -> Site:
    config = current_app.config
    return Site(config["LMS_BASE_URL"], config.get("LMS_XAPI_ACTOR", "account"))


def learner(person: Person) -> Learner:
    return Learner(person.id, person.name, person.email, person.employee_id)


_BUFFER, _PLACES = "tracking.statements", "tracking.places"


def _store(statement: dict) -> None:
    """Keep the statement for this transaction's batch (see :func:`_store_batch`)."""
    db.session.info.setdefault(_BUFFER, []).append(statement)


@event.listens_for(Session, "before_commit")
def _store_batch(session: Session) -> None:
    session.info.pop(_PLACES, None)
    batch = session.info.get(_BUFFER)
    if batch:
        assert session is db.session(), "a learning event's statements are stored by the session that recorded them"
        store_statements(batch, principal=SYSTEM)
    session.info.pop(_BUFFER, None)  # only once stored: a failed commit keeps them with the transaction


@event.listens_for(Session, "after_rollback")
def _forget_batch(session: Session) -> None:
    session.info.pop(_BUFFER, None)
    session.info.pop(_PLACES, None)


def _place(enrolment: Enrolment, item_key: str | None = None) -> tuple[Place, dict | None]:
    """The enrolment's place for an item (module from the version's outline) and the item itself; remembered for
    the transaction (a quiz submit asks once per answer)."""
    places = db.session.info.setdefault(_PLACES, {})
    key = (enrolment.id, enrolment.version_id, enrolment.assignment_id, item_key)
    if key not in places:
        places[key] = _find_place(enrolment, item_key)
    return places[key]


def _find_place(enrolment: Enrolment, item_key: str | None) -> tuple[Place, dict | None]:
    """One query: the version (content deferred; the outline is cached per process) and the path the enrolment's
    assignment belongs to (none without an assignment: ``id IS NULL`` joins nothing)."""
    version, path_slug, path_title = db.session.execute(
        select(CourseVersion, LearningPath.slug, LearningPath.title).options(defer(CourseVersion.content))
        .select_from(CourseVersion)
        .outerjoin(PathAssignment, PathAssignment.id == enrolment.assignment_id)
        .outerjoin(LearningPath, LearningPath.id == PathAssignment.path_id)
        .where(CourseVersion.id == enrolment.version_id)).one()
    plan = outline(version)
    module = plan.module_of.get(item_key) if item_key else None
    place = Place(enrolment.registration, enrolment.course.slug, plan.content["title"], version.number,
                  module["slug"] if module else None, module["title"] if module else None, path_slug, path_title)
    return place, plan.by_key.get(item_key) if item_key else None


@receiver(signals.people_joined, "tracking")
def link_joiners_to_their_records(sender, person_ids: list[int], **kwargs) -> None:
    """Statements stored about someone before they joined Rapport (from the CRM, say) count as theirs now."""
    link_people()


@receiver(signals.lesson_viewed, "tracking")
def record_lesson_viewed(sender, person: Person, lesson: dict, enrolment: Enrolment, **kwargs) -> None:
    place, _ = _place(enrolment, lesson["key"])
    _store(statements.lesson_experienced(site(), learner(person), place, lesson["key"], lesson["title"], utcnow()))


@receiver(signals.lesson_completed, "tracking")
def record_lesson_completed(sender, person: Person, lesson: dict, enrolment: Enrolment, **kwargs) -> None:
    place, _ = _place(enrolment, lesson["key"])
    _store(statements.lesson_completed(site(), learner(person), place, lesson["key"], lesson["title"], utcnow()))


@receiver(signals.quiz_answered, "tracking")
def record_answer(sender, person: Person, attempt: QuizAttempt, question: dict, response: list[int],
                  correct: bool, **kwargs) -> None:
    place, quiz = _place(attempt.enrolment, attempt.quiz_key)
    _store(statements.question_answered(site(), learner(person), place, attempt.quiz_key, quiz["title"], question,
                                        response, correct, utcnow()))


def _record_outcome(person: Person, attempt: QuizAttempt) -> None:
    place, quiz = _place(attempt.enrolment, attempt.quiz_key)
    _store(statements.quiz_finished(site(), learner(person), place, attempt.quiz_key, quiz["title"],
                                    passed=bool(attempt.passed), score=attempt.score, max_score=attempt.max_score,
                                    started_at=attempt.started_at, submitted_at=attempt.submitted_at))


@receiver(signals.quiz_passed, "tracking")
def record_quiz_passed(sender, person: Person, attempt: QuizAttempt, **kwargs) -> None:
    _record_outcome(person, attempt)


@receiver(signals.quiz_failed, "tracking")
def record_quiz_failed(sender, person: Person, attempt: QuizAttempt, **kwargs) -> None:
    _record_outcome(person, attempt)


@receiver(signals.course_completed, "tracking")
def record_course_completed(sender, person: Person, enrolment: Enrolment, **kwargs) -> None:
    place, _ = _place(enrolment)
    _store(statements.course_completed(site(), learner(person), place, enrolment.completed_at or utcnow(),
                                       enrolment.started_at))


@receiver(signals.path_completed, "tracking")
def record_path_completed(sender, person: Person, assignment: PathAssignment, **kwargs) -> None:
    _store(statements.path_completed(site(), learner(person), assignment.path.slug, assignment.path.title,
                                     assignment.completed_at or utcnow()))
