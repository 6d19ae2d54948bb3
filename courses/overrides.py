"""Assignment by hand and the overrides trainers give one learner: extra attempts, a reset attempt, a waived
course, a changed due date. Each is in the audit log and tells read models (``training_changed``).

Who may act on whom: trainers and admins on anyone; a manager only on their own team (direct or indirect
reports), and only to assign. :func:`reachable` is the one place that says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, or_, select

from courses import enrolment as enrolments
from courses.models import Course, Enrolment, LearningPath, PathAssignment, QuizAttempt
from lms import signals
from lms.audit.services import record as audit
from lms.errors import DomainError, Forbidden, NotFound
from lms.extensions import db
from lms.people.models import Person
from lms.people.services import team_query
from lms.permissions import Permission
from lms.types import utcnow


def sees_everyone(actor: Person) -> bool:
    return actor.can(Permission.TRAINER) or actor.can(Permission.ADMIN)


def reachable(actor: Person) -> Select:
    """Ids of the people ``actor`` may see and assign to: everyone for trainers and admins, else their team."""
    if sees_everyone(actor):
        return select(Person.id)
    if actor.can(Permission.MANAGER):
        return team_query(actor.id, include_indirect=True).with_only_columns(Person.id).order_by(None)
    return select(Person.id).where(Person.id.is_(None))


def person_for(actor: Person, person_id: int) -> Person:
    """A person ``actor`` may see; NotFound for anyone else (a manager never learns who exists outside the team)."""
    person = db.session.get(Person, person_id)
    if person is None or db.session.scalar(reachable(actor).where(Person.id == person_id).limit(1)) is None:
        raise NotFound("There is no such person in your team.")
    return person


def _require_trainer(actor: Person) -> None:
    if not sees_everyone(actor):
        raise Forbidden("Only a trainer or an admin can do that.")


@dataclass(frozen=True)
class Assignment:
    """What to assign (a published course or an active path) and by when."""

    course_id: int | None = None
    path_id: int | None = None
    due_date: date | None = None


def resolve_people(actor: Person, lines: list[str], *, team_of: str | None = None,
                   whole_team: bool = False, chosen: list[int] = ()) -> list[int]:
    """Person ids from emails or employee ids (one per line), a manager's whole team (``team_of``: their email),
    or the actor's own team. Raises DomainError naming every line that is not a person ``actor`` may reach."""
    ids: list[int] = []
    problems: list[str] = []
    if chosen:
        reached = set(db.session.scalars(reachable(actor).where(Person.id.in_(chosen))))
        if set(chosen) - reached:
            raise NotFound("There is no such person in your team.")
        ids = list(dict.fromkeys(chosen))
    for number, raw in enumerate(lines, start=1):
        value = raw.strip()
        if not value:
            continue
        person = db.session.scalar(select(Person).where(or_(Person.email == value.lower(),
                                                            Person.employee_id == value)))
        if person is None or db.session.scalar(reachable(actor).where(Person.id == person.id).limit(1)) is None:
            problems.append(f"line {number}: {value} is not a person you can assign to")
        elif person.id not in ids:
            ids.append(person.id)
    if team_of:
        manager = db.session.scalar(select(Person).where(Person.email == team_of.strip().lower()))
        if manager is None or db.session.scalar(reachable(actor).where(Person.id == manager.id).limit(1)) is None:
            problems.append(f"{team_of}: not a manager whose team you can assign to")
        else:
            ids += [i for i in db.session.scalars(team_query(manager.id, include_indirect=True)
                                                  .with_only_columns(Person.id).order_by(None)) if i not in ids]
    if whole_team:
        ids += [i for i in db.session.scalars(team_query(actor.id, include_indirect=True)
                                              .with_only_columns(Person.id).order_by(None)) if i not in ids]
    if problems:
        raise DomainError("; ".join(problems), field="people")
    if not ids:
        raise DomainError("Name at least one person.", field="people")
    return ids


