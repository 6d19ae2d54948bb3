"""What an attempt shows: its options' order, what feedback a failed attempt gives, and who can help a learner who
has used every attempt."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from courses.models import Enrolment, QuizAttempt
from lms.extensions import db
from lms.people.models import Person, PersonPermission

if TYPE_CHECKING:
    from courses.learning import QuizState


def shown_order(attempt: QuizAttempt, question: dict[str, Any]) -> list[int]:
    """The question's option indexes in the order this attempt shows them."""
    order = (attempt.option_orders or {}).get(question["key"])
    return order if order and sorted(order) == list(range(len(question["options"]))) else list(
        range(len(question["options"])))


def who_can_help(enrolment: Enrolment) -> str:
    """Who can give a learner who has used every attempt another one: their manager or a trainer, by name."""
    trainers = db.session.scalars(select(Person.name).join(PersonPermission, PersonPermission.person_id == Person.id)
                                  .where(PersonPermission.permission == "trainer", Person.active.is_(True))
                                  .order_by(Person.name).limit(3)).all()
    manager = enrolment.person.manager
    names = [f"your manager {manager.name}"] if manager is not None else []
    if trainers:
        names.append("a trainer (" + ", ".join(trainers) + ")")
    if not names:
        return "Ask your trainer to review it with you: they can grant another attempt."
    return "Ask " + " or ".join(names) + " to review it with you: a trainer can grant another attempt."


def shows_right_answers(quiz: dict[str, Any], attempt: QuizAttempt, state: QuizState) -> bool:
    """The quiz's feedback setting: right answers after a failed attempt always (``answers``), never
    (``wrong_only``), or only once no attempt is left (``final``); always once passed."""
    if attempt.passed:
        return True
    setting = quiz.get("feedback", "final")
    return setting == "answers" or (setting == "final" and state.out_of_attempts)
