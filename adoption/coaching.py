"""Stewardship: coaching notes (read only by their manager and the person they are about), one-click nudges and
the weekly coaching digest to each manager, all mail through comms."""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from adoption import comms_link, report
from adoption.models import CoachingNote, DigestOptOut, DigestSent
from adoption.readmodel import settings
from courses import api as courses_api
from lms.errors import DomainError, Forbidden, NotFound
from lms.extensions import db
from lms.people.models import Person, PersonPermission
from lms.permissions import Permission
from lms.types import utcnow

MAX_NOTE = 4000


class NotYourPerson(Forbidden):
    pass


def report_of(manager: Person, person_id: int) -> Person:
    """One of ``manager``'s direct reports; anyone else is refused."""
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound("No such person.")
    if person.manager_id != manager.id:
        raise NotYourPerson("Only their own manager coaches a person here.")
    return person


def add_note(manager: Person, person_id: int, text: str) -> CoachingNote:
    person = report_of(manager, person_id)
    text = text.strip()
    if not text:
        raise DomainError("Write the note first.")
    if len(text) > MAX_NOTE:
        raise DomainError(f"A note has at most {MAX_NOTE} characters.")
    note = CoachingNote(manager_id=manager.id, person_id=person.id, text=text)
    db.session.add(note)
    db.session.flush()
    return note


def notes_for(viewer: Person, person_id: int) -> list[CoachingNote]:
    """The notes about ``person_id`` that ``viewer`` may read: those they wrote as the person's manager, or, when
    ``viewer`` is that person, all notes about them. Nobody else reads any (whatever their permissions)."""
    query = select(CoachingNote).where(CoachingNote.person_id == person_id).order_by(CoachingNote.created_at.desc())
    if viewer.id != person_id:
        query = query.where(CoachingNote.manager_id == viewer.id)
    return list(db.session.scalars(query))


def delete_note(viewer: Person, note_id: int) -> None:
    note = db.session.get(CoachingNote, note_id)
    if note is None or note.manager_id != viewer.id:
        raise NotFound("No such note.")
    db.session.delete(note)


NUDGE_SUBJECT = "A nudge from {manager}: your CRM training"
NUDGE_BODY = """Hello {{ first_name }},

{manager} asked me to remind you about your CRM training and to start using the CRM day to day.

{{ due }}

Open your learning: {{ my_learning_url }}
"""


def nudge(manager: Person, person_id: int) -> int:
    """Mail one of the manager's people a reminder (their due training and a link), through comms."""
    person = report_of(manager, person_id)
    return comms_link.send([person.id], subject=NUDGE_SUBJECT.format(manager=manager.name),
                           body_markdown=NUDGE_BODY.replace("{manager}", manager.name), category="reminder",
                           source="adoption-nudge", sender_name=manager.name)


def _week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_markdown(manager: Person, today: date) -> str:
    team = [p.id for p in db.session.scalars(select(Person).where(Person.manager_id == manager.id,
                                                                 Person.active.is_(True)))]
    rows, total = report.adoption_rows("team", today, manager_id=manager.id)
    idle = report.trained_not_using(today, manager_id=manager.id, most=10)
    overdue = sorted({d.person_id for items in courses_api.due_items(team, today, with_undated=False).values()
                      for d in items if d.overdue})
    names = {p.id: p.name for p in db.session.scalars(select(Person).where(Person.id.in_(overdue)))}
    teams = report.readiness_by_team(manager_id=manager.id)
    lines = [f"Your team this week ({today:%d %B %Y}):", "",
             f"- Active in the CRM in the last 7 days: {total.active_7} of {total.required}",
             f"- Trained: {total.trained} of {total.required}"]
    if teams and teams[0].barrier:
        from adoption.adkar import LABELS

        lines.append(f"- Readiness barrier: **{LABELS[teams[0].barrier]}**. Suggested: {teams[0].action}")
    if idle:
        lines += ["", "Trained but not using the CRM:"] + [f"- {p.name}" for p in idle]
    if overdue:
        lines += ["", "Overdue training:"] + [f"- {names[i]}" for i in overdue if i in names]
    base = current_app.config["LMS_BASE_URL"].rstrip("/")
    lines += ["", f"Your stewardship page: {base}/adoption/team"]
    return "\n".join(lines)


def managers() -> list[Person]:
    with_team = select(Person.manager_id).where(Person.active.is_(True), Person.manager_id.is_not(None))
    return list(db.session.scalars(
        select(Person).join(PersonPermission, PersonPermission.person_id == Person.id)
        .where(PersonPermission.permission == Permission.MANAGER.value, Person.active.is_(True),
               Person.id.in_(with_team)).order_by(Person.id)))


def send_digests(today: date | None = None) -> str | None:
    """The worker's step: each manager's weekly coaching digest, at most once per ISO week (switchable by the
    program office for everyone, and by each manager for themselves)."""
    today = today or utcnow().date()
    if not settings().digest_on or "comms" not in current_app.extensions["lms"].enabled:
        return None
    week = _week(today)
    sent_already = set(db.session.scalars(select(DigestSent.manager_id).where(DigestSent.week == week)))
    opted_out = set(db.session.scalars(select(DigestOptOut.manager_id)))
    sent = 0
    for manager in managers():
        if manager.id in sent_already or manager.id in opted_out:
            continue
        db.session.add(DigestSent(manager_id=manager.id, week=week))
        try:
            comms_link.send([manager.id], subject=f"Your team's CRM adoption, week {week[-2:]}",
                            body_markdown=digest_markdown(manager, today), category="coaching",
                            source="adoption-digest")
        except comms_link.MailUnavailable:
            return None
        sent += 1
    db.session.commit()
    return f"sent {sent} coaching digest(s)" if sent else None


def set_digest(manager: Person, wanted: bool) -> None:
    row = db.session.get(DigestOptOut, manager.id)
    if wanted and row is not None:
        db.session.delete(row)
    elif not wanted and row is None:
        db.session.add(DigestOptOut(manager_id=manager.id))
