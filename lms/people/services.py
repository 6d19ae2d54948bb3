"""People and organisation operations. They flush, record an audit event and send signals; the caller commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, func, or_, select

from lms import signals
from lms.audit.services import record as audit
from lms.errors import Conflict, DomainError, NotFound
from lms.extensions import db
from lms.people.models import Department, JobRole, Person, PersonPermission, RolloutWave
from lms.permissions import Permission


@dataclass(frozen=True)
class PersonInfo:
    """What an admin form or API gives to create or update a person."""

    name: str
    email: str
    employee_id: str | None = None
    job_role_id: int | None = None
    department_id: int | None = None
    manager_id: int | None = None
    wave_id: int | None = None
    hire_date: date | None = None
    permissions: frozenset[Permission] = frozenset({Permission.LEARNER})


@dataclass(frozen=True)
class PeopleFilter:
    search: str = ""
    department_id: int | None = None
    job_role_id: int | None = None
    wave_id: int | None = None
    permission: Permission | None = None
    status: str = "active"  # active | inactive | all


def get_person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person.")
    return person


def people_query(f: PeopleFilter) -> Select:
    query = select(Person).order_by(Person.name, Person.id)
    if f.search:
        term = f"%{f.search.strip().lower()}%"
        query = query.where(or_(func.lower(Person.name).like(term), Person.email.like(term),
                                func.lower(Person.employee_id).like(term)))
    for column, value in ((Person.department_id, f.department_id), (Person.job_role_id, f.job_role_id),
                          (Person.wave_id, f.wave_id)):
        if value:
            query = query.where(column == value)
    if f.permission:
        query = query.where(exists().where(PersonPermission.person_id == Person.id,
                                           PersonPermission.permission == f.permission.value))
    if f.status == "active":
        query = query.where(Person.active.is_(True))
    elif f.status == "inactive":
        query = query.where(Person.active.is_(False))
    return query


def team_query(manager_id: int, *, include_indirect: bool = False) -> Select:
    """The people who report to ``manager_id``, directly or (with ``include_indirect``) at any depth."""
    if not include_indirect:
        return select(Person).where(Person.manager_id == manager_id).order_by(Person.name, Person.id)
    chain = select(Person.id).where(Person.manager_id == manager_id).cte("reports", recursive=True)
    chain = chain.union(select(Person.id).where(Person.manager_id == chain.c.id))
    return select(Person).where(Person.id.in_(select(chain.c.id))).order_by(Person.name, Person.id)


def _check_unique(info: PersonInfo, person_id: int | None) -> None:
    email = info.email.strip().lower()
    clash = db.session.scalar(select(Person.id).where(Person.email == email, Person.id != (person_id or 0)))
    if clash:
        raise Conflict(f"Another person already uses the email {email}.", field="email")
    if info.employee_id:
        clash = db.session.scalar(select(Person.id).where(Person.employee_id == info.employee_id,
                                                          Person.id != (person_id or 0)))
        if clash:
            raise Conflict(f"Another person already has employee id {info.employee_id}.", field="employee_id")


def _check_manager(person_id: int | None, manager_id: int | None) -> None:
    if manager_id is None:
        return
    seen = set()
    current: int | None = manager_id
    while current is not None:
        if current == person_id:
            raise DomainError("That manager reports to this person: the chain would loop.", field="manager_id")
        if current in seen:
            break
        seen.add(current)
        current = db.session.scalar(select(Person.manager_id).where(Person.id == current))
    if db.session.get(Person, manager_id) is None:
        raise DomainError("The chosen manager does not exist.", field="manager_id")


def _apply(person: Person, info: PersonInfo) -> None:
    person.name = info.name.strip()
    person.email = info.email.strip().lower()
    person.employee_id = (info.employee_id or "").strip() or None
    person.job_role_id = info.job_role_id
    person.department_id = info.department_id
    person.manager_id = info.manager_id
    person.wave_id = info.wave_id
    person.hire_date = info.hire_date
    person.permission_rows = [PersonPermission(permission=p.value) for p in sorted(info.permissions)]


def create_person(info: PersonInfo, *, actor_id: int | None) -> Person:
    """Add a person; sends ``people_joined``."""
    _check_unique(info, None)
    _check_manager(None, info.manager_id)
    person = Person(active=True)
    _apply(person, info)
    db.session.add(person)
    db.session.flush()
    audit(actor_id, "person.create", person.email, permissions=sorted(info.permissions))
    signals.people_joined.send(None, person_ids=[person.id])
    signals.people_changed.send(None, person_ids=[person.id])
    return person


def update_person(person: Person, info: PersonInfo, *, actor_id: int | None) -> Person:
    """Change a person's details and permissions; sends ``people_changed_role`` when the job role changes."""
    _check_unique(info, person.id)
    _check_manager(person.id, info.manager_id)
    if actor_id == person.id and Permission.ADMIN in person.permissions and Permission.ADMIN not in info.permissions:
        raise DomainError("You cannot remove your own admin permission.", field="permissions")
    old_role = person.job_role_id
    before = {"permissions": sorted(p.value for p in person.permissions), "job_role_id": old_role}
    _apply(person, info)
    db.session.flush()
    audit(actor_id, "person.update", person.email, before=before,
          after={"permissions": sorted(info.permissions), "job_role_id": info.job_role_id})
    if old_role != info.job_role_id:
        signals.people_changed_role.send(None, changes=[(person.id, old_role, info.job_role_id)])
    signals.people_changed.send(None, person_ids=[person.id])
    return person


