"""Incentives: points for learning and for CRM use after training, badges for the program office's milestones,
and the team leaderboard (switchable; people who opted out are never shown)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from adoption.bulk import dialect_insert
from adoption.models import Award, BadgeRule, FirstAttempt, PersonState, PointsEntry
from courses import api as courses_api
from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import Person

POINTS = {"lesson": 10, "quiz": 20, "quiz_first_time": 10, "course": 50, "path": 100}
RULE_KINDS = {"path": "Complete a learning path", "quiz_first_time": "Pass a quiz at the first attempt",
              "crm_weeks": "Use the CRM in N different weeks after training"}
POINTS_RULE = ("10 points a lesson, 20 a passed quiz (10 more at the first attempt), 50 a course, 100 a path, "
               "and 5 for each week with CRM use after training.")


def grant(person_id: int, reason: str, points: int) -> None:
    """Give points once per reason (a repeated event gives nothing more)."""
    db.session.execute(dialect_insert(PointsEntry).on_conflict_do_nothing(index_elements=["person_id", "reason"]),
                       [{"person_id": person_id, "reason": reason[:200], "points": points}])


@dataclass(frozen=True)
class RuleInfo:
    name: str
    description: str
    kind: str
    path_id: int | None = None
    course_id: int | None = None
    quiz_key: str | None = None
    weeks: int | None = None
    colour: str = "#1f6feb"


def save_rule(info: RuleInfo, rule: BadgeRule | None = None) -> BadgeRule:
    """Create or change a badge rule; raises DomainError for an incomplete one."""
    if info.kind not in RULE_KINDS:
        raise DomainError("Choose what the badge is for.")
    if info.kind == "path" and not info.path_id:
        raise DomainError("Choose the learning path to complete.")
    if info.kind == "quiz_first_time" and not (info.course_id and info.quiz_key):
        raise DomainError("Choose the quiz to pass at the first attempt.")
    if info.kind == "crm_weeks" and not (info.weeks and 1 <= info.weeks <= 104):
        raise DomainError("Say how many weeks of CRM use (1-104).")
    clash = db.session.scalar(select(BadgeRule.id).where(func.lower(BadgeRule.name) == info.name.strip().lower()))
    if clash is not None and (rule is None or clash != rule.id):
        raise DomainError(f"A badge called {info.name.strip()!r} exists already.")
    rule = rule or BadgeRule()
    rule.name, rule.description, rule.kind = info.name.strip(), info.description.strip(), info.kind
    rule.path_id = info.path_id if info.kind == "path" else None
    rule.course_id = info.course_id if info.kind == "quiz_first_time" else None
    rule.quiz_key = info.quiz_key if info.kind == "quiz_first_time" else None
    rule.weeks = info.weeks if info.kind == "crm_weeks" else None
    rule.colour = info.colour
    db.session.add(rule)
    db.session.flush()
    return rule


def rule_text(rule: BadgeRule) -> str:
    if rule.kind == "path":
        titles = {p.id: p.title for p in courses_api.catalogue().paths}
        return f"Complete the learning path {titles.get(rule.path_id, f'#{rule.path_id}')}."
    if rule.kind == "quiz_first_time":
        quizzes = {(q.course_id, q.key): q.title for q in courses_api.catalogue().quizzes}
        return f"Pass the quiz {quizzes.get((rule.course_id, rule.quiz_key), rule.quiz_key)} at the first attempt."
    return f"Use the CRM in {rule.weeks} different weeks after completing training."


def _earners(rule: BadgeRule, among: list[int] | None) -> set[int]:
    """Who meets the rule (among these people; None: everyone)."""
    if among is not None:
        found: set[int] = set()
        for start in range(0, len(among), 2000):
            found |= _earners_in(rule, among[start:start + 2000])
        return found
    return _earners_in(rule, None)


def _earners_in(rule: BadgeRule, among: list[int] | None) -> set[int]:
    def scoped(query, column):
        return query.where(column.in_(among)) if among is not None else query

    if rule.kind == "path":
        people = list(db.session.scalars(scoped(select(PersonState.person_id).where(PersonState.required > 0),
                                                PersonState.person_id)))
        found = set()
        for start in range(0, len(people), 2000):
            for pid, paths in courses_api.assigned_paths(people[start:start + 2000]).items():
                if any(p.path_id == rule.path_id and p.status == "completed" for p in paths):
                    found.add(pid)
        return found
    if rule.kind == "quiz_first_time":
        return set(db.session.scalars(scoped(select(FirstAttempt.person_id).where(
            FirstAttempt.course_id == rule.course_id, FirstAttempt.quiz_key == rule.quiz_key,
            FirstAttempt.passed.is_(True)), FirstAttempt.person_id)))
    weeks = rule.weeks or 1
    return set(db.session.scalars(scoped(select(PersonState.person_id).where(
        PersonState.trained_on.is_not(None), PersonState.weeks_used_after_training >= weeks), PersonState.person_id)))


def award_due(person_ids: list[int] | None = None) -> int:
    """Award every active rule's badge to the active people (these, or everyone) who earned it and do not hold
    it; returns how many."""
    from adoption.badges import issue

    count = 0
    for rule in db.session.scalars(select(BadgeRule).where(BadgeRule.active.is_(True)).order_by(BadgeRule.id)):
        holders = set(db.session.scalars(select(Award.person_id).where(Award.rule_id == rule.id)))
        fresh = sorted(_earners(rule, person_ids) - holders)
        if not fresh:
            continue
        for person in db.session.scalars(select(Person).where(Person.id.in_(fresh), Person.active.is_(True))):
            issue(rule, person)
            count += 1
    return count


@dataclass(frozen=True)
class LeaderLine:
    rank: int
    person_id: int
    name: str
    points: int


def leaderboard(manager_id: int, most: int = 10) -> list[LeaderLine]:
    """A manager's team by points, best first, without anyone who opted out."""
    rows = db.session.execute(
        select(Person.id, Person.name, PersonState.points).join(PersonState, PersonState.person_id == Person.id)
        .where(Person.manager_id == manager_id, Person.active.is_(True), PersonState.leaderboard_opt_out.is_(False),
               PersonState.points > 0)
        .order_by(PersonState.points.desc(), Person.name).limit(most)).all()
    return [LeaderLine(i, pid, name, points) for i, (pid, name, points) in enumerate(rows, start=1)]


def set_opt_out(person_id: int, opted_out: bool) -> None:
    from adoption.readmodel import state_of

    state_of(person_id).leaderboard_opt_out = opted_out
