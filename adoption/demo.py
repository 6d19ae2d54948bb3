"""The demo's adoption story, true of the demo's records (run on ``demo_seeded``, after courses' demo):

- the demo CRM has posted four weeks of usage statements (through tracking, as a CRM would);
- Customer Service (Omar's team) is trained but has stopped using the CRM: its trained people last used it two to
  three weeks ago, so they fill "trained but not using";
- the team most aware of the rollout (comms' demo announcement; Sales or Marketing) answered the pulse survey low:
  its readiness barrier is Desire;
- badges (a learning path, and two weeks of CRM use) are awarded, and the leaderboard has points.
"""
from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from adoption import adkar, comms_link, guide, incentives, readmodel
from adoption.models import BadgeRule, PulseAnswer, PulseSurvey
from adoption.surveys import QUESTION
from adoption.usage import crm_type, mark_dirty
from courses import api as courses_api
from lms.extensions import db
from lms.people.models import Person
from lms.types import utcnow
from tracking import api as tracking_api

DAYS = 28


def _usage(person: Person, day, rng: random.Random) -> list[dict]:
    moment = datetime.combine(day, time(8 + rng.randrange(9), rng.randrange(60)), tzinfo=UTC)
    found = []
    for statement in guide.examples(crm_type(), employee_id=person.employee_id, when=moment)[:1 + rng.randrange(3)]:
        statement["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        found.append(statement)
    return found


def seed(people: dict) -> None:
    rng = random.Random(11)  # noqa: S311 (a demo story, not a secret)
    today = utcnow().date()
    login = {email.split("@")[0]: person for email, person in people.items()}
    teams = {key: list(db.session.scalars(select(Person).where(Person.manager_id == login[key].id)
                                          .order_by(Person.id)))
             for key in ("sales.manager", "service.manager", "marketing.manager") if key in login}
    everyone = [p for team in teams.values() for p in team]
    readmodel.refresh([p.id for p in everyone])  # who is trained already (courses' demo)
    states = {p.id: readmodel.state_of(p.id) for p in everyone}
    statements = []
    for key, team in teams.items():
        for person in team:
            if not person.employee_id:
                continue
            trained = states[person.id].trained_on is not None
            for back in range(DAYS, 0, -1):
                day = today - timedelta(days=back - 1)
                if day.weekday() >= 5:
                    continue
                if key == "service.manager":
                    using = trained and back > 14 and rng.random() < 0.8  # stopped two weeks ago
                elif key == "sales.manager":
                    using = rng.random() < 0.75
                else:
                    using = rng.random() < 0.3
                if using:
                    statements += _usage(person, day, rng)
    tracking_api.record_statements(statements)
    survey = PulseSurvey(question=QUESTION, recipients=len(everyone), sent_at=utcnow() - timedelta(days=10))
    db.session.add(survey)
    db.session.flush()
    # The team that is most aware of the rollout (comms' demo announcement) but does not want it: barrier Desire.
    aware = comms_link.awareness([p.id for p in everyone])

    def awareness(team):
        scores = [adkar.band(o / r) if r else 1 for r, o in (aware.get(p.id, (0, None)) for p in team)
                  if o is not None]
        return sum(scores) / len(scores) if scores else 0

    unwilling = max((k for k in teams if k != "service.manager"), key=lambda k: awareness(teams[k]),
                    default="sales.manager")
    for key, team in teams.items():
        for person in team:
            if rng.random() < 0.85:
                answer = rng.choice((1, 2, 2, 3)) if key == unwilling else rng.choice((4, 4, 5))
                db.session.add(PulseAnswer(survey_id=survey.id, person_id=person.id, answer=answer))
    completed: dict[int, int] = {}
    for assigned in courses_api.assigned_paths([p.id for p in everyone]).values():
        for path in assigned:
            if path.status == "completed":
                completed[path.path_id] = completed.get(path.path_id, 0) + 1
    titles = {p.id: p.title for p in courses_api.catalogue().paths}
    if completed:  # the path most people have completed: its badge is awarded in the demo
        path_id = max(completed, key=completed.get)
        incentives.save_rule(incentives.RuleInfo("Path finisher", f"Completed the {titles[path_id]} path.", "path",
                                                 path_id=path_id, colour="#8250df"))
    incentives.save_rule(incentives.RuleInfo("CRM habit", "Used the CRM in two different weeks after training.",
                                             "crm_weeks", weeks=2, colour="#1a7f37"))
    db.session.flush()
    # The statements are derived when this transaction commits; the read model and badges follow, as the worker
    # would do them, just after (see lms.demo: the worker, or `flask lms adoption refresh`).
    mark_dirty([p.id for p in everyone])


def finish() -> int:
    """Bring the demo's read model up to date and award its badges (the worker does the same)."""
    readmodel.bring_up_to_date()
    awarded = incentives.award_due()
    db.session.commit()
    return awarded


__all__ = ["seed", "finish", "BadgeRule"]