def assign(actor: Person, person_ids: list[int], what: Assignment) -> int:
    """Assign a course or a path by hand to people ``actor`` may reach; returns how many were newly assigned.
    Someone who already has it open gets the new due date."""
    allowed = set(db.session.scalars(reachable(actor).where(Person.id.in_(person_ids))))
    if not person_ids or set(person_ids) - allowed:
        raise NotFound("There is no such person in your team.")
    people = list(db.session.scalars(select(Person).where(Person.id.in_(person_ids), Person.active.is_(True))))
    made = 0
    if what.course_id is not None:
        course = db.session.get(Course, what.course_id)
        if course is None or course.status != "published":
            raise DomainError("Choose a published course.", field="course_id")
        for person in people:
            existing = db.session.scalar(select(Enrolment).where(
                Enrolment.person_id == person.id, Enrolment.course_id == course.id,
                Enrolment.status.in_(enrolments.OPEN), Enrolment.remedial_module.is_(None)))
            if existing is not None:
                existing.due_date = what.due_date or existing.due_date
            else:
                enrolments.enrol(person, course, source="manual", due_date=what.due_date)
                made += 1
            audit(actor.id, "course.assign", course.slug, person=person.email, due=_iso(what.due_date))
    elif what.path_id is not None:
        path = db.session.get(LearningPath, what.path_id)
        if path is None or not path.active:
            raise DomainError("Choose an active learning path.", field="path_id")
        made = enrolments.assign_path_by_hand([p.id for p in people], path, due_date=what.due_date)
        for person in people:
            audit(actor.id, "path.assign", path.slug, person=person.email, due=_iso(what.due_date))
    else:
        raise DomainError("Choose a course or a path.", field="course_id")
    db.session.flush()
    signals.training_changed.send(None, person_ids=sorted(p.id for p in people))
    return made


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _enrolment(enrolment_id: int) -> Enrolment:
    found = db.session.get(Enrolment, enrolment_id)
    if found is None or found.status == "replaced":
        raise NotFound("There is no such enrolment.")
    return found


def grant_attempts(actor: Person, enrolment_id: int, quiz_key: str, extra: int) -> Enrolment:
    """Give a learner ``extra`` more attempts at one quiz of their enrolment."""
    _require_trainer(actor)
    enrolment = _enrolment(enrolment_id)
    if not 1 <= extra <= 10:
        raise DomainError("Grant from 1 to 10 attempts.", field="extra")
    granted = dict(enrolment.extra_attempts or {})
    granted[quiz_key] = int(granted.get(quiz_key, 0)) + extra
    enrolment.extra_attempts = granted
    db.session.flush()
    audit(actor.id, "attempts.grant", enrolment.course.slug, person=enrolment.person.email, quiz=quiz_key,
          extra=extra)
    signals.training_changed.send(None, person_ids=[enrolment.person_id])
    return enrolment


def reset_attempt(actor: Person, attempt_id: int) -> QuizAttempt:
    """Reset a failed attempt: it stays on record but no longer counts against the quiz's limit."""
    _require_trainer(actor)
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None:
        raise NotFound("There is no such attempt.")
    if attempt.submitted_at is None or attempt.passed or attempt.reset_at is not None:
        raise DomainError("Only a submitted, failed attempt can be reset.")
    attempt.reset_at = utcnow()
    db.session.flush()
    enrolment = attempt.enrolment
    audit(actor.id, "attempt.reset", enrolment.course.slug, person=enrolment.person.email, quiz=attempt.quiz_key,
          attempt=attempt.number)
    signals.training_changed.send(None, person_ids=[enrolment.person_id])
    return attempt


def waive(actor: Person, enrolment_id: int, reason: str) -> Enrolment:
    """Excuse a learner from a course, with a reason: it is no longer a requirement (records stay); a path it
    belongs to counts it as done."""
    _require_trainer(actor)
    enrolment = _enrolment(enrolment_id)
    if not reason.strip():
        raise DomainError("Say why the course is waived.", field="reason")
    if enrolment.status not in enrolments.OPEN:
        raise DomainError("Only an open enrolment can be waived.")
    enrolment.status, enrolment.waived_reason = "waived", reason.strip()
    enrolment.waived_by_id, enrolment.waived_at = actor.id, utcnow()
    db.session.flush()
    audit(actor.id, "course.waive", enrolment.course.slug, person=enrolment.person.email, reason=reason.strip())
    if enrolment.assignment_id:
        from courses.learning import check_path

        check_path(db.session.get(PathAssignment, enrolment.assignment_id))
    signals.training_changed.send(None, person_ids=[enrolment.person_id])
    return enrolment


def change_due(actor: Person, enrolment_id: int, due: date | None) -> Enrolment:
    """Change an open enrolment's due date (None: no due date)."""
    _require_trainer(actor)
    enrolment = _enrolment(enrolment_id)
    if enrolment.status not in enrolments.OPEN:
        raise DomainError("Only an open enrolment has a due date to change.")
    before = enrolment.due_date
    enrolment.due_date = due
    db.session.flush()
    audit(actor.id, "due.change", enrolment.course.slug, person=enrolment.person.email, before=_iso(before),
          after=_iso(due))
    signals.training_changed.send(None, person_ids=[enrolment.person_id])
    return enrolment
