"""How governance reacts to the host's and the learning plugins' signals: people whose organisation facts,
requirements or progress changed are marked dirty for the gap report's read model (a cheap insert in the sender's
transaction; the report recomputes them before it is read). The demo gets its board, goals and meetings."""
from __future__ import annotations

from lms import signals
from lms.plugins import receiver
from lms.signals import CourseEvent, LessonEvent, QuizOutcome


def _mark(person_ids) -> None:
    from governance.services_readmodel import mark_dirty

    mark_dirty(person_ids)


@receiver(signals.people_joined, "governance")
def people_joined(sender, person_ids: list[int], **kwargs) -> None:
    _mark(person_ids)


@receiver(signals.people_changed, "governance")
def people_changed(sender, person_ids: list[int], **kwargs) -> None:
    _mark(person_ids)


@receiver(signals.people_changed_role, "governance")
def people_changed_role(sender, changes: list[tuple[int, int | None, int | None]], **kwargs) -> None:
    _mark(person_id for person_id, _old, _new in changes)


@receiver(signals.people_deactivated, "governance")
def people_deactivated(sender, person_ids: list[int], **kwargs) -> None:
    _mark(person_ids)


@receiver(signals.enrolled, "governance")
def enrolled(sender, person_ids: list[int], **kwargs) -> None:
    _mark(person_ids)


@receiver(signals.training_changed, "governance")
def training_changed(sender, person_ids: list[int], **kwargs) -> None:
    _mark(person_ids)


def _learner_event(sender, event: LessonEvent | QuizOutcome | CourseEvent, **kwargs) -> None:
    _mark([event.learner.person_id])


for _signal in (signals.lesson_viewed, signals.lesson_completed, signals.quiz_passed, signals.quiz_failed,
                signals.course_completed):
    receiver(_signal, "governance")(_learner_event)


@receiver(signals.progress_changed, "governance")
def progress_changed(sender, person_ids: list[int], **kwargs) -> None:
    _mark(person_ids)


@receiver(signals.demo_seeded, "governance")
def seed_demo(sender, people, **kwargs) -> None:
    """The demo's board, goals with values over past months, meetings, decisions and actions."""
    from governance.demo import seed

    seed(people)
