"""Adoption: CRM usage as daily counts, the per-person read model behind the adoption report and ADKAR readiness,
pulse surveys, points, badge rules and awards (Open Badges 3.0 credentials), coaching notes and digests.

People are the host's (``person``): foreign keys point there. Courses, paths and quizzes belong to the courses
plugin, so their ids and keys are kept as plain values.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.people.models import Person
from lms.types import UTCDateTime, utcnow

# --- CRM usage ------------------------------------------------------------------------------------------------


class UsageDay(db.Model):
    """How often a person did one kind of thing in the CRM on one day ("logged-in", "created:opportunity"), as the
    CRM's statements say and as a CSV import says. The day's count is the larger of the two: the same use reported
    both ways is counted once."""

    __tablename__ = "adoption_usage_day"
    __table_args__ = ({"sqlite_with_rowid": False},)  # SQLite: one b-tree in key order (a person's days together)

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(80), primary_key=True)
    from_statements: Mapped[int] = mapped_column(Integer, default=0)
    from_csv: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def count(self) -> int:
        return max(self.from_statements, self.from_csv)


class UsageWeek(db.Model):
    """The days of one week (its Monday) and of the week before on which a person used the CRM, as bits (see
    :mod:`adoption.weeks`), kept from the usage days: the trend reads one row per person and week."""

    __tablename__ = "adoption_usage_week"
    __table_args__ = (Index("ix_adoption_usage_week_week", "week", "days", "person_id"), {"sqlite_with_rowid": False})

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    days: Mapped[int] = mapped_column(Integer)


class UsageStatement(db.Model):
    """A usage statement that was counted, so that voiding it takes it out again (the log itself is never read)."""

    __tablename__ = "adoption_usage_statement"
    __table_args__ = ({"sqlite_with_rowid": False},)  # SQLite: one b-tree (the id's), not a table and its index

    statement_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(80))


class UnknownActor(db.Model):
    """CRM usage statements whose actor matched nobody, by actor, so an admin can fix the roster or the CRM."""

    __tablename__ = "adoption_unknown_actor"

    actor: Mapped[str] = mapped_column(String(300), primary_key=True)
    statements: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- the per-person read model --------------------------------------------------------------------------------


class PersonState(db.Model):
    """What the adoption report, readiness and the leaderboard read for one person, kept up to date by the worker
    from the usage days, courses, tracking and comms (see :mod:`adoption.readmodel`)."""

    __tablename__ = "adoption_person"
    # The report's two lists (trained but not using, using but not trained) read this index alone.
    __table_args__ = (Index("ix_adoption_person_training", "trained_on", "last_used_on", "required"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    required: Mapped[int] = mapped_column(Integer, default=0)  # required courses
    completed: Mapped[int] = mapped_column(Integer, default=0)
    trained_on: Mapped[date | None] = mapped_column(Date)  # every required course completed (None: not trained)
    first_used_on: Mapped[date | None] = mapped_column(Date)
    last_used_on: Mapped[date | None] = mapped_column(Date, index=True)
    weeks_used: Mapped[int] = mapped_column(Integer, default=0)  # weeks (Mon-Sun) with any CRM use
    used_after_training_days: Mapped[int] = mapped_column(Integer, default=0)
    weeks_used_after_training: Mapped[int] = mapped_column(Integer, default=0)
    lessons_required: Mapped[int] = mapped_column(Integer, default=0)
    lessons_done: Mapped[int] = mapped_column(Integer, default=0)
    quizzes_required: Mapped[int] = mapped_column(Integer, default=0)
    quizzes_passed: Mapped[int] = mapped_column(Integer, default=0)
    first_attempt_pct: Mapped[float | None] = mapped_column(Float)
    announcements: Mapped[int] = mapped_column(Integer, default=0)
    announcements_opened: Mapped[int | None] = mapped_column(Integer)  # None: per-person tracking is off
    desire: Mapped[int | None] = mapped_column(SmallInteger)  # the latest pulse answer
    kudos: Mapped[int] = mapped_column(Integer, default=0)
    # ADKAR scores 1-5 (None: unknown), by the rules in adoption.adkar
    awareness: Mapped[int | None] = mapped_column(SmallInteger)
    desire_score: Mapped[int | None] = mapped_column(SmallInteger)
    knowledge: Mapped[int | None] = mapped_column(SmallInteger)
    ability: Mapped[int | None] = mapped_column(SmallInteger)
    reinforcement: Mapped[int | None] = mapped_column(SmallInteger)
    points: Mapped[int] = mapped_column(Integer, default=0)
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    refreshed_on: Mapped[date | None] = mapped_column(Date)


class DirtyPerson(db.Model):
    """People whose read-model row must be recomputed (queued by receivers, worked off by the worker)."""

    __tablename__ = "adoption_dirty"

    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class FirstAttempt(db.Model):
    """The score of a person's first attempt at a quiz (Ability)."""

    __tablename__ = "adoption_first_attempt"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quiz_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    score_pct: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)


