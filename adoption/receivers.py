"""What adoption hears: CRM usage statements as tracking derives them, learning events (points, first attempts),
changes that make a person's figures stale, and governance asking for its goal metric and readiness section."""
from __future__ import annotations

from adoption import usage
from adoption.incentives import POINTS, grant
from adoption.models import FirstAttempt
from lms import signals
from lms.extensions import db
from lms.plugins import receiver
from lms.signals import (
    ActivityStatement,
    CourseEvent,
    GovernanceSection,
    LessonEvent,
    MailEvent,
    MetricRequest,
    PathEvent,
    QuizOutcome,
)

METRIC = "adoption.active_weekly"


@receiver(signals.statements_derived, "adoption")
def count_usage(sender, statements: list[ActivityStatement], voided_ids: list[str], **kwargs) -> None:
    usage.count_statements(statements, voided_ids)


@receiver(signals.people_changed, "adoption")
@receiver(signals.training_changed, "adoption")
@receiver(signals.progress_changed, "adoption")
def people_stale(sender, person_ids: list[int], **kwargs) -> None:
    usage.mark_dirty(person_ids)


@receiver(signals.lesson_completed, "adoption")
def lesson_points(sender, event: LessonEvent, **kwargs) -> None:
    grant(event.learner.person_id, f"lesson:{event.place.course_id}:{event.lesson.key}", POINTS["lesson"])
    usage.mark_dirty([event.learner.person_id])


def _first_attempt(event: QuizOutcome) -> None:
    if event.attempt_number != 1:
        return
    key = (event.learner.person_id, event.place.course_id, event.quiz.key)
    if db.session.get(FirstAttempt, key) is None:
        pct = 100.0 * event.score / event.max_score if event.max_score else 0.0
        db.session.add(FirstAttempt(person_id=key[0], course_id=key[1], quiz_key=key[2], score_pct=round(pct, 1),
                                    passed=event.passed))


@receiver(signals.quiz_passed, "adoption")
def quiz_points(sender, event: QuizOutcome, **kwargs) -> None:
    _first_attempt(event)
    person = event.learner.person_id
    grant(person, f"quiz:{event.place.course_id}:{event.quiz.key}", POINTS["quiz"])
    if event.attempt_number == 1:
        grant(person, f"quiz-first:{event.place.course_id}:{event.quiz.key}", POINTS["quiz_first_time"])
    usage.mark_dirty([person])


@receiver(signals.quiz_failed, "adoption")
def quiz_failed(sender, event: QuizOutcome, **kwargs) -> None:
    _first_attempt(event)
    usage.mark_dirty([event.learner.person_id])


@receiver(signals.course_completed, "adoption")
def course_points(sender, event: CourseEvent, **kwargs) -> None:
    if not event.place.remedial:
        grant(event.learner.person_id, f"course:{event.place.course_id}", POINTS["course"])
    usage.mark_dirty([event.learner.person_id])


@receiver(signals.path_completed, "adoption")
def path_points(sender, event: PathEvent, **kwargs) -> None:
    grant(event.learner.person_id, f"path:{event.path_id}", POINTS["path"])
    usage.mark_dirty([event.learner.person_id])


@receiver(signals.mail_opened, "adoption")
@receiver(signals.mail_clicked, "adoption")
def mail_engaged(sender, event: MailEvent, **kwargs) -> None:
    """Opening or clicking an announcement moves Awareness."""
    if event.category == "announcement":
        usage.mark_dirty([event.learner.person_id])


@receiver(signals.goal_metrics_offered, "adoption")
def offer_metric(sender, **kwargs) -> list[tuple[str, str]]:
    return [(METRIC, "Adoption: % of people required to use the CRM who used it in the last 7 days")]


@receiver(signals.goal_metric_measured, "adoption")
def measure_metric(sender, request: MetricRequest, **kwargs) -> float | None:
    if request.metric != METRIC:
        return None
    from adoption.report import adoption_on

    return adoption_on(request.on, job_role_ids=request.job_role_ids, department_ids=request.department_ids)


@receiver(signals.governance_sections, "adoption")
def readiness_section(sender, where: str, **kwargs) -> GovernanceSection | None:
    from flask import render_template

    from adoption import adkar
    from adoption.report import readiness_by_team

    teams = readiness_by_team()
    if not teams:
        return None
    html = render_template("adoption/_readiness_table.html", teams=teams, adkar=adkar, compact=where == "pack")
    return GovernanceSection("Change readiness by team (ADKAR)", html, order=40)


@receiver(signals.demo_seeded, "adoption")
def seed_demo(sender, people, **kwargs) -> None:
    from adoption.demo import seed

    seed(people)
