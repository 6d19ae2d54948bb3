"""Courses and what learners do with them.

Trainers edit a *draft* (``Course`` -> ``Module`` -> ``Lesson`` / ``Quiz`` -> ``Question``). Publishing freezes the
draft into an immutable ``CourseVersion`` whose ``content`` holds the whole course, lesson HTML already rendered and
sanitised. Learners are enrolled in a version and finish the version they started. Lesson and quiz ``key``s are
stable across versions, so progress and xAPI activity ids survive a new version.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.people.models import JobRole, Person
from lms.types import UTCDateTime, utcnow

TRAINING_KINDS = {
    "business_process": "Business process",
    "crm_application": "CRM application",
    "remedial": "Remedial",
    "new_hire": "New hire",
    "soft_skills": "Soft skills",
    "culture": "Culture",
}
FEEDBACK = {
    "wrong_only": "Which answers were wrong, without the right ones",
    "answers": "Which answers were wrong, and the right answers",
    "final": "The right answers only after passing or the last attempt",
}
QUESTION_TYPES = {"single": "Single choice", "multiple": "Multiple choice", "true_false": "True or false",
                  "scenario": "Scenario"}

course_job_role = Table(
    "course_job_role", db.metadata,
    Column("course_id", ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
    Column("job_role_id", ForeignKey("job_role.id", ondelete="CASCADE"), primary_key=True),
)


class Course(db.Model):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(Text, default="")
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | published | archived
    # Before a lesson can be marked complete: at least this many seconds on it, and/or scrolled to its end.
    min_lesson_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    require_scroll: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    job_roles: Mapped[list[JobRole]] = relationship(secondary=course_job_role, lazy="selectin",
                                                    order_by=JobRole.name)
    # Loaded when asked for (authoring, packs), not with every course: a learner's enrolment joins its course, and
    # the whole authoring tree (lesson Markdown, questions) came with it on every lesson page.
    modules: Mapped[list[Module]] = relationship(back_populates="course", cascade="all, delete-orphan",
                                                 order_by="Module.position")
    versions: Mapped[list[CourseVersion]] = relationship(back_populates="course", order_by="CourseVersion.number",
                                                         cascade="all, delete-orphan")

    @property
    def kind_label(self) -> str:
        return TRAINING_KINDS.get(self.kind, self.kind)

    @property
    def latest_version(self) -> CourseVersion | None:
        return self.versions[-1] if self.versions else None


class Module(db.Model):
    __tablename__ = "course_module"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="module", cascade="all, delete-orphan",
                                                 order_by="Lesson.position", lazy="selectin")
    quizzes: Mapped[list[Quiz]] = relationship(back_populates="module", cascade="all, delete-orphan",
                                               order_by="Quiz.position", lazy="selectin")

    @property
    def items(self) -> list[Lesson | Quiz]:
        """Lessons and quizzes in their shared order."""
        return sorted([*self.lessons, *self.quizzes], key=lambda item: (item.position, item.kind, item.id or 0))


def new_key() -> str:
    return uuid.uuid4().hex[:12]


class Lesson(db.Model):
    __tablename__ = "lesson"

    kind = "lesson"
    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("course_module.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(80), default=new_key)
    slug: Mapped[str | None] = mapped_column(String(80))  # readable, unique in the course; URLs and pack file names
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(Integer, default=5)
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    source_name: Mapped[str | None] = mapped_column(String(200))  # file name in a course pack

    module: Mapped[Module] = relationship(back_populates="lessons")


class Quiz(db.Model):
    __tablename__ = "quiz"

    kind = "quiz"
    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("course_module.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(80), default=new_key)
    title: Mapped[str] = mapped_column(String(200))
    pass_mark: Mapped[int] = mapped_column(Integer, default=75)  # percent
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)  # 0 = unlimited
    draw: Mapped[int | None] = mapped_column(Integer)  # questions drawn per attempt; None = all
    remedial: Mapped[str | None] = mapped_column(String(170))  # "<course slug>/<module slug>"
    # What a failed attempt shows: see FEEDBACK. The right answers are always shown once passed.
    feedback: Mapped[str] = mapped_column(String(20), default="final", server_default="final")
    lessons_first: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    source_name: Mapped[str | None] = mapped_column(String(200))

    module: Mapped[Module] = relationship(back_populates="quizzes")
    questions: Mapped[list[Question]] = relationship(back_populates="quiz", cascade="all, delete-orphan",
                                                     order_by="Question.position", lazy="selectin")


class Question(db.Model):
    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(80), default=new_key)
    type: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(80), default="")
    prompt: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    # [{"text": str, "correct": bool, "explanation": str}]; true/false questions have options "True", "False".
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Options are shown in a new random order each attempt, unless their order carries meaning ("all of the above").
    shuffle: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("bank_question.id", ondelete="SET NULL"))

    quiz: Mapped[Quiz] = relationship(back_populates="questions")


class BankQuestion(db.Model):
    """A question kept in the question bank, to be added to any quiz (a copy; the copy remembers its origin)."""

    __tablename__ = "bank_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), default=new_key, unique=True)
    type: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(80), default="")
    prompt: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    shuffle: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CourseVersion(db.Model):
    """An immutable, published snapshot of a course."""

    __tablename__ = "course_version"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    requires_recompletion: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[dict[str, Any]] = mapped_column(JSON)

    course: Mapped[Course] = relationship(back_populates="versions")


class LearningPath(db.Model):
    __tablename__ = "learning_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), default="crm_application")
    summary: Mapped[str] = mapped_column(Text, default="")
    ordered: Mapped[bool] = mapped_column(Boolean, default=True)
    due_days: Mapped[int | None] = mapped_column(Integer)
    due_after: Mapped[str] = mapped_column(String(20), default="assignment")  # assignment | hire_date
    due_date: Mapped[date | None] = mapped_column(Date)  # absolute; wins over due_days
    recertify_months: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    steps: Mapped[list[PathCourse]] = relationship(back_populates="path", cascade="all, delete-orphan",
                                                   order_by="PathCourse.position", lazy="selectin")
    rules: Mapped[list[PathRule]] = relationship(back_populates="path", cascade="all, delete-orphan",
                                                 lazy="selectin")


class PathCourse(db.Model):
    __tablename__ = "path_course"

    path_id: Mapped[int] = mapped_column(ForeignKey("learning_path.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    path: Mapped[LearningPath] = relationship(back_populates="steps")
    course: Mapped[Course] = relationship(lazy="joined")


class PathRule(db.Model):
    """Who gets a path: every condition that is set must match; ``new_hire`` limits it to recent hires."""

    __tablename__ = "path_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_path.id", ondelete="CASCADE"), index=True)
    job_role_id: Mapped[int | None] = mapped_column(ForeignKey("job_role.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("rollout_wave.id", ondelete="CASCADE"))
    new_hire: Mapped[bool | None] = mapped_column(Boolean)  # True: only new hires; False: only others

    path: Mapped[LearningPath] = relationship(back_populates="rules")
    job_role: Mapped[JobRole | None] = relationship(lazy="joined")


class PathAssignment(db.Model):
    __tablename__ = "path_assignment"
    __table_args__ = (Index("ix_path_assignment_person_id_path_id", "person_id", "path_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_path.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_date: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_on: Mapped[date | None] = mapped_column(Date)
    # assigned | completed | expired (recertification due) | withdrawn (the person no longer matches its rules)
    status: Mapped[str] = mapped_column(String(20), default="assigned")
    source: Mapped[str] = mapped_column(String(20), default="rule", server_default="rule")  # rule | manual

    path: Mapped[LearningPath] = relationship(lazy="joined")
    person: Mapped[Person] = relationship()


class Enrolment(db.Model):
    """A person taking one version of a course."""

    __tablename__ = "enrolment"
    __table_args__ = (Index("ix_enrolment_person_id_status", "person_id", "status"),
                      Index("ix_enrolment_course_id", "course_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id", ondelete="RESTRICT"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("path_assignment.id", ondelete="SET NULL"))
    registration: Mapped[str] = mapped_column(String(36), default=lambda: str(uuid.uuid4()), unique=True)
    source: Mapped[str] = mapped_column(String(20), default="path")  # path | manual | self | remedial | recompletion
    # assigned | in_progress | completed | replaced (moved to a new enrolment) | withdrawn (no longer required)
    status: Mapped[str] = mapped_column(String(20), default="assigned")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_date: Mapped[date | None] = mapped_column(Date)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Remedial enrolments: the module to complete and the quiz it unlocks.
    remedial_module: Mapped[str | None] = mapped_column(String(80))
    # Excused by a trainer (status "waived"): not a requirement any more; who, when and why.
    waived_reason: Mapped[str | None] = mapped_column(Text)
    waived_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    waived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # quiz key -> attempts granted beyond the quiz's limit
    extra_attempts: Mapped[dict[str, int] | None] = mapped_column(JSON, default=dict)
    # A random, unguessable reference checked on the public certificate verification page.
    certificate_ref: Mapped[str | None] = mapped_column(String(40), unique=True)
    unlocks_enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolment.id", ondelete="SET NULL"))
    unlocks_quiz_key: Mapped[str | None] = mapped_column(String(80))

    course: Mapped[Course] = relationship(lazy="joined")
    version: Mapped[CourseVersion] = relationship()
    person: Mapped[Person] = relationship(foreign_keys="Enrolment.person_id")


class LessonProgress(db.Model):
    __tablename__ = "lesson_progress"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), primary_key=True)
    lesson_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    first_viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuizAttempt(db.Model):
    __tablename__ = "quiz_attempt"
    __table_args__ = (Index("ix_quiz_attempt_enrolment_id_quiz_key", "enrolment_id", "quiz_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    quiz_key: Mapped[str] = mapped_column(String(80))
    number: Mapped[int] = mapped_column(Integer)
    question_keys: Mapped[list[str]] = mapped_column(JSON)  # the draw, in the order shown
    # question key -> the question's option indexes in the order shown (options keep their own index everywhere)
    option_orders: Mapped[dict[str, list[int]] | None] = mapped_column(JSON, default=dict)
    # A trainer reset the attempt: it no longer counts against the limit (its record stays).
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answers: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)  # question key -> option indexes
    score: Mapped[int | None] = mapped_column(Integer)  # questions right
    max_score: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    enrolment: Mapped[Enrolment] = relationship()

    @property
    def scaled(self) -> float | None:
        return None if not self.max_score else round(self.score / self.max_score, 4)


class MediaFile(db.Model):
    """An image uploaded into a lesson, stored under the instance folder and served by its key."""

    __tablename__ = "media_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, for the alt text and the list
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmbedHost(db.Model):
    """A host whose players (video, slides) lessons may embed; set by an admin."""

    __tablename__ = "embed_host"

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(200), unique=True)