class Settings(db.Model):
    """One row: switches the program office and admins set."""

    __tablename__ = "adoption_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    leaderboard_on: Mapped[bool] = mapped_column(Boolean, default=True)
    digest_on: Mapped[bool] = mapped_column(Boolean, default=True)
    full_refresh_on: Mapped[date | None] = mapped_column(Date)  # the day the worker last refreshed everyone


# --- pulse surveys (Desire) -----------------------------------------------------------------------------------


class PulseSurvey(db.Model):
    __tablename__ = "adoption_pulse_survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(300))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    recipients: Mapped[int] = mapped_column(Integer, default=0)


class PulseAnswer(db.Model):
    __tablename__ = "adoption_pulse_answer"

    survey_id: Mapped[int] = mapped_column(ForeignKey("adoption_pulse_survey.id", ondelete="CASCADE"),
                                           primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    answer: Mapped[int] = mapped_column(SmallInteger)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- incentives -----------------------------------------------------------------------------------------------


class PointsEntry(db.Model):
    """Points a person earned for one thing, once ("lesson:<course>:<key>", "crm-week:2026-W48")."""

    __tablename__ = "adoption_points"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(200), primary_key=True)
    points: Mapped[int] = mapped_column(Integer)
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BadgeRule(db.Model):
    """A milestone the program office defined: complete path X, pass quiz Y first time, N weeks of CRM use."""

    __tablename__ = "adoption_badge_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))  # path | quiz_first_time | crm_weeks
    path_id: Mapped[int | None] = mapped_column(Integer)
    course_id: Mapped[int | None] = mapped_column(Integer)
    quiz_key: Mapped[str | None] = mapped_column(String(120))
    weeks: Mapped[int | None] = mapped_column(Integer)
    colour: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Award(db.Model):
    """A badge awarded to a person, issued as a signed Open Badges 3.0 credential (the VC-JWT is kept as issued)."""

    __tablename__ = "adoption_award"
    __table_args__ = (UniqueConstraint("rule_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)  # the credential's public id (urn:uuid)
    rule_id: Mapped[int] = mapped_column(ForeignKey("adoption_badge_rule.id", ondelete="RESTRICT"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    jwt: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(String(300), default="")

    rule: Mapped[BadgeRule] = relationship(lazy="joined")
    person: Mapped[Person] = relationship(lazy="joined")


class SigningKey(db.Model):
    """The issuer's public key (JWK), published on the issuer profile; the private key lives in the instance
    folder (or LMS_BADGE_KEY_FILE), never in the database or the repository."""

    __tablename__ = "adoption_signing_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_jwk: Mapped[dict] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- coaching -------------------------------------------------------------------------------------------------


class CoachingNote(db.Model):
    """A manager's note about one of their people: only that manager and that person may read it."""

    __tablename__ = "adoption_coaching_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestSent(db.Model):
    """A weekly coaching digest sent to a manager (one per ISO week: never twice)."""

    __tablename__ = "adoption_digest_sent"

    manager_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[str] = mapped_column(String(8), primary_key=True)  # "2026-W49"
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestOptOut(db.Model):
    """A manager who switched their weekly digest off."""

    __tablename__ = "adoption_digest_opt_out"

    manager_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
