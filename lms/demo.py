"""The demo organisation: Northwind Supplies, mid-rollout of its new CRM."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from lms import signals
from lms.auth.services import hash_password
from lms.extensions import db
from lms.people.models import Department, JobRole, Person, PersonPermission, RolloutWave
from lms.permissions import Permission

DOMAIN = "northwind.example"
JOB_ROLES = [("sales_rep", "Sales rep"), ("service_agent", "Service agent"), ("sales_manager", "Sales manager"),
             ("service_manager", "Service manager"), ("marketer", "Marketer")]
DEPARTMENTS = ["Sales", "Customer Service", "Marketing", "Finance"]
WAVES = [("Wave 1", 0), ("Wave 2", 45), ("Wave 3", 90)]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Eva", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira", "Luca", "Maya",
         "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Victor", "Wen", "Yusuf", "Zoe"]
LAST = ["Lopez", "Okafor", "Martin", "Sharma", "Novak", "Haddad", "Kim", "Berg", "Silva", "Weber", "Tanaka",
        "Rossi", "Dubois", "Jensen", "Costa", "Murphy", "Ivanova", "Nakamura", "Fischer", "Moreau"]

# (email local part, name, job role, department, permissions, manager login or None)
LOGINS = [
    ("admin", "Alex Admin", None, "Finance", (Permission.ADMIN, Permission.LEARNER), None),
    ("sponsor", "Sam Sponsor", None, "Finance", (Permission.SPONSOR, Permission.LEARNER), None),
    ("office", "Priya Program-Office", "marketer", "Marketing", (Permission.PROGRAM_OFFICE, Permission.LEARNER), None),
    ("trainer", "Tom Trainer", "service_agent", "Customer Service", (Permission.TRAINER, Permission.LEARNER), None),
    ("sales.manager", "Maria Sales-Manager", "sales_manager", "Sales", (Permission.MANAGER, Permission.LEARNER), None),
    ("service.manager", "Omar Service-Manager", "service_manager", "Customer Service",
     (Permission.MANAGER, Permission.LEARNER), None),
    ("marketing.manager", "Lena Marketing-Manager", "marketer", "Marketing", (Permission.MANAGER, Permission.LEARNER),
     None),
    ("learner", "Lee Learner", "sales_rep", "Sales", (Permission.LEARNER,), "sales.manager"),
]
TEAMS = [("sales.manager", "sales_rep", "Sales", 26), ("service.manager", "service_agent", "Customer Service", 20),
         ("marketing.manager", "marketer", "Marketing", 10)]


def seed_demo(password: str, today: date | None = None) -> list[tuple[str, str]]:
    """Add the demo organisation unless it is there; return (email, permissions) per demo login."""
    if db.session.scalar(select(Person.id).where(Person.email == f"admin@{DOMAIN}")):
        return []
    today = today or date.today()
    rng = random.Random(2026)  # noqa: S311 (demo names, not secrets)
    roles = {code: JobRole(code=code, name=name) for code, name in JOB_ROLES}
    departments = {name: Department(name=name) for name in DEPARTMENTS}
    waves = [RolloutWave(name=name, go_live=today + timedelta(days=offset)) for name, offset in WAVES]
    db.session.add_all([*roles.values(), *departments.values(), *waves])
    password_hash = hash_password(password)
    by_login: dict[str, Person] = {}
    for local, name, role, department, permissions, manager in LOGINS:
        person = Person(
            email=f"{local}@{DOMAIN}", name=name, employee_id=f"NW{len(by_login) + 1:04d}",
            job_role=roles.get(role), department=departments[department], wave=waves[0],
            hire_date=today - timedelta(days=7 if local == "learner" else 800), password_hash=password_hash,
            manager=by_login.get(manager) if manager else None,
            permission_rows=[PersonPermission(permission=p.value) for p in permissions],
        )
        by_login[local] = person
        db.session.add(person)
    number = len(by_login)
    for manager, role, department, size in TEAMS:
        for i in range(size):
            number += 1
            first, last = rng.choice(FIRST), rng.choice(LAST)
            new_hire = i % 7 == 0
            db.session.add(Person(
                email=f"{first}.{last}.{number}@{DOMAIN}".lower(), name=f"{first} {last}",
                employee_id=f"NW{number:04d}", job_role=roles[role], department=departments[department],
                wave=waves[i % 3], manager=by_login[manager],
                hire_date=today - timedelta(days=rng.randint(3, 20) if new_hire else rng.randint(200, 3000)),
                permission_rows=[PersonPermission(permission=Permission.LEARNER.value)],
            ))
    db.session.flush()
    signals.demo_seeded.send(None, people={p.email: p for p in by_login.values()})
    return [(p.email, ", ".join(sorted(x.value for x in p.permissions))) for p in by_login.values()]