def set_active(person: Person, active: bool, *, actor_id: int | None) -> None:
    """Deactivate (keeping every record) or reactivate a person."""
    if not active and actor_id == person.id:
        raise DomainError("You cannot deactivate your own account.")
    if person.active == active:
        return
    person.active = active
    db.session.flush()
    audit(actor_id, "person.activate" if active else "person.deactivate", person.email)
    if not active:
        signals.people_deactivated.send(None, person_ids=[person.id])
    signals.people_changed.send(None, person_ids=[person.id])


# --- departments, job roles, waves -------------------------------------------------------------------------

ORG_KINDS = {
    "departments": (Department, "name", "department"),
    "job-roles": (JobRole, "name", "job role"),
    "waves": (RolloutWave, "name", "rollout wave"),
}
_PERSON_COLUMN = {Department: Person.department_id, JobRole: Person.job_role_id, RolloutWave: Person.wave_id}


def org_model(kind: str):
    if kind not in ORG_KINDS:
        raise NotFound("There is no such list.")
    return ORG_KINDS[kind][0]


def org_rows(kind: str) -> list[tuple]:
    """Every row of a kind with how many active people use it."""
    model = org_model(kind)
    column = _PERSON_COLUMN[model]
    counts = (select(column, func.count()).where(Person.active.is_(True)).group_by(column).subquery())
    query = (select(model, func.coalesce(counts.c[1], 0)).outerjoin(counts, counts.c[0] == model.id)
             .order_by(model.name))
    return list(db.session.execute(query))


def save_org_item(kind: str, values: dict, *, item_id: int | None, actor_id: int | None):
    """Create or rename a department, job role or wave; names (and job role codes) are unique."""
    model = org_model(kind)
    label = ORG_KINDS[kind][2]
    item = db.session.get(model, item_id) if item_id else model()
    if item is None:
        raise NotFound(f"There is no such {label}.")
    for unique in ("name", "code"):
        if unique in values:
            clash = db.session.scalar(select(model.id).where(func.lower(getattr(model, unique))
                                                             == values[unique].strip().lower(),
                                                             model.id != (item_id or 0)))
            if clash:
                raise Conflict(f"A {label} with that {unique} already exists.", field=unique)
    for key, value in values.items():
        setattr(item, key, value.strip() if isinstance(value, str) else value)
    db.session.add(item)
    db.session.flush()
    audit(actor_id, f"{kind}.{'update' if item_id else 'create'}", item.name, **{
        k: str(v) for k, v in values.items()})
    return item


def delete_org_item(kind: str, item_id: int, *, actor_id: int | None) -> None:
    """Delete an unused department, job role or wave; one still in use (even by inactive people) is refused."""
    model = org_model(kind)
    label = ORG_KINDS[kind][2]
    item = db.session.get(model, item_id)
    if item is None:
        raise NotFound(f"There is no such {label}.")
    used = db.session.scalar(select(func.count()).where(_PERSON_COLUMN[model] == item_id))
    if used:
        who = "1 person still belongs" if used == 1 else f"{used} people still belong"
        raise Conflict(f"{who} to the {label} “{item.name}”; move them first.")
    db.session.delete(item)
    db.session.flush()
    audit(actor_id, f"{kind}.delete", item.name)
