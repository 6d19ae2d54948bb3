"""Audiences: who a campaign goes to, as a tree of conditions evaluated in SQL when it is used.

A rule tree is JSON: a group ``{"op": "all" | "any" | "not", "rules": [...]}`` (``not``: none of its rules... all
of them together, negated) or a condition ``{"field": ..., ...}``:

=================  ====================================================================================
``job_role``       ``"ids": [job role ids]`` (anyone holding one of them)
``department``     ``"ids": [department ids]``
``wave``           ``"ids": [rollout wave ids]``
``manager``        ``"person": id, "scope": "direct" | "team"`` (team: everyone below them, at any depth)
``hired``          ``"from": "YYYY-MM-DD" | null, "to": "YYYY-MM-DD" | null`` (inclusive)
``permission``     ``"value": "learner" | "manager" | ...``
``active``         ``"value": true | false``
``course_status``  ``"course": id, "status": not_started | in_progress | completed | overdue | not_completed``
``path_status``    ``"path": id, "status": (as for courses)``
``failed_quiz``    ``"course": id, "quiz": quiz key`` (failed it and not passed it since)
``overdue``        anything required is past its due date
``audience``       ``"audience": id``: the people of another saved audience
=================  ====================================================================================

Training status comes from courses' own records through ``courses.api``. Whatever the rules say, a campaign is
only ever sent to people who are active, have a usable address that has not bounced, and (for newsletters and
recognition) have not left the category: :func:`recipients`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, exists, false, func, not_, or_, select, true

from comms.models import LEAVABLE, Audience, OptOut
from courses import api as courses_api
from lms.errors import DomainError
from lms.extensions import db
from lms.mail.services import unsuppressed
from lms.people.models import Department, Person, PersonPermission
from lms.permissions import Permission

GROUPS = ("all", "any", "not")
FIELDS = ("job_role", "department", "wave", "manager", "hired", "permission", "active", "course_status",
          "path_status", "failed_quiz", "overdue", "audience")
TRAINING_STATUSES = ("not_started", "in_progress", "completed", "overdue", "not_completed")
MAX_DEPTH = 6


class AudienceProblem(DomainError):
    """Rules that cannot be used; the message says which and why."""


def _ids(rule: dict, key: str = "ids") -> list[int]:
    values = rule.get(key)
    if not isinstance(values, list) or not values or not all(isinstance(v, int) for v in values):
        raise AudienceProblem(f"The {rule['field'].replace('_', ' ')} condition needs at least one choice.")
    return values


def _day(value, what: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise AudienceProblem(f"The hire date {what} {value!r} is not a date (YYYY-MM-DD).") from None


def _condition(rule, depth: int, seen: frozenset[int]):
    if not isinstance(rule, dict):
        raise AudienceProblem("A rule must be a group or a condition.")
    if depth > MAX_DEPTH:
        raise AudienceProblem(f"Rules may be nested at most {MAX_DEPTH} deep.")
    if "op" in rule:
        op, children = rule.get("op"), rule.get("rules")
        if op not in GROUPS or not isinstance(children, list):
            raise AudienceProblem(f"A group is one of {', '.join(GROUPS)} with a list of rules.")
        parts = [_condition(child, depth + 1, seen) for child in children]
        if op == "any":
            return or_(*parts) if parts else false()
        joined = and_(*parts) if parts else true()
        return not_(joined) if op == "not" else joined
    field = rule.get("field")
    if field == "job_role":
        return Person.job_role_id.in_(_ids(rule))
    if field == "department":
        return Person.department_id.in_(_ids(rule))
    if field == "wave":
        return Person.wave_id.in_(_ids(rule))
    if field == "manager":
        manager = rule.get("person")
        if not isinstance(manager, int):
            raise AudienceProblem("The manager condition needs a manager.")
        if rule.get("scope", "direct") == "direct":
            return Person.manager_id == manager
        team = select(Person.id).where(Person.manager_id == manager).cte("team", recursive=True)
        below = select(Person.id).join(team, Person.manager_id == team.c.id)
        team = team.union(below)
        return Person.id.in_(select(team.c.id))
    if field == "hired":
        first, last = _day(rule.get("from"), "from"), _day(rule.get("to"), "to")
        if first is None and last is None:
            raise AudienceProblem("The hire date condition needs a first or a last day.")
        if first and last and first > last:
            raise AudienceProblem("The hire date range ends before it starts.")
        parts = [Person.hire_date.is_not(None)]
        parts += [Person.hire_date >= first] if first else []
        parts += [Person.hire_date <= last] if last else []
        return and_(*parts)
    if field == "permission":
        value = rule.get("value")
        if value not in {p.value for p in Permission}:
            raise AudienceProblem(f"Unknown permission {value!r}.")
        return exists().where(PersonPermission.person_id == Person.id, PersonPermission.permission == value)
    if field == "active":
        return Person.active.is_(bool(rule.get("value", True)))
    if field in ("course_status", "path_status"):
        status, target = rule.get("status"), rule.get("course" if field == "course_status" else "path")
        if status not in TRAINING_STATUSES or not isinstance(target, int):
            raise AudienceProblem("The training status condition needs a course (or path) and a status.")
        people = (courses_api.people_by_course_status if field == "course_status"
                  else courses_api.people_by_path_status)(target, status)
        return Person.id.in_(people)
    if field == "failed_quiz":
        course, quiz = rule.get("course"), rule.get("quiz")
        if not isinstance(course, int) or not isinstance(quiz, str) or not quiz:
            raise AudienceProblem("The failed quiz condition needs a quiz.")
        return Person.id.in_(courses_api.people_who_failed_quiz(course, quiz))
    if field == "overdue":
        return Person.id.in_(courses_api.people_with_anything_overdue())
    if field == "audience":
        other = rule.get("audience")
        if not isinstance(other, int) or other in seen:
            raise AudienceProblem("An audience cannot include itself.")
        saved = db.session.get(Audience, other)
        if saved is None:
            raise AudienceProblem("The audience it refers to no longer exists.")
        return _condition(saved.rules, depth + 1, seen | {other})
    raise AudienceProblem(f"Unknown condition {field!r}; use one of {', '.join(FIELDS)}.")


def check(rules: dict, *, audience_id: int | None = None) -> None:
    """Raise :class:`AudienceProblem` for rules that cannot be evaluated."""
    _condition(rules, 0, frozenset({audience_id}) if audience_id else frozenset())


def members(rules: dict, *, audience_id: int | None = None) -> Select:
    """A select of the ids of everyone the rules describe (inactive people included if the rules say so)."""
    seen = frozenset({audience_id}) if audience_id else frozenset()
    return select(Person.id).where(_condition(rules, 0, seen))


def _reachable(category: str | None):
    parts = [Person.active.is_(True), Person.email.like("%@%"), unsuppressed(Person.email)]
    if category in LEAVABLE:
        parts.append(~exists().where(OptOut.person_id == Person.id, OptOut.category == category))
    return and_(*parts)


def recipients(rules: dict, category: str) -> Select:
    """``person_id, to_address`` of everyone the campaign goes to (see the module docstring), by person id."""
    return (select(Person.id.label("person_id"), Person.email.label("to_address"))
            .where(_condition(rules, 0, frozenset()), _reachable(category)).order_by(Person.id))


@dataclass(frozen=True)
class Estimate:
    matching: int  # everyone the rules describe
    reachable: int  # of whom mail can be sent to (active, usable address not bounced, not left the category)
    sample: tuple[tuple[int, str, str, str], ...]  # (id, name, email, department) of a few reachable people


def estimate(rules: dict, category: str | None = None, *, sample: int = 8,
             audience_id: int | None = None) -> Estimate:
    condition = _condition(rules, 0, frozenset({audience_id}) if audience_id else frozenset())
    matching = db.session.scalar(select(func.count()).select_from(Person).where(condition)) or 0
    reachable = db.session.scalar(select(func.count()).select_from(Person).where(
        condition, _reachable(category))) or 0
    rows = db.session.execute(
        select(Person.id, Person.name, Person.email, Department.name)
        .outerjoin(Department, Department.id == Person.department_id)
        .where(condition, _reachable(category)).order_by(Person.name, Person.id).limit(sample)).all()
    return Estimate(matching, reachable, tuple((r[0], r[1], r[2], r[3] or "") for r in rows))


def save(name: str, rules: dict, *, audience: Audience | None, actor_id: int | None) -> Audience:
    name = " ".join(name.split())
    if not name:
        raise AudienceProblem("Give the audience a name.", field="name")
    clash = db.session.scalar(select(Audience).where(func.lower(Audience.name) == name.lower()))
    if clash is not None and clash is not audience:
        raise AudienceProblem(f"There is already an audience called {clash.name!r}.", field="name")
    check(rules, audience_id=audience.id if audience else None)
    if audience is None:
        audience = Audience(name=name, rules=rules, created_by_id=actor_id)
        db.session.add(audience)
    else:
        audience.name, audience.rules = name, rules
    db.session.flush()
    return audience


def used_by(audience: Audience) -> list[int]:
    """Ids of other audiences whose rules refer to this one."""
    found = []
    for other in db.session.scalars(select(Audience).where(Audience.id != audience.id)):
        if _refers(other.rules, audience.id):
            found.append(other.id)
    return found


def _refers(rule, audience_id: int) -> bool:
    if isinstance(rule, dict):
        if rule.get("field") == "audience" and rule.get("audience") == audience_id:
            return True
        return any(_refers(child, audience_id) for child in rule.get("rules", []) or [])
    return False
