"""Automatic messages: what to mail whom today, merged into at most one mail per person per day, never the same
item twice.

An *item* is one thing a mail carries for one person: a welcome (``welcome``, from the ``people_joined`` signal;
held for an invited person until they have used the invitation's link, so a new hire's first mail is that one), a
completed path (``congrats``, from ``path_completed``), a course due within the reminder's N days (``reminder``,
once per enrolment and due date), a course past its due date (``overdue``, once per enrolment and due date), and a
manager's daily digest of their reports' overdue courses (``digest``, once per day). :func:`tick` finds today's
items of the kinds switched on, leaves out those in the ledger, claims (person, day) rows and ledger rows with
INSERT ... ON CONFLICT DO NOTHING (so two workers racing on PostgreSQL each get a disjoint share and nobody gets two
mails), composes one mail per person with the sections of their items in a fixed order, and queues it on the one
mail path. Items a person could not get today (they had their mail) wait for tomorrow's.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from markupsafe import Markup
from sqlalchemy import delete, func, select, tuple_

from comms.automatic_settings import EXTRAS, ORDER, markdown, settings
from comms.compose import Message, TemplateProblem, Url, _md_escape
from comms.mailing import base_url, queue_composed, sendable
from comms.models_lifecycle import AutoDay, AutoEvent, AutoLedger, AutoTick
from courses import api as courses_api
from lms.auth.invitations import awaiting_password
from lms.extensions import db
from lms.mail.models import OutgoingMail
from lms.people.models import Person
from lms.types import utcnow

SOURCE = "automatic"
EVENT_DAYS = 14  # a welcome or congratulations not sent within this many days is dropped
_CHUNK = 500


@dataclass(frozen=True)
class Item:
    person_id: int
    kind: str
    key: str
    data: tuple  # what the section lists (see _extras)


@dataclass
class TickReport:
    mails: int = 0
    items: int = 0
    waiting: int = 0  # items for people who had their automatic mail today already
    held: int = 0  # welcomes of invited people who have not set their password yet (the invitation came first)
    problems: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.mails or self.problems)

    def __str__(self) -> str:
        text = f"{self.mails} automatic mail(s) with {self.items} item(s)"
        if self.waiting:
            text += f", {self.waiting} waiting for tomorrow"
        if self.held:
            text += f", {self.held} welcome(s) waiting for an invitation to be used"
        return text + "".join(f"; {p}" for p in self.problems)


def _insert(model):
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def _when(day: date | None) -> str:
    return day.strftime("%d %b %Y") if day else ""


def _items(today: date, enabled: dict) -> list[Item]:
    found: list[Item] = []
    kinds = [k for k in ("welcome", "congrats") if k in enabled]
    if kinds:
        for event in db.session.scalars(select(AutoEvent).where(AutoEvent.kind.in_(kinds)).order_by(AutoEvent.id)):
            found.append(Item(event.person_id, event.kind, event.key, tuple(sorted((event.detail or {}).items()))))
    if "reminder" in enabled:
        days = enabled["reminder"].days
        for due in courses_api.due_between(today, today + timedelta(days=days)):
            found.append(Item(due.person_id, "reminder", f"enrolment:{due.enrolment_id}:{due.due_date}",
                              (due.title, due.due_date, due.path)))
    overdue = courses_api.overdue_on(today) if {"overdue", "digest"} & set(enabled) else []
    if "overdue" in enabled:
        for due in overdue:
            found.append(Item(due.person_id, "overdue", f"enrolment:{due.enrolment_id}:{due.due_date}",
                              (due.title, due.due_date, due.path)))
    if "digest" in enabled and overdue:
        late = sorted({d.person_id for d in overdue})
        people = {}
        for start in range(0, len(late), _CHUNK):
            for pid, name, manager_id in db.session.execute(select(Person.id, Person.name, Person.manager_id).where(
                    Person.id.in_(late[start:start + _CHUNK]), Person.active.is_(True),
                    Person.manager_id.is_not(None))):
                people[pid] = (name, manager_id)
        teams: dict[int, list] = defaultdict(list)
        for due in overdue:
            if due.person_id in people:
                name, manager_id = people[due.person_id]
                teams[manager_id].append((name, due.title, due.due_date))
        for manager_id, rows in teams.items():
            found.append(Item(manager_id, "digest", f"day:{today.isoformat()}", tuple(sorted(rows))))
    return found


def _new(items: list[Item], today: date) -> tuple[list[Item], list[Item]]:
    """(items not in the ledger, those of them for people who had their automatic mail today already)."""
    people = sorted({i.person_id for i in items})
    sent, mailed_today = set(), set()
    for start in range(0, len(people), _CHUNK):
        chunk = people[start:start + _CHUNK]
        sent |= {tuple(row) for row in db.session.execute(
            select(AutoLedger.person_id, AutoLedger.kind, AutoLedger.key).where(AutoLedger.person_id.in_(chunk)))}
        mailed_today |= set(db.session.scalars(select(AutoDay.person_id).where(AutoDay.person_id.in_(chunk),
                                                                               AutoDay.day == today)))
    fresh = [i for i in items if (i.person_id, i.kind, i.key) not in sent]
    return fresh, [i for i in fresh if i.person_id in mailed_today]


def _claim_days(person_ids: list[int], today: date) -> set[int]:
    claimed: set[int] = set()
    for start in range(0, len(person_ids), _CHUNK):
        rows = [{"person_id": pid, "day": today, "kinds": ""} for pid in person_ids[start:start + _CHUNK]]
        claimed |= set(db.session.scalars(_insert(AutoDay).values(rows).on_conflict_do_nothing()
                                          .returning(AutoDay.person_id)))
    return claimed


def _claim_items(items: list[Item], today: date) -> set[tuple[int, str, str]]:
    claimed: set[tuple[int, str, str]] = set()
    unique = list(dict.fromkeys((i.person_id, i.kind, i.key) for i in items))
    now = utcnow()
    for start in range(0, len(unique), _CHUNK):
        rows = [{"person_id": p, "kind": k, "key": key, "day": today, "created_at": now}
                for p, k, key in unique[start:start + _CHUNK]]
        claimed |= {tuple(row) for row in db.session.execute(
            _insert(AutoLedger).values(rows).on_conflict_do_nothing()
            .returning(AutoLedger.person_id, AutoLedger.kind, AutoLedger.key))}
    return claimed


def _list(lines: list[str]) -> Markup:
    return markdown("\n".join(lines))


def _extras(kinds_items: dict[str, list[Item]], days: int) -> dict[str, str]:
    base = base_url()
    extra = dict.fromkeys(EXTRAS, "")
    extra["days"] = str(days)
    extra["team_url"] = Url(base + current_app.url_map.bind("localhost").build("courses.team", {}))
    if "welcome" in kinds_items:
        pid = kinds_items["welcome"][0].person_id
        lines = []
        for path in courses_api.assigned_paths([pid]).get(pid, []):
            due = f", due {_when(path.due_date)}" if path.due_date else ""
            courses = ", ".join(_md_escape(t) for t in path.course_titles)
            lines.append(f"- **{_md_escape(path.title)}**{due}" + (f": {courses}" if courses else ""))
        extra["paths"] = _list(lines or ["- Your learning paths will appear on My learning as soon as they are "
                                         "assigned."])
    if "congrats" in kinds_items:
        titles = [dict(i.data).get("path_title", "a learning path") for i in kinds_items["congrats"]]
        extra["completed"] = _list([f"- **{_md_escape(t)}**" for t in titles])
        extra["path_title"] = titles[0]
    for kind, name, verb in (("reminder", "due_soon", "due"), ("overdue", "overdue", "was due")):
        if kind in kinds_items:
            extra[name] = _list([f"- [{_md_escape(title)}]({base}{path}), {verb} {_when(due)}"
                                 for title, due, path in (i.data for i in kinds_items[kind])])
    if "digest" in kinds_items:
        by_person: dict[str, list[str]] = defaultdict(list)
        for name, title, due in kinds_items["digest"][0].data:
            by_person[name].append(f"{_md_escape(title)} (due {_when(due)})")
        extra["team_overdue"] = _list([f"- **{_md_escape(n)}**: " + ", ".join(c) for n, c in sorted(by_person.items())])
    return extra


def tick(today: date | None = None) -> TickReport:
    """Send today's automatic messages (flushes; the caller commits). ``today`` defaults to the UTC date."""
    today = today or utcnow().date()
    report = TickReport()
    current = settings()
    enabled = {kind: s for kind, s in current.items() if s.enabled}
    stale = utcnow() - timedelta(days=EVENT_DAYS)
    db.session.execute(delete(AutoEvent).where(
        AutoEvent.kind.not_in([k for k in ("welcome", "congrats") if k in enabled]) | (AutoEvent.created_at < stale)))
    if not enabled:
        return report
    fresh, waiting = _new(_items(today, enabled), today)
    # An invited new hire's first mail is the invitation (lms.auth.invitations, its link rendered when it is sent
    # and never tracked); the welcome, with the links that need a signed-in person, waits until the link is used.
    invited = awaiting_password([i.person_id for i in fresh if i.kind == "welcome"])
    held = {(i.person_id, i.kind, i.key) for i in fresh if i.kind == "welcome" and i.person_id in invited}
    fresh = [i for i in fresh if (i.person_id, i.kind, i.key) not in held]
    waiting = [i for i in waiting if (i.person_id, i.kind, i.key) not in held]
    report.waiting, report.held = len(waiting), len(held)
    wanted = sorted({i.person_id for i in fresh} - {i.person_id for i in waiting})
    people = {p.id: p for p in sendable(wanted, "reminder")}
    claimed_people = _claim_days(sorted(people), today)
    claimed = _claim_items([i for i in fresh if i.person_id in claimed_people], today)
    by_person: dict[int, dict[str, list[Item]]] = defaultdict(lambda: defaultdict(list))
    for item in fresh:
        if (item.person_id, item.kind, item.key) in claimed:
            by_person[item.person_id][item.kind].append(item)
    empty = claimed_people - set(by_person)
    if empty:
        db.session.execute(delete(AutoDay).where(AutoDay.day == today, AutoDay.person_id.in_(sorted(empty))))
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for pid, kinds in by_person.items():
        groups[tuple(k for k in ORDER if k in kinds)].append(pid)
    for kinds, pids in groups.items():
        sections = [current[k] for k in kinds]
        subject = sections[0].subject + (f" (and {len(kinds) - 1} more update{'s' if len(kinds) > 2 else ''})"
                                         if len(kinds) > 1 else "")
        body = "\n\n---\n\n".join(s.body for s in sections)
        message = Message(subject, body, "reminder", None, frozenset(EXTRAS))
        extra = {pid: _extras(by_person[pid], current["reminder"].days) for pid in pids}
        try:
            with db.session.begin_nested():
                queue_composed([people[p] for p in sorted(pids)], message, source=SOURCE, extra=extra)
        except TemplateProblem as problem:  # saved templates are checked; this is a last line of defence
            report.problems.append(f"{'+'.join(kinds)}: {problem.message}")
            current_app.logger.error("automatic messages %s not sent: %s", kinds, problem.message)
            db.session.execute(delete(AutoDay).where(AutoDay.day == today, AutoDay.person_id.in_(pids)))
            db.session.execute(delete(AutoLedger).where(AutoLedger.day == today, AutoLedger.person_id.in_(pids),
                                                        AutoLedger.kind.in_(kinds)))
            continue
        for start in range(0, len(pids), _CHUNK):
            chunk = sorted(pids)[start:start + _CHUNK]
            mails = {pid: mail_id for pid, mail_id in db.session.execute(
                select(OutgoingMail.person_id, func.max(OutgoingMail.id)).where(
                    OutgoingMail.source == SOURCE, OutgoingMail.person_id.in_(chunk)).group_by(OutgoingMail.person_id))}
            for row in db.session.scalars(select(AutoDay).where(AutoDay.day == today, AutoDay.person_id.in_(chunk))):
                row.mail_id, row.kinds = mails.get(row.person_id), ",".join(kinds)
        report.mails += len(pids)
        report.items += sum(len(v) for pid in pids for v in by_person[pid].values())
    sent_events = [(p, k, key) for p, k, key in claimed if k in ("welcome", "congrats")]
    for start in range(0, len(sent_events), _CHUNK):
        db.session.execute(delete(AutoEvent).where(tuple_(AutoEvent.person_id, AutoEvent.kind, AutoEvent.key)
                                                   .in_(sent_events[start:start + _CHUNK])))
    db.session.flush()
    return report


def tick_due() -> TickReport | None:
    """The worker's step: run :func:`tick` when it last ran ``LMS_COMMS_AUTOMATIC_EVERY`` seconds ago or more
    (default 600), and commit."""
    every = float(current_app.config.get("LMS_COMMS_AUTOMATIC_EVERY", 600))
    now = utcnow()
    state = db.session.get(AutoTick, 1)
    if state is not None and state.last_run_at and state.last_run_at > now - timedelta(seconds=every):
        return None
    if state is None:
        db.session.execute(_insert(AutoTick).values(id=1, last_run_at=now).on_conflict_do_nothing())
    else:
        state.last_run_at = now
    report = tick()
    db.session.commit()
    return report or None


def last_run() -> datetime | None:
    state = db.session.get(AutoTick, 1)
    return state.last_run_at if state else None
