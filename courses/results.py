"""Results from courses' own records: per course and quiz (enrolled, completed, pass rate, average score,
attempts, time spent), per question (how often each option was chosen, the share right, weakest first, with the
lessons that teach it), filtered by department, job role and wave; and the same question figures for a team."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from courses.models import Course, CourseVersion, Enrolment, QuizAttempt
from lms.extensions import db
from lms.people.models import Person


@dataclass(frozen=True)
class Filters:
    department_id: int | None = None
    job_role_id: int | None = None
    wave_id: int | None = None

    def apply(self, query):
        for column in ("department_id", "job_role_id", "wave_id"):
            value = getattr(self, column)
            if value is not None:
                query = query.where(getattr(Person, column) == value)
        return query


@dataclass
class QuizFigures:
    key: str
    title: str
    attempts: int = 0
    people: int = 0
    passed_people: int = 0
    scores: list[float] = field(default_factory=list)
    durations: list[timedelta] = field(default_factory=list)

    @property
    def pass_rate(self) -> float | None:
        return self.passed_people / self.people if self.people else None

    @property
    def average_score(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None

    @property
    def average_minutes(self) -> float | None:
        return sum(d.total_seconds() for d in self.durations) / 60 / len(self.durations) if self.durations else None


@dataclass
class OptionFigure:
    text: str
    correct: bool
    chosen: int = 0


@dataclass
class QuestionFigures:
    course_id: int
    course_title: str
    quiz_key: str
    quiz_title: str
    key: str
    prompt: str
    topic: str
    options: list[OptionFigure]
    lessons: list[str]  # titles of the lessons of the quiz's module: what teaches it
    answered: int = 0
    right: int = 0

    @property
    def share_right(self) -> float | None:
        return self.right / self.answered if self.answered else None


@dataclass
class CourseResults:
    course: Course
    enrolled: int
    completed: int
    average_minutes: float | None  # from start to completion, of those who completed
    quizzes: list[QuizFigures]
    questions: list[QuestionFigures]  # weakest first
    topics: list[tuple[str, int, int]]  # (topic, answered, right), weakest first


def _newest_content(course_ids: set[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, tuple[int, dict]] = {}
    for course_id, number, content in db.session.execute(
            select(CourseVersion.course_id, CourseVersion.number, CourseVersion.content)
            .where(CourseVersion.course_id.in_(course_ids))):
        if course_id not in found or number > found[course_id][0]:
            found[course_id] = (number, content)
    return {course_id: content for course_id, (_n, content) in found.items()}


def _question_catalogue(course_ids: set[int]) -> tuple[dict[tuple[int, str], QuestionFigures], dict]:
    titles = dict(db.session.execute(select(Course.id, Course.title).where(Course.id.in_(course_ids))).all())
    questions: dict[tuple[int, str], QuestionFigures] = {}
    quizzes: dict[tuple[int, str], str] = {}
    for course_id, content in _newest_content(course_ids).items():
        for module in content["modules"]:
            lessons = [i["title"] for i in module["items"] if i["type"] == "lesson"]
            for item in module["items"]:
                if item["type"] != "quiz":
                    continue
                quizzes[(course_id, item["key"])] = item["title"]
                for q in item["questions"]:
                    questions[(course_id, q["key"])] = QuestionFigures(
                        course_id, titles[course_id], item["key"], item["title"], q["key"], q["prompt"],
                        q.get("topic") or "", [OptionFigure(o["text"], bool(o.get("correct"))) for o in q["options"]],
                        lessons)
    return questions, quizzes


def question_figures(*, course_ids: set[int] | None = None, person_ids: list[int] | None = None,
                     filters: Filters = Filters()) -> list[QuestionFigures]:
    """Per question of the newest version of each course: answers, the share right and each option's count,
    weakest first (questions nobody answered left out)."""
    query = (select(Enrolment.course_id, QuizAttempt.answers).join(Enrolment, Enrolment.id == QuizAttempt.enrolment_id)
             .join(Person, Person.id == Enrolment.person_id).where(QuizAttempt.submitted_at.is_not(None)))
    if course_ids is not None:
        query = query.where(Enrolment.course_id.in_(course_ids))
    if person_ids is not None:
        query = query.where(Enrolment.person_id.in_(person_ids))
    rows = db.session.execute(filters.apply(query)).all()
    catalogue, _quizzes = _question_catalogue(course_ids if course_ids is not None else {r[0] for r in rows})
    for course_id, answers in rows:
        for key, chosen in (answers or {}).items():
            figure = catalogue.get((course_id, key))
            if figure is None:
                continue  # a question the newest version no longer has
            figure.answered += 1
            figure.right += sorted(chosen) == [i for i, o in enumerate(figure.options) if o.correct]
            for index in chosen:
                if 0 <= index < len(figure.options):
                    figure.options[index].chosen += 1
    answered = [f for f in catalogue.values() if f.answered]
    return sorted(answered, key=lambda f: (f.share_right, -f.answered, f.prompt))


def course_results(course: Course, filters: Filters = Filters()) -> CourseResults:
    """Everything the results page shows for one course."""
    enrolments = db.session.execute(filters.apply(
        select(Enrolment.id, Enrolment.person_id, Enrolment.status, Enrolment.started_at, Enrolment.completed_at)
        .join(Person, Person.id == Enrolment.person_id)
        .where(Enrolment.course_id == course.id, Enrolment.remedial_module.is_(None),
               Enrolment.status.not_in(("replaced", "withdrawn"))))).all()
    people = {e.person_id for e in enrolments}
    completed = {e.person_id for e in enrolments if e.status == "completed"}
    spans = [e.completed_at - e.started_at for e in enrolments
             if e.status == "completed" and e.started_at and e.completed_at]
    catalogue, quiz_titles = _question_catalogue({course.id})
    quizzes = {key: QuizFigures(key, title) for (_c, key), title in quiz_titles.items()}
    per_person: dict[str, dict[int, bool]] = defaultdict(dict)
    for attempt, person_id in db.session.execute(filters.apply(
            select(QuizAttempt, Enrolment.person_id).join(Enrolment, Enrolment.id == QuizAttempt.enrolment_id)
            .join(Person, Person.id == Enrolment.person_id)
            .where(Enrolment.course_id == course.id, QuizAttempt.submitted_at.is_not(None)))):
        figures = quizzes.setdefault(attempt.quiz_key, QuizFigures(attempt.quiz_key, attempt.quiz_key))
        figures.attempts += 1
        if attempt.max_score:
            figures.scores.append(attempt.score / attempt.max_score)
        figures.durations.append(attempt.submitted_at - attempt.started_at)
        per_person[attempt.quiz_key][person_id] = per_person[attempt.quiz_key].get(person_id) or bool(attempt.passed)
    for key, outcome in per_person.items():
        quizzes[key].people, quizzes[key].passed_people = len(outcome), sum(outcome.values())
    questions = question_figures(course_ids={course.id}, filters=filters)
    topics: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for q in questions:
        if q.topic:
            topics[q.topic][0] += q.answered
            topics[q.topic][1] += q.right
    ranked = sorted(((t, a, r) for t, (a, r) in topics.items()), key=lambda row: (row[2] / row[1] if row[1] else 0,
                                                                                    row[0]))
    average = sum(s.total_seconds() for s in spans) / 60 / len(spans) if spans else None
    return CourseResults(course, len(people), len(completed), average, list(quizzes.values()), questions, ranked)


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run as a formula (OWASP's advice: prefix ``'``)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def results_csv(results: CourseResults) -> str:
    """The per-question figures as CSV: one row per option, formula-looking cells escaped."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["course", "quiz", "question", "topic", "answered", "share right", "option", "correct",
                     "chosen", "lessons"])
    for q in results.questions:
        for option in q.options:
            writer.writerow([safe_cell(v) for v in (
                q.course_title, q.quiz_title, q.prompt, q.topic, q.answered, f"{q.share_right:.2f}", option.text,
                "yes" if option.correct else "no", option.chosen, "; ".join(q.lessons))])
    return out.getvalue()
