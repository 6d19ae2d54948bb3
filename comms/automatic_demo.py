"""The demo's recognition wall and automatic messages (on ``demo_seeded``): kudos from the program office and the
managers over the last weeks, and every automatic message switched on with its default template."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from comms.automatic_settings import KINDS
from comms.models_lifecycle import AutoSetting, Kudos
from lms.extensions import db
from lms.people.models import Person
from lms.types import utcnow

DOMAIN = "northwind.example"
# (author login, about: a login's team "team:<login>" or the n-th report of a manager "<login>#n", text, days ago)
KUDOS = [
    ("office", "team:sales.manager", "Wave 1 sales went live on the CRM with every rep through the pipeline course. "
     "Thank you for making the first wave a success!", 20),
    ("sales.manager", "sales.manager#0", "Logged every opportunity of the week in the CRM, with next steps: the "
     "pipeline review took ten minutes instead of an hour.", 12),
    ("service.manager", "service.manager#1", "Resolved a customer on credit hold on the first call, by the book and "
     "kindly. This is the culture module in action.", 9),
    ("office", "marketing.manager#2", "Built the first campaign segment straight from CRM data: no more spreadsheets "
     "passed around.", 6),
    ("office", "team:service.manager", "Customer Service moved 30% of requests to self-service this month. Great "
     "teamwork on the new case process!", 3),
    ("sales.manager", "team:sales.manager", "Everyone on the team has finished CRM basics. Proud of you all.", 1),
]


def seed(people: dict[str, Person]) -> None:
    by_login = {email.split("@")[0]: person for email, person in people.items()}
    now = utcnow()
    for author, about, text, days in KUDOS:
        person_id = team_id = None
        if about.startswith("team:"):
            team_id = by_login[about[5:]].id
        else:
            login, _, index = about.partition("#")
            reports = db.session.scalars(select(Person.id).where(Person.manager_id == by_login[login].id)
                                         .order_by(Person.id)).all()
            person_id = reports[int(index) % len(reports)]
        db.session.add(Kudos(author_id=by_login[author].id, person_id=person_id, team_manager_id=team_id, text=text,
                             created_at=now - timedelta(days=days, hours=days % 5)))
    for kind, default in KINDS.items():
        if db.session.get(AutoSetting, kind) is None:
            db.session.add(AutoSetting(kind=kind, enabled=True, subject=default.subject, body=default.body, days=3,
                                       updated_by_id=by_login["office"].id))
    db.session.flush()
