"""Learning activity for the demo: most people part-way through their paths, a few done, some quizzes failed, so
that My learning, a manager's team, progress and the learning records have something to show.

Everything goes through the learner's own services (lessons viewed and completed, quiz attempts marked on the
server), so the signals, statements and projections are the ones a real learner produces.

The story the governance report tells of it is true of these records: each wave's rollout paths were assigned
when its training began (Wave 1 ten weeks ago, Wave 2 six, Wave 3 three), people learned over the weeks since,
Wave 1 (live first) is ahead, and Marketing lags behind.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import select

from courses import learning
from courses.enrolment import due_date_for
from courses.models import Enrolment, PathAssignment
from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import Person
from lms.types import utcnow

#: How far people have come, by share of the people: nothing yet, a little, about half, nearly all, all of it.
PACES = ((0.15, 0.0), (0.15, 0.3), (0.2, 0.6), (0.2, 0.9), (0.3, 1.0))
#: The wave that went first is ahead: nearly everyone there is through, or nearly.
LEADING_PACES = ((0.15, 0.8), (0.85, 1.0))
LEADING_WAVE, LAGGING_DEPARTMENT, LAGGING_SHARE = "Wave 1", "Marketing", 0.35
#: When each wave's rollout training began, in weeks before the demo was seeded.
ROLLOUT_WEEKS = {"Wave 1": 10, "Wave 2": 6, "Wave 3": 3}
#: How much of their pace a later wave keeps however short its time so far.
TIME_SHARE = 0.3


def backdate_rollout(skip_emails: set[str] = frozenset()) -> None:
    """Date the path assignments (and their enrolments) as the rollout happened: each wave's paths when its
    training began, a new hire's when they were hired; due dates follow from those days."""
    now = utcnow()
    for assignment in db.session.scalars(select(PathAssignment).where(PathAssignment.status == "assigned")):
        person = assignment.person
        if person.email in skip_emails:
            continue
        if assignment.path.kind == "new_hire" and person.hire_date:
            assigned = datetime.combine(person.hire_date, now.timetz())
        else:
            assigned = now - timedelta(weeks=ROLLOUT_WEEKS.get(person.wave.name if person.wave else "", 3))
        assigned = min(assigned, now)
        assignment.assigned_at = assigned
        assignment.due_date = due_date_for(assignment.path, person.hire_date, assigned.date())
        for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.assignment_id == assignment.id)):
            enrolment.assigned_at, enrolment.due_date = assigned, assignment.due_date
    db.session.commit()


@contextmanager
def _clock(moment: datetime) -> Iterator[None]:
    """The learner's services read the time from ``utcnow``; the demo's colleagues learned over past weeks."""
    saved = learning.utcnow
    learning.utcnow = lambda: moment
    try:
        yield
    finally:
        learning.utcnow = saved


def simulate_learning(rng: random.Random, skip_emails: set[str] = frozenset()) -> int:
    """Work through every person's enrolments (but those of ``skip_emails``) at a pace drawn for them, each step on
    a day between the assignment and now; commit per person; return how many lessons were completed."""
    completed = 0
    people = db.session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.id)).all()
    now = utcnow()
    seed = rng.random()
    for person in people:
        if person.email in skip_emails:
            continue
        rng = random.Random(f"{seed}:{person.id}")  # noqa: S311 (one stream a person: others' paths do not shift it)
        pace = _pace(rng, person)
        enrolments = db.session.scalars(select(Enrolment).where(
            Enrolment.person_id == person.id, Enrolment.source != "remedial").order_by(Enrolment.id)).all()
        if not enrolments:
            continue
        plans = [(e, learning.outline(learning.version_of(e)).items) for e in enrolments]
        budget = round(sum(len(items) for _, items in plans) * pace)  # the pace is a share of all their items
        start = min(min(e.assigned_at for e in enrolments), now)
        clock = _Clock(start, (now - start) / (budget + 1), rng)
        for enrolment, items in plans:
            done, budget = _work_through(enrolment, items, budget, rng, clock)
            completed += done
        db.session.commit()
    return completed


class _Clock:
    """Successive moments from ``start``, one step (with jitter) per learning step: the person's pace in time."""

    def __init__(self, start: datetime, step: timedelta, rng: random.Random) -> None:
        self.moment, self.step, self.rng = start, step, rng

    def tick(self) -> datetime:
        self.moment += self.step * self.rng.uniform(0.5, 1.5)
        return min(self.moment, utcnow())


def _pace(rng: random.Random, person: Person) -> float:
    leading = person.wave is not None and person.wave.name == LEADING_WAVE
    draw = rng.random()
    pace = (LEADING_PACES if leading else PACES)[-1][1]
    for share, candidate in LEADING_PACES if leading else PACES:
        if draw < share:
            pace = candidate
            break
        draw -= share
    if not leading and person.wave is not None:  # a later wave has had less time since its training began
        pace *= TIME_SHARE + (1 - TIME_SHARE) * ROLLOUT_WEEKS.get(person.wave.name, 0) / max(ROLLOUT_WEEKS.values())
    if person.department is not None and person.department.name == LAGGING_DEPARTMENT:
        pace *= LAGGING_SHARE
    return min(pace, 1.0)


def _work_through(enrolment: Enrolment, items: list[dict], budget: int, rng: random.Random, clock: _Clock
                  ) -> tuple[int, int]:
    """Work through the course's items in order while the budget of steps lasts, each at the clock's next moment;
    answer quizzes mostly right. Returns (lessons completed, budget left)."""
    done = 0
    try:
        for item in items:
            if budget <= 0:
                break
            budget -= 1
            moment = clock.tick()
            with _clock(moment):
                if item["type"] == "lesson":
                    learning.complete_lesson(enrolment, item["key"])
                    done += 1
                elif not _take_quiz(enrolment, item, rng, moment) and not _retry(enrolment, item, rng, clock):
                    return done, budget  # failed twice, or sent to a remedial module: stuck here for now
    except DomainError:  # a later course of an ordered path, not open yet
        budget += 1
    return done, budget


def _retry(enrolment: Enrolment, quiz: dict, rng: random.Random, clock: _Clock) -> bool:
    """A failed quiz is tried once more a little later, unless a remedial module must come first."""
    state = learning.quiz_state(enrolment, quiz["key"])
    if state.blocked_by is not None or not state.can_start:
        return False
    moment = clock.tick()
    with _clock(moment):
        return _take_quiz(enrolment, quiz, rng, moment)


def _take_quiz(enrolment: Enrolment, quiz: dict, rng: random.Random, moment: datetime) -> bool:
    attempt = learning.start_attempt(enrolment, quiz["key"], rng=rng)
    attempt.started_at = moment - timedelta(minutes=rng.randint(3, 9))
    questions = {q["key"]: q for q in quiz["questions"]}
    answers = {}
    for key in attempt.question_keys:
        question = questions[key]
        right = learning.correct_options(question)
        wrong = [i for i in range(len(question["options"])) if i not in right] or right
        answers[key] = right if rng.random() < 0.85 else [rng.choice(wrong)]
    return learning.submit_attempt(attempt, answers).passed
