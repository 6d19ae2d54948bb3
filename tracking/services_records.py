"""The admin's view of the statement log: newest first, filtered by person, verb and activity, page by page.

It runs on the same key index as the LRS's own queries (:mod:`tracking.services_query`), so a filter over millions
of statements costs a walk of about one page of index entries; voided statements are shown too (marked).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace

from sqlalchemy import func, or_, select

from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import Person
from tracking import services_derive as derived
from tracking import services_query as queries
from tracking.models import Progress
from tracking.receivers import site
from tracking.statements import ACTOR_KINDS, ADL_VERB, Learner, agent
from tracking.validation import InvalidStatement
from tracking.xapi_data import hash_key, ifi

PAGE = 50


@dataclass(frozen=True)
class RecordsFilter:
    person: str = ""  # email or employee id of a person, or any email
    verb: str = ""  # an ADL verb's name ("completed") or a verb IRI
    activity: str = ""  # an activity IRI: its statements and those of activities inside it


def person_agents(text: str) -> list[dict]:
    """The Agents that are the person with this email or employee id: the one Rapport records first, then the
    others statements from outside may use (their mailbox, Rapport's account for them); any other email as an
    mbox."""
    text = text.strip()
    person = db.session.scalar(select(Person).where(or_(func.lower(Person.email) == text.lower(),
                                                        Person.employee_id == text)))
    if person is not None:
        own, who = site(), Learner(person.id, person.name, person.email, person.employee_id)
        # As statements.agent writes them: the configured kind first, then the others, and the /people account
        # Rapport uses for someone without an employee id (who may have been given one since).
        forms = [(own, who)] + [(replace(own, actor=kind), who) for kind in ACTOR_KINDS if kind != own.actor]
        forms.append((replace(own, actor="account"), replace(who, employee_id=None)))
        agents = [json.loads(agent(place, someone).to_json()) for place, someone in forms]
        return [a for n, a in enumerate(agents) if ifi(a) not in {ifi(b) for b in agents[:n]}]
    if "@" in text:
        return [{"mbox": f"mailto:{text}"}]
    raise DomainError(f"Nobody has the email or employee id {text!r}.", field="person")


def person_progress(text: str, most: int = 100) -> list[Progress]:
    """A person's progress rows (any of their identifiers), latest first, with their source."""
    keys = [ifi(a) for a in person_agents(text)]
    return list(db.session.scalars(select(Progress).where(Progress.agent_key.in_([k for k in keys if k]))
                                   .order_by(Progress.last_at.desc()).limit(most)))


def records_page(criteria: RecordsFilter, older: str | None = None) -> tuple[list, str | None]:
    """One page of statements matching ``criteria`` and the token of the next (older) page, if any. ``older``
    continues a page of the same filter; a token of another filter is refused (:class:`DomainError`)."""
    params = {"limit": str(PAGE)}
    agents = person_agents(criteria.person) if criteria.person else []
    if agents:
        params["agent"] = json.dumps(agents[0])
    if criteria.verb:
        verb = criteria.verb.strip()
        params["verb"] = verb if ":" in verb else ADL_VERB + verb
    if criteria.activity:
        params.update(activity=criteria.activity.strip(), related_activities="true")
    try:
        query = queries.parse_query(params)
        if older:
            query = queries.decode_more(older)
            if query.params != params:
                raise DomainError("That page belongs to another filter; filter again.")
    except InvalidStatement as error:  # a verb or activity that is not an IRI
        field = "verb" if "verb" in error.message else "activity" if "activity" in error.message else None
        raise DomainError(error.message.split(": ", 1)[-1], field=field) from None
    query.include_voided = True
    if len(agents) > 1:  # any of the person's identifiers
        own = hash_key("a", ifi(agents[0]))
        query.keys = [tuple(hash_key("a", ifi(a)) for a in agents) if key == own else key for key in query.keys]
    derived.catch_up()  # statements still pending get their keys first
    return queries.run_query(query)
