"""Governance: the board, its meetings, decisions and actions, the program's goals and their values, API tokens,
and the read model behind the training-gap report.

People are the host's (``person``): foreign keys point there. Courses and paths belong to the courses plugin, so
their ids are kept as plain integers (no foreign key into another plugin's tables); a goal linked to a course that
is later deleted simply stops counting it.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.people.models import Department, JobRole, Person
from lms.types import UTCDateTime, utcnow

# --- the board ------------------------------------------------------------------------------------------------


class BoardRole(db.Model):
    """A seat on the governance board (executive sponsor, program lead, the SMEs, ...) and who holds it.

    A seat without a holder, or whose holder is deactivated, is vacant; vacant seats are red warnings."""

    __tablename__ = "governance_board_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    duty: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    since: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person | None] = relationship(lazy="joined")

    @property
    def vacant(self) -> bool:
        return self.person is None or not self.person.active


class Settings(db.Model):
    """One row: how often the board meets."""

    __tablename__ = "governance_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadence_months: Mapped[int] = mapped_column(Integer, default=3)


# --- meetings, decisions, actions ----------------------------------------------------------------------------


class Meeting(db.Model):
    __tablename__ = "governance_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    scheduled_for: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="planned")  # planned | held | cancelled
    held_on: Mapped[date | None] = mapped_column(Date)
    minutes: Mapped[str] = mapped_column(Text, default="")
    # The agenda as it stood when the meeting was held (gaps, goals, open actions), so minutes keep their context.
    agenda: Mapped[dict | None] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    decisions: Mapped[list[Decision]] = relationship(back_populates="meeting", cascade="all, delete-orphan",
                                                     order_by="Decision.id")


class Decision(db.Model):
    __tablename__ = "governance_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("governance_meeting.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")


class Action(db.Model):
    """Something the board asked someone to do by a date; open actions are carried to every meeting until closed."""

    __tablename__ = "governance_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("governance_meeting.id", ondelete="SET NULL"),
                                                   index=True)
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("governance_goal.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | done | dropped
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[Person | None] = relationship(lazy="joined")
    meeting: Mapped[Meeting | None] = relationship(lazy="joined")
    goal: Mapped[Goal | None] = relationship(lazy="joined")

    def overdue(self, on: date) -> bool:
        return self.status == "open" and self.due_date is not None and self.due_date < on


# --- program goals ------------------------------------------------------------------------------------------

goal_job_role = Table(
    "governance_goal_job_role", db.metadata,
    Column("goal_id", ForeignKey("governance_goal.id", ondelete="CASCADE"), primary_key=True),
    Column("job_role_id", ForeignKey("job_role.id", ondelete="CASCADE"), primary_key=True),
)
goal_department = Table(
    "governance_goal_department", db.metadata,
    Column("goal_id", ForeignKey("governance_goal.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("department.id", ondelete="CASCADE"), primary_key=True),
)


class Goal(db.Model):
    """A specific, measurable program goal: a metric moving from a baseline to a target by a deadline."""

    __tablename__ = "governance_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # what a BI system names it by in the API
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    metric: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="")
    baseline: Mapped[float] = mapped_column(Float)
    baseline_on: Mapped[date] = mapped_column(Date)
    target: Mapped[float] = mapped_column(Float)
    deadline: Mapped[date] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(4), default="up")  # up | down: which way is better
    # An automatic metric another plugin offers (lms.signals.goal_metrics_offered), e.g. "adoption.active_weekly":
    # the worker records its value every day. None: values come by form, CSV or API.
    auto_metric: Mapped[str | None] = mapped_column(String(80))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[Person | None] = relationship(lazy="joined")
    job_roles: Mapped[list[JobRole]] = relationship(secondary=goal_job_role, lazy="selectin", order_by=JobRole.name)
    departments: Mapped[list[Department]] = relationship(secondary=goal_department, lazy="selectin",
                                                         order_by=Department.name)
    course_links: Mapped[list[GoalCourse]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    path_links: Mapped[list[GoalPath]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    values: Mapped[list[GoalValue]] = relationship(back_populates="goal", cascade="all, delete-orphan",
                                                   order_by="GoalValue.measured_on", lazy="selectin")

    @property
    def course_ids(self) -> list[int]:
        return sorted(link.course_id for link in self.course_links)

    @property
    def path_ids(self) -> list[int]:
        return sorted(link.path_id for link in self.path_links)


class GoalCourse(db.Model):
    __tablename__ = "governance_goal_course"

    goal_id: Mapped[int] = mapped_column(ForeignKey("governance_goal.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # courses' id; no foreign key


class GoalPath(db.Model):
    __tablename__ = "governance_goal_path"

    goal_id: Mapped[int] = mapped_column(ForeignKey("governance_goal.id", ondelete="CASCADE"), primary_key=True)
    path_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # courses' learning path id; no foreign key


class GoalValue(db.Model):
    """A measured value of a goal's metric on a day; one per day (a later value for the same day replaces it)."""

    __tablename__ = "governance_goal_value"
    __table_args__ = (UniqueConstraint("goal_id", "measured_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("governance_goal.id", ondelete="CASCADE"))
    measured_on: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(10), default="form")  # form | csv | api | a plugin's name
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("governance_api_token.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    goal: Mapped[Goal] = relationship(back_populates="values")


# --- API tokens -----------------------------------------------------------------------------------------------


class ApiToken(db.Model):
    """A bearer token a BI or CRM system uses to post goal values. Only a keyed hash of its secret part is kept
    (HMAC-SHA256 with ``salt``); the token is shown once, when it is created."""

    __tablename__ = "governance_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(32), unique=True)  # the token's public part, shown in lists
    salt: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scope_list: Mapped[str] = mapped_column(String(200), default="goals")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[Person | None] = relationship(lazy="joined")

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope_list.split())

    @property
    def active(self) -> bool:
        return self.revoked_at is None


# --- the gap report's read model ------------------------------------------------------------------------------


#: The columns the gap report sums, in every grouping's covering index.
MEASURED = ("done", "started", "first", "open_due_day", "failed_count", "assigned_day", "done_day")


class RequirementRow(db.Model):
    """One requirement (person, course) of an active person, with the person's organisation facts and where they
    are with it, recomputed from ``courses.api.requirements`` and ``tracking.api.progress_of`` whenever the person
    is marked dirty (see :mod:`governance.services_readmodel`). The gap report groups this one table.

    Besides the dates shown on a person's page, each row keeps what the report sums as small integers (0/1 flags
    and day numbers, ``date.toordinal()``), so that a GROUP BY over a million rows adds integers instead of
    comparing timestamps: ``done_day`` is the day from which the requirement counts as completed (the later of its
    assignment and its completion), ``open_due_day`` the due day of one not completed, ``first`` marks one row per
    person (so that people are counted by a sum)."""

    __tablename__ = "governance_requirement"
    # One covering index per grouping: GROUP BY reads the index alone, never the table (half the time at 100,000
    # people); the course index covers goal threats, the largest gaps (department and course) and the course filter,
    # the days index the weekly trend.
    __table_args__ = tuple(
        Index(f"ix_governance_requirement_{name}", column, *MEASURED)
        for name, column in (("department", "department_id"), ("job_role", "job_role_id"), ("wave", "wave_id"),
                             ("manager", "manager_id"), ("person", "person_id"))
    ) + (
        Index("ix_governance_requirement_course", "course_id", "done", "department_id", "job_role_id", "open_due_day"),
        Index("ix_governance_requirement_days", "assigned_day", "done_day"),
    )

    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int | None] = mapped_column(Integer)
    job_role_id: Mapped[int | None] = mapped_column(Integer)
    wave_id: Mapped[int | None] = mapped_column(Integer)
    manager_id: Mapped[int | None] = mapped_column(Integer)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_date: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_day: Mapped[int] = mapped_column(Integer)
    done_day: Mapped[int | None] = mapped_column(Integer)
    open_due_day: Mapped[int | None] = mapped_column(Integer)
    started: Mapped[int] = mapped_column(SmallInteger, default=0)  # 1 also when completed
    done: Mapped[int] = mapped_column(SmallInteger, default=0)
    first: Mapped[int] = mapped_column(SmallInteger, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)


class RequirementPath(db.Model):
    """Which of the person's current paths require the course (none: assigned by hand)."""

    __tablename__ = "governance_requirement_path"
    __table_args__ = (Index("ix_governance_requirement_path_path", "path_id", "person_id"),)

    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class DirtyPerson(db.Model):
    """A person whose requirement rows must be recomputed. Not unique: marking is a plain insert (no waiting on
    another transaction's row); the refresh reads each person once and deletes the rows it read."""

    __tablename__ = "governance_dirty"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)


class ReadModelState(db.Model):
    """One row: what the read model was built against (the courses of every path, as a fingerprint), and when."""

    __tablename__ = "governance_read_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    paths_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    rebuilt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
