"""What composing needs from the database: the layout, the recipients' facts and due courses, who left which
category; and queueing composed mail on the host's one mail path."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import aliased

from comms.compose import Composer, DueLine, Layout, Message, Recipient, Url
from comms.links import MailLinks
from comms.models import LEAVABLE, OptOut
from comms.models import Layout as LayoutRow
from courses import api as courses_api
from lms.extensions import db
from lms.mail.services import SENDER_NAME, queue_mail, suppressed
from lms.people.models import Department, JobRole, Person


def base_url() -> str:
    return current_app.config["LMS_BASE_URL"].rstrip("/")


def tracking_people() -> bool:
    """Per-person tracking (opens and clicks per delivery, xAPI statements) is on, unless switched off."""
    return bool(current_app.config.get("LMS_COMMS_TRACK_PEOPLE", True))


def layout() -> Layout:
    row = db.session.get(LayoutRow, 1)
    if row is None:
        return Layout(company_name=current_app.config.get("LMS_SITE_NAME", "Rapport"))
    logo = row.logo_url
    if logo.startswith("/"):
        logo = base_url() + logo
    return Layout(row.company_name, row.colour, logo, row.footer)


def composer(message: Message) -> Composer:
    """The composer for this message in today's layout; a campaign's batches share one (compiling the templates and
    rendering the body's Markdown once, not once per batch). Keyed by everything it is made of, so an edited
    layout or message gets a new one."""
    key = (message, layout(), base_url(), current_app.config.get("LMS_SITE_NAME", "Rapport"))
    made: dict[tuple, Composer] = current_app.extensions.setdefault("comms_composers", {})
    found = made.get(key)
    if found is None:
        if len(made) >= 32:
            made.clear()
        found = made[key] = Composer(message, key[1], base_url=key[2], site_name=key[3])
    return found


def recipients(person_ids: Iterable[int], *, with_due: bool = True) -> dict[int, Recipient]:
    """The facts personalisation uses, for each of these people (inactive ones included: callers skip them)."""
    ids = list(dict.fromkeys(person_ids))
    manager = aliased(Person)
    found: dict[int, Recipient] = {}
    due = courses_api.due_items(ids) if with_due and ids else {}
    base = base_url()
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        rows = db.session.execute(
            select(Person.id, Person.email, Person.name, JobRole.name, Department.name, manager.name)
            .outerjoin(JobRole, JobRole.id == Person.job_role_id)
            .outerjoin(Department, Department.id == Person.department_id)
            .outerjoin(manager, manager.id == Person.manager_id)
            .where(Person.id.in_(chunk)))
        for person_id, email, name, role, department, manager_name in rows:
            lines = tuple(DueLine(d.title, d.due_date, d.overdue, Url(base + d.path)) for d in due.get(person_id, ()))
            found[person_id] = Recipient(person_id, email or "", name or "", role or "", department or "",
                                         manager_name or "", lines)
    return found


def sample_recipient(person: Person | None) -> Recipient:
    """Who a preview is personalised for: the person looking at it (with their own due courses)."""
    if person is not None:
        found = recipients([person.id])
        if person.id in found:
            return found[person.id]
    return Recipient(None, "someone@example.com", "Alex Example", "Sales rep", "Sales", "Sam Manager")


def opted_out(person_ids: Iterable[int], category: str) -> set[int]:
    if category not in LEAVABLE:
        return set()
    ids = list(person_ids)
    found: set[int] = set()
    for start in range(0, len(ids), 2000):
        found |= set(db.session.scalars(select(OptOut.person_id).where(
            OptOut.category == category, OptOut.person_id.in_(ids[start:start + 2000]))))
    return found


def links_for(mail_id: int, person_id: int | None, category: str) -> MailLinks:
    return MailLinks(mail_id, person_id, category, base_url=base_url(), track=tracking_people(),
                     leavable=category in LEAVABLE)


def sendable(person_ids: Iterable[int], category: str) -> list[Person]:
    """These people, less those never sent to: inactive, without a usable address, bounced, or who left the
    category."""
    ids = list(dict.fromkeys(person_ids))
    people = []
    for start in range(0, len(ids), 2000):
        people += db.session.scalars(select(Person).where(Person.id.in_(ids[start:start + 2000]),
                                                          Person.active.is_(True)))
    people = [p for p in people if p.email and "@" in p.email]
    blocked = suppressed(p.email for p in people)
    left = opted_out([p.id for p in people], category)
    return sorted((p for p in people if p.email.lower() not in blocked and p.id not in left), key=lambda p: p.id)


def queue_composed(people: list[Person], message: Message, *, source: str, source_id: int | None = None,
                   extra: Mapping[int, Mapping[str, str]] | None = None, subject_prefix: str = "") -> int:
    """Compose each person's mail now and queue it with its bodies (flush only). Raises TemplateProblem before
    anything is queued when the message cannot be personalised for someone."""
    compose = composer(message)
    facts = recipients([p.id for p in people])
    extra = extra or {}
    for person in people:  # every mail personalises and renders, or none is queued
        compose.check(facts[person.id], extra.get(person.id) or {})
    for person in people:
        mail = queue_mail(person.email, "", "", None, person_id=person.id, category=message.category, source=source,
                          source_id=source_id)
        rendered = compose.render(facts[person.id], links=links_for(mail.id, person.id, message.category),
                                  extra=extra.get(person.id))
        mail.subject = (subject_prefix + rendered.subject)[:300]
        mail.text_body, mail.html_body = rendered.text, rendered.html
        headers = dict(rendered.headers)
        if rendered.sender_name:
            headers[SENDER_NAME] = rendered.sender_name
        mail.headers = headers or None
    db.session.flush()
    return len(people)
