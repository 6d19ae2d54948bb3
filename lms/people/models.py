"""People and the organisation: departments, job roles, rollout waves, and who holds which permission."""
from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, ForeignKey, Index, String, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.permissions import Permission
from lms.types import UTCDateTime, utcnow


class Department(db.Model):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    def __repr__(self) -> str:
        return f"<Department {self.name}>"


class JobRole(db.Model):
    """What a person does at the company (sales rep, service agent...); drives which training they get."""

    __tablename__ = "job_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    def __repr__(self) -> str:
        return f"<JobRole {self.code}>"


class RolloutWave(db.Model):
    """A group of people who go live on the CRM together."""

    __tablename__ = "rollout_wave"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    go_live: Mapped[date | None] = mapped_column(Date)

    def __repr__(self) -> str:
        return f"<RolloutWave {self.name}>"


class PersonPermission(db.Model):
    __tablename__ = "person_permission"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    permission: Mapped[str] = mapped_column(String(30), primary_key=True)


class Person(UserMixin, db.Model):
    """Someone in the organisation. People are deactivated, never deleted, so their records stay."""

    __tablename__ = "person"
    __table_args__ = (Index("ix_person_manager_id", "manager_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    job_role_id: Mapped[int | None] = mapped_column(ForeignKey("job_role.id", ondelete="RESTRICT"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("rollout_wave.id", ondelete="RESTRICT"))
    hire_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    job_role: Mapped[JobRole | None] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
    wave: Mapped[RolloutWave | None] = relationship(lazy="joined")
    manager: Mapped[Person | None] = relationship(remote_side=[id], lazy="select")
    permission_rows: Mapped[list[PersonPermission]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def permissions(self) -> frozenset[Permission]:
        return frozenset(Permission(row.permission) for row in self.permission_rows)

    def can(self, permission: Permission) -> bool:
        return self.active and permission in self.permissions

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive people cannot sign in
        return self.active

    def get_id(self) -> str:
        # Flask-Login's user id is this sign-in's session token (lms.auth.sessions), never the person's id: the
        # cookies then name a server-side session that logout and a password change can revoke.
        token = getattr(self, "lms_session_token", None)
        if token is None:
            raise RuntimeError("no session: sign in through lms.auth.sessions.start_session")
        return token

    def __repr__(self) -> str:
        return f"<Person {self.email}>"
