"""A person's learning record from courses' own tables: the transcript (every enrolment, attempt and certificate,
with dates) and, for a manager's team, each report's paths, open and overdue courses, failed quizzes and remedial
work."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from courses.enrolment import OPEN
from courses.learning import outline
from courses.models import CourseVersion, Enrolment, PathAssignment, QuizAttempt
from lms.extensions import db

STATUS_LABELS = {"assigned": "Not started", "in_progress": "In progress", "completed": "Completed",
                 "waived": "Waived", "withdrawn": "Withdrawn"}


@dataclass(frozen=True)
class AttemptLine:
    attempt: QuizAttempt
    quiz_title: str


@dataclass(frozen=True)
class TranscriptLine:
    enrolment: Enrolment
    version: int
    attempts: tuple[AttemptLine, ...]
    quiz_titles: dict[str, str]

    @property
    def status_label(self) -> str:
        if self.enrolment.remedial_module and self.enrolment.status == "completed":
            return "Remedial done"
        return STATUS_LABELS.get(self.enrolment.status, self.enrolment.status)


def transcript(person_id: int) -> list[TranscriptLine]:
    """Every enrolment of a person (but those replaced by a newer version), newest first, with its attempts."""
    enrolments = db.session.scalars(select(Enrolment).where(
        Enrolment.person_id == person_id, Enrolment.status != "replaced")
        .order_by(Enrolment.assigned_at.desc(), Enrolment.id.desc())).all()
    attempts: dict[int, list[QuizAttempt]] = defaultdict(list)
    for attempt in db.session.scalars(select(QuizAttempt).where(
            QuizAttempt.enrolment_id.in_([e.id for e in enrolments]), QuizAttempt.submitted_at.is_not(None))
            .order_by(QuizAttempt.submitted_at)):
        attempts[attempt.enrolment_id].append(attempt)
    versions = {v.id: v for v in db.session.scalars(select(CourseVersion).where(
        CourseVersion.id.in_({e.version_id for e in enrolments})))}
    lines = []
    for enrolment in enrolments:
        version = versions[enrolment.version_id]
        titles = {key: item["title"] for key, item in outline(version).by_key.items() if item["type"] == "quiz"}
        lines.append(TranscriptLine(enrolment, version.number, tuple(
            AttemptLine(a, titles.get(a.quiz_key, a.quiz_key)) for a in attempts[enrolment.id]), titles))
    return lines


@dataclass
class TeamMember:
    person_id: int
    paths: list[tuple[str, str, date | None, bool]] = field(default_factory=list)  # title, status, due, overdue
    open_courses: list[tuple[int, str, date | None, bool]] = field(default_factory=list)  # id, title, due, overdue
    completed: int = 0
    failed_quizzes: list[tuple[str, str]] = field(default_factory=list)  # course title, quiz title
    remedial: list[str] = field(default_factory=list)  # open remedial courses

    @property
    def overdue(self) -> int:
        return sum(1 for *_rest, late in self.open_courses if late)


def team_learning(person_ids: list[int], on: date) -> dict[int, TeamMember]:
    """Each person's learning at a glance, for the manager's team page."""
    members = {person_id: TeamMember(person_id) for person_id in person_ids}
    started = set(db.session.scalars(select(Enrolment.assignment_id).where(
        Enrolment.person_id.in_(person_ids), Enrolment.started_at.is_not(None), Enrolment.assignment_id.is_not(None))))
    for assignment in db.session.scalars(select(PathAssignment).where(
            PathAssignment.person_id.in_(person_ids), PathAssignment.status.in_(("assigned", "completed")))
            .order_by(PathAssignment.due_date.is_(None), PathAssignment.due_date)):
        late = assignment.status == "assigned" and assignment.due_date is not None and assignment.due_date < on
        status = "Completed" if assignment.status == "completed" else (
            "Overdue" if late else "In progress" if assignment.id in started else "Not started")
        members[assignment.person_id].paths.append((assignment.path.title, status, assignment.due_date, late))
    enrolments = db.session.scalars(select(Enrolment).where(
        Enrolment.person_id.in_(person_ids), Enrolment.status.in_((*OPEN, "completed")))
        .order_by(Enrolment.due_date.is_(None), Enrolment.due_date)).all()
    for enrolment in enrolments:
        member = members[enrolment.person_id]
        if enrolment.status == "completed":
            member.completed += enrolment.remedial_module is None
        elif enrolment.remedial_module:
            member.remedial.append(enrolment.course.title)
        else:
            member.open_courses.append((enrolment.id, enrolment.course.title, enrolment.due_date,
                                        enrolment.due_date is not None and enrolment.due_date < on))
    by_id = {e.id: e for e in enrolments}
    outcomes: dict[tuple[int, str], bool] = {}
    for enrolment_id, quiz_key, passed in db.session.execute(
            select(QuizAttempt.enrolment_id, QuizAttempt.quiz_key, QuizAttempt.passed)
            .where(QuizAttempt.enrolment_id.in_(list(by_id)), QuizAttempt.submitted_at.is_not(None))):
        outcomes[(enrolment_id, quiz_key)] = outcomes.get((enrolment_id, quiz_key), False) or bool(passed)
    for (enrolment_id, quiz_key), passed in sorted(outcomes.items()):
        if not passed:
            enrolment = by_id[enrolment_id]
            item = outline(enrolment.version).by_key.get(quiz_key)
            members[enrolment.person_id].failed_quizzes.append(
                (enrolment.course.title, item["title"] if item else quiz_key))
    return members
