"""The adoption report and readiness by team, read from the read model (``adoption_person``) and the daily usage
counts, never from the statement log.

Definitions (shown on the page): a person is *required* to use the CRM when any training is required of them; *active*
when they used the CRM on a day of the window (7 or 28 days ending today); *trained* when every required course is
completed. Adoption = active in the last 7 days / required. *Trained but not using*: trained, not active in the last 7
days. *Using but not trained*: active in the last 7 days, training required and not complete.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from adoption import adkar
from adoption.models import PersonState, UsageWeek
from adoption.weeks import monday, window_bits
from lms.extensions import db
from lms.people.models import Department, JobRole, Person, RolloutWave
from lms.types import utcnow

DIMENSIONS = {"team": "Team", "department": "Department", "wave": "Wave", "job_role": "Role"}
WINDOW = 7


@dataclass(frozen=True)
class AdoptionRow:
    key: int | None
    label: str
    people: int
    required: int
    trained: int
    active_7: int
    active_28: int

    @property
    def training_rate(self) -> float | None:
        return self.trained / self.required if self.required else None

    @property
    def adoption(self) -> float | None:
        return self.active_7 / self.required if self.required else None


@dataclass(frozen=True)
class PersonLine:
    person_id: int
    name: str
    email: str
    team: str
    department: str
    trained_on: date | None
    last_used_on: date | None


def _group(dimension: str):
    """The column people are grouped by, and the model whose ``name`` labels its values."""
    if dimension == "team":
        return Person.manager_id, Person
    return {"department": (Person.department_id, Department), "wave": (Person.wave_id, RolloutWave),
            "job_role": (Person.job_role_id, JobRole)}[dimension]


def _names(model, keys) -> dict[int, str]:
    """The labels of these group keys: grouped by the key alone, the report joins no row per person to name it."""
    wanted = sorted(k for k in keys if k is not None)
    names: dict[int, str] = {}
    for start in range(0, len(wanted), 1000):
        names.update(db.session.execute(select(model.id, model.name).where(model.id.in_(wanted[start:start + 1000]))
                                        ).all())
    return names


def _scope(query, manager_id: int | None):
    return query.where(Person.manager_id == manager_id) if manager_id is not None else query


def adoption_rows(dimension: str, today: date | None = None, *, manager_id: int | None = None
                  ) -> tuple[list[AdoptionRow], AdoptionRow]:
    """Rows by ``dimension`` (team, department, wave, job_role) and the total, for active people."""
    today = today or utcnow().date()
    since_7, since_28 = today - timedelta(days=WINDOW - 1), today - timedelta(days=27)
    key, model = _group(dimension)
    required = PersonState.required > 0
    query = select(key, func.count(Person.id),
                   func.sum(case((required, 1), else_=0)),
                   func.sum(case((and_(required, PersonState.trained_on.is_not(None)), 1), else_=0)),
                   func.sum(case((and_(required, PersonState.last_used_on >= since_7), 1), else_=0)),
                   func.sum(case((and_(required, PersonState.last_used_on >= since_28), 1), else_=0))
                   ).select_from(Person).join(PersonState, PersonState.person_id == Person.id)
    query = _scope(query.where(Person.active.is_(True)), manager_id).group_by(key)
    found = [row for row in db.session.execute(query) if row[2]]  # groups with nobody required: left out
    names = _names(model, [row[0] for row in found])
    rows = [AdoptionRow(k, names.get(k) or "(none)", n, int(r or 0), int(t or 0), int(a or 0), int(b or 0))
            for k, n, r, t, a, b in found]
    rows.sort(key=lambda r: (r.label == "(none)", r.label.lower()))
    total = AdoptionRow(None, "All", sum(r.people for r in rows), sum(r.required for r in rows),
                        sum(r.trained for r in rows), sum(r.active_7 for r in rows), sum(r.active_28 for r in rows))
    return rows, total


def _lines(condition, manager_id: int | None, most: int | None) -> list[PersonLine]:
    manager = aliased(Person)
    query = (select(Person.id, Person.name, Person.email, manager.name, Department.name, PersonState.trained_on,
                    PersonState.last_used_on)
             .join(PersonState, PersonState.person_id == Person.id)
             .outerjoin(manager, manager.id == Person.manager_id).outerjoin(Department, Department.id ==
                                                                            Person.department_id)
             .where(Person.active.is_(True), condition).order_by(Person.name))
    query = _scope(query, manager_id)
    if most is not None:
        query = query.limit(most)
    return [PersonLine(pid, name, email, team or "", dept or "", trained, used)
            for pid, name, email, team, dept, trained, used in db.session.execute(query)]


def trained_not_using(today: date | None = None, *, manager_id: int | None = None,
                      most: int | None = 200) -> list[PersonLine]:
    since = (today or utcnow().date()) - timedelta(days=WINDOW - 1)
    return _lines(and_(PersonState.trained_on.is_not(None),
                       (PersonState.last_used_on.is_(None)) | (PersonState.last_used_on < since)), manager_id, most)


def using_not_trained(today: date | None = None, *, manager_id: int | None = None,
                      most: int | None = 200) -> list[PersonLine]:
    since = (today or utcnow().date()) - timedelta(days=WINDOW - 1)
    return _lines(and_(PersonState.required > 0, PersonState.trained_on.is_(None),
                       PersonState.last_used_on >= since), manager_id, most)


def _required_people(manager_id: int | None = None, *, job_role_ids=(), department_ids=()):
    people = select(Person.id).join(PersonState, PersonState.person_id == Person.id).where(
        Person.active.is_(True), PersonState.required > 0)
    if job_role_ids:
        people = people.where(Person.job_role_id.in_(job_role_ids))
    if department_ids:
        people = people.where(Person.department_id.in_(department_ids))
    return _scope(people, manager_id)


def _active_by_window(ends: list[date], manager_id: int | None = None, *, job_role_ids=(), department_ids=()
                      ) -> dict[date, int]:
    """For each of ``ends`` (all on one weekday), how many people required now (of this team, these roles or
    departments) used the CRM in the 7 days ending then: one weekly row per person and window (see
    :mod:`adoption.weeks`)."""
    mondays = {monday(end): end for end in ends}
    in_window = (UsageWeek.week.in_(sorted(mondays)), UsageWeek.days.op("&")(window_bits(ends[0])) != 0)

    def counted(query) -> dict[date, int]:
        return {mondays[week]: n for week, n in db.session.execute(query.group_by(UsageWeek.week))}

    if manager_id is not None or job_role_ids or department_ids:  # from these people to their weekly rows
        people = [Person.active.is_(True), PersonState.required > 0]
        if job_role_ids:
            people.append(Person.job_role_id.in_(job_role_ids))
        if department_ids:
            people.append(Person.department_id.in_(department_ids))
        if manager_id is not None:
            people.append(Person.manager_id == manager_id)
        return counted(select(UsageWeek.week, func.count()).select_from(Person)
                       .join(PersonState, PersonState.person_id == Person.id)
                       .join(UsageWeek, UsageWeek.person_id == Person.id).where(*people, *in_window))
    # Everyone required: every weekly row in the window, less those of the (few) people who are not required or
    # not active, or have no read-model row yet; cheaper than looking up the person of each row.
    active = counted(select(UsageWeek.week, func.count()).where(*in_window))
    others = list(db.session.scalars(
        select(Person.id).outerjoin(PersonState, PersonState.person_id == Person.id)
        .where(~and_(Person.active.is_(True), func.coalesce(PersonState.required, 0) > 0)).order_by(Person.id)))
    for start in range(0, len(others), 1000):
        chunk = others[start:start + 1000]
        for end, n in counted(select(UsageWeek.week, func.count()).where(
                UsageWeek.person_id.in_(chunk), *in_window)).items():
            active[end] -= n
    return active


def adoption_on(day: date, *, job_role_ids=(), department_ids=(), manager_id: int | None = None) -> float | None:
    """Adoption in percent on ``day``: people required (now) who used the CRM in the 7 days ending ``day``,
    of all people required, optionally only these job roles / departments. None when nobody is required."""
    people = _required_people(manager_id, job_role_ids=job_role_ids, department_ids=department_ids)
    required = db.session.scalar(select(func.count()).select_from(people.subquery()))
    if not required:
        return None
    active = _active_by_window([day], manager_id, job_role_ids=job_role_ids, department_ids=department_ids)
    return round(100.0 * active.get(day, 0) / required, 1)


def trend(weeks: int = 8, today: date | None = None, *, manager_id: int | None = None
          ) -> list[tuple[date, float | None]]:
    """Adoption at the end of each of the last ``weeks`` weeks (the last point is today), over the people required
    now: one grouped pass over the weekly rows of those weeks."""
    today = today or utcnow().date()
    ends = [today - timedelta(days=7 * n) for n in reversed(range(weeks))]
    people = _required_people(manager_id)
    required = db.session.scalar(select(func.count()).select_from(people.subquery()))
    if not required:
        return [(end, None) for end in ends]
    active = _active_by_window(ends, manager_id)
    return [(end, round(100.0 * active.get(end, 0) / required, 1)) for end in ends]


def readiness_by_team(*, manager_id: int | None = None) -> list[adkar.TeamReadiness]:
    """Each team's (a manager's direct reports, active people) mean ADKAR scores and its barrier point."""
    columns = [func.avg(getattr(PersonState, "desire_score" if e == "desire" else e)) for e in adkar.ELEMENTS]
    query = (select(Person.manager_id, func.count(Person.id), *columns)
             .join(PersonState, PersonState.person_id == Person.id)
             .where(Person.active.is_(True), PersonState.required > 0).group_by(Person.manager_id))
    if manager_id is not None:
        query = query.where(Person.manager_id == manager_id)
    found = db.session.execute(query).all()
    names = _names(Person, [row[0] for row in found])
    teams = []
    for mid, people, *means in found:
        scores = {e: (round(float(v), 1) if v is not None else None) for e, v in zip(adkar.ELEMENTS, means,
                                                                                      strict=True)}
        teams.append(adkar.TeamReadiness(mid, names.get(mid) or "(no manager)", people, scores))
    teams.sort(key=lambda t: (t.manager_id is None, t.manager_name.lower()))
    return teams


def person_readiness(manager_id: int) -> list[tuple[Person, PersonState]]:
    return list(db.session.execute(
        select(Person, PersonState).join(PersonState, PersonState.person_id == Person.id)
        .where(Person.manager_id == manager_id, Person.active.is_(True)).order_by(Person.name)).all())


def report_csv(dimension: str, today: date | None = None) -> str:
    rows, total = adoption_rows(dimension, today)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([DIMENSIONS[dimension], "people", "required", "trained", "training_rate", "active_7_days",
                     "active_28_days", "adoption"])
    for row in [*rows, total]:
        writer.writerow([_safe(row.label), row.people, row.required, row.trained,
                         "" if row.training_rate is None else f"{row.training_rate:.3f}", row.active_7,
                         row.active_28, "" if row.adoption is None else f"{row.adoption:.3f}"])
    writer.writerow([])
    writer.writerow(["list", "name", "email", "team", "department", "trained_on", "last_used_on"])
    for name, lines in (("trained_not_using", trained_not_using(today, most=None)),
                        ("using_not_trained", using_not_trained(today, most=None))):
        for line in lines:
            writer.writerow([name, _safe(line.name), line.email, _safe(line.team), _safe(line.department),
                             line.trained_on or "", line.last_used_on or ""])
    return out.getvalue()


def _safe(value: str) -> str:
    """Keep a spreadsheet from reading a cell as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
