"""Learning activity for the demo: most people part-way through their paths, a few done, some quizzes failed, so
that My learning, a manager's team, progress and the learning records have something to show.

Everything goes through the learner's own services (lessons viewed and completed, quiz attempts marked on the
server), so the signals, statements and projections are the ones a real learner produces.
"""
from __future__ import annotations

import random

from sqlalchemy import select

from courses import learning
from courses.models import Enrolment
from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import Person

#: How far people have come, by share of the people: nothing yet, a little, about half, nearly all, all of it.
PACES = ((0.25, 0.0), (0.2, 0.2), (0.25, 0.5), (0.15, 0.8), (0.15, 1.0))


def simulate_learning(rng: random.Random, skip_emails: set[str] = frozenset()) -> int:
    """Work through every person's enrolments (but those of ``skip_emails``) at a pace drawn for them; commit per
    person; return how many lessons were completed."""
    completed = 0
    people = db.session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.id)).all()
    for person in people:
        if person.email in skip_emails:
            continue
        pace = _pace(rng)
        enrolments = db.session.scalars(select(Enrolment).where(
            Enrolment.person_id == person.id, Enrolment.source != "remedial").order_by(Enrolment.id)).all()
        for enrolment in enrolments:
            completed += _work_through(enrolment, pace, rng)
        db.session.commit()
    return completed


def _pace(rng: random.Random) -> float:
    draw = rng.random()
    for share, pace in PACES:
        if draw < share:
            return pace
        draw -= share
    return PACES[-1][1]


def _work_through(enrolment: Enrolment, pace: float, rng: random.Random) -> int:
    """Complete the first ``pace`` share of the course's items in order; answer quizzes mostly right."""
    plan = learning.outline(learning.version_of(enrolment))
    items = plan.items[:round(len(plan.items) * pace)]
    done = 0
    try:
        for item in items:
            if item["type"] == "lesson":
                learning.complete_lesson(enrolment, item["key"])
                done += 1
            elif not _take_quiz(enrolment, item, rng):
                return done  # failed: stuck here (or sent to a remedial module) for now
    except DomainError:  # a later course of an ordered path, not open yet
        pass
    return done


def _take_quiz(enrolment: Enrolment, quiz: dict, rng: random.Random) -> bool:
    attempt = learning.start_attempt(enrolment, quiz["key"], rng=rng)
    questions = {q["key"]: q for q in quiz["questions"]}
    answers = {}
    for key in attempt.question_keys:
        question = questions[key]
        right = learning.correct_options(question)
        wrong = [i for i in range(len(question["options"])) if i not in right] or right
        answers[key] = right if rng.random() < 0.85 else [rng.choice(wrong)]
    return learning.submit_attempt(attempt, answers).passed
