"""CRM usage as daily counts per person and kind, from the CRM's xAPI statements and from CSV imports.

A statement is CRM usage when its object is an Activity whose definition type is ``LMS_CRM_ACTIVITY_TYPE``
(default ``urn:rapport:crm-record``). Its kind is the verb's last word ("logged-in"), followed for anything but
logging in or out by the record type (the activity's name, else the last part of its id): "created:opportunity".
The person is found by the actor's account name (their employee id) or mbox (their email).

A day's count for a kind is the larger of what the statements and what a CSV said: the same use reported both
ways is counted once. A voided statement is taken out again (the counted statements are remembered by id, the
statement log is never scanned).
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import delete, func, select

from adoption import weeks
from adoption.bulk import chunks, upsert
from adoption.models import UnknownActor, UsageDay, UsageStatement
from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import Person
from lms.signals import ActivityStatement
from lms.types import utcnow

DEFAULT_TYPE = "urn:rapport:crm-record"
SESSION_VERBS = {"logged-in", "logged-out"}
# Verb ids' last words as past tense, so Activity Streams' "create" and ADL's "created" are one kind.
PAST = {"create": "created", "update": "updated", "delete": "deleted", "view": "viewed", "close": "closed",
        "login": "logged-in", "logout": "logged-out", "log-in": "logged-in", "log-out": "logged-out"}
MAX_COUNT = 100_000


def crm_type() -> str:
    return current_app.config.get("LMS_CRM_ACTIVITY_TYPE") or DEFAULT_TYPE


def _word(iri: str) -> str:
    return iri.rstrip("/").replace("#", "/").rsplit("/", 1)[-1].lower()[:40]


def kind_of(fact: ActivityStatement) -> str:
    """The kind of use a statement reports: "logged-in", "created:opportunity", ..."""
    verb = _word(fact.verb_id)
    verb = PAST.get(verb, verb)
    if verb in SESSION_VERBS:
        return verb
    record = (fact.activity_name or _word(fact.activity_id)).strip().lower().replace(" ", "-")[:38]
    return f"{verb}:{record}"


def upsert_counts(deltas: dict[tuple[int, date, str], int], *, column: str, replace: bool = False) -> None:
    """Add ``deltas`` to (or with ``replace``, set) the ``column`` count of each (person, day, kind), one statement
    per chunk, and keep the weekly rows and the queue of people to refresh in step."""
    if not deltas:
        return
    keys = sorted(deltas)
    other = "from_csv" if column == "from_statements" else "from_statements"
    value = f"excluded.{column}" if replace else f"adoption_usage_day.{column} + excluded.{column}"
    for start in range(0, len(keys), 1000):
        upsert("adoption_usage_day", ("person_id", "day", "kind", column, other),
               [(p, d, k, deltas[(p, d, k)], 0) for p, d, k in keys[start:start + 1000]],
               pg_types=("integer", "date", "text", "integer", "integer"), conflict=("person_id", "day", "kind"),
               update=f"{column} = {value}")
    # A count that went up means use that day; one that went down or was set to 0 may leave none: recount those.
    weeks.used({(p, d) for (p, d, _k), n in deltas.items() if n > 0})
    weeks.recount({(p, d) for (p, d, _k), n in deltas.items() if n <= 0})
    mark_dirty({p for p, _d, _k in deltas})


def mark_dirty(person_ids) -> None:
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), 1000):
        upsert("adoption_dirty", ("person_id",), [(i,) for i in ids[start:start + 1000]], pg_types=("integer",))


def _people_for(facts: list[ActivityStatement]) -> dict[str, int]:
    """Actor keys ("account:<name>", "mbox:<email>") -> person id."""
    names = {f.account[1] for f in facts if f.account and f.account[1]}
    emails = {f.mbox.removeprefix("mailto:").lower() for f in facts if f.mbox}
    found: dict[str, int] = {}
    for chunk in chunks(sorted(names)):
        for pid, employee_id in db.session.execute(select(Person.id, Person.employee_id)
                                                   .where(Person.employee_id.in_(chunk))):
            found[f"account:{employee_id}"] = pid
    for chunk in chunks(sorted(emails)):
        for pid, email in db.session.execute(select(Person.id, func.lower(Person.email))
                                             .where(func.lower(Person.email).in_(chunk))):
            found[f"mbox:{email}"] = pid
    return found


def _actor(fact: ActivityStatement, people: dict[str, int]) -> tuple[int | None, str]:
    keys = []
    if fact.account and fact.account[1]:
        keys.append(f"account:{fact.account[1]}")
    if fact.mbox:
        keys.append(f"mbox:{fact.mbox.removeprefix('mailto:').lower()}")
    for key in keys:
        if key in people:
            return people[key], key
    return None, keys[0] if keys else "unknown"


def count_statements(facts: list[ActivityStatement], voided_ids: list[str]) -> int:
    """Turn a derived chunk's CRM usage statements into daily counts, and take voided ones out; returns how many
    statements were counted."""
    wanted = crm_type()
    usage = [f for f in facts if f.activity_type == wanted and not f.voided]
    deltas: dict[tuple[int, date, str], int] = defaultdict(int)
    counted = 0
    if usage:
        people = _people_for(usage)
        seen = set()
        for chunk in chunks([f.statement_id.lower() for f in usage]):
            seen |= set(db.session.scalars(select(UsageStatement.statement_id)
                                           .where(UsageStatement.statement_id.in_(chunk))))
        rows, unknown = [], defaultdict(int)
        for fact in usage:
            statement_id = fact.statement_id.lower()  # as the LRS stores it, and as voiding names it
            if statement_id in seen:
                continue
            seen.add(statement_id)
            person_id, actor = _actor(fact, people)
            if person_id is None:
                unknown[actor[:300]] += 1
                continue
            day, kind = fact.timestamp.date(), kind_of(fact)
            rows.append((statement_id, person_id, day, kind))
            deltas[(person_id, day, kind)] += 1
        for chunk in chunks(rows, 1000):
            upsert("adoption_usage_statement", ("statement_id", "person_id", "day", "kind"), chunk,
                   pg_types=("text", "integer", "date", "text"))
        counted = len(rows)
        _note_unknown(unknown)
    if voided_ids:
        for chunk in chunks(sorted({v.lower() for v in voided_ids})):
            gone = db.session.execute(select(UsageStatement.person_id, UsageStatement.day, UsageStatement.kind)
                                      .where(UsageStatement.statement_id.in_(chunk))).all()
            for person_id, day, kind in gone:
                deltas[(person_id, day, kind)] -= 1
            if gone:
                db.session.execute(delete(UsageStatement).where(UsageStatement.statement_id.in_(chunk)))
    upsert_counts({key: n for key, n in deltas.items() if n}, column="from_statements")
    return counted


def _note_unknown(unknown: dict[str, int]) -> None:
    for actor, count in unknown.items():
        row = db.session.get(UnknownActor, actor)
        if row is None:
            db.session.add(UnknownActor(actor=actor, statements=count, last_at=utcnow()))
        else:
            row.statements += count
            row.last_at = utcnow()


# --- CSV import -----------------------------------------------------------------------------------------------

CSV_COLUMNS = ("person", "date", "kind", "count")


@dataclass(frozen=True)
class CsvProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class UsageCsvError(DomainError):
    """The CSV has problems; nothing was written. ``problems`` lists each with its line number."""

    def __init__(self, problems: list[CsvProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the CSV; nothing was imported: "
                         + "; ".join(str(p) for p in problems[:5]))


def import_csv(data: bytes, *, today: date | None = None) -> int:
    """Import daily usage per person: columns ``person`` (employee id or email), ``date`` (YYYY-MM-DD), ``kind``
    ("logged-in", "created:opportunity", ...) and ``count``. A row sets that day's CSV count (importing the same
    file twice changes nothing). Raises :class:`UsageCsvError` listing every problem with its line number, and then
    writes nothing. Returns how many rows were imported."""
    today = today or utcnow().date()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageCsvError([CsvProblem(1, "the file is not UTF-8 text")]) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise UsageCsvError([CsvProblem(1, f"the header must name {', '.join(CSV_COLUMNS)} "
                                           f"(missing: {', '.join(missing)})")])
    reader.fieldnames = header
    rows, problems = [], []
    for line, row in enumerate(reader, start=2):
        values = {k: (row.get(k) or "").strip() for k in CSV_COLUMNS}
        if not any(values.values()):
            continue
        rows.append((line, values))
    people = _csv_people([v["person"] for _l, v in rows])
    deltas: dict[tuple[int, date, str], int] = {}
    where: dict[tuple[int, date, str], int] = {}
    for line, values in rows:
        person_id = people.get(values["person"].lower())
        if person_id is None:
            problems.append(CsvProblem(line, f"no person with employee id or email {values['person']!r}"))
        try:
            day = date.fromisoformat(values["date"])
            if day > today:
                problems.append(CsvProblem(line, f"the date {values['date']} is in the future"))
        except ValueError:
            problems.append(CsvProblem(line, f"the date {values['date']!r} is not YYYY-MM-DD"))
            day = None
        kind = values["kind"].lower()
        if not kind or len(kind) > 80 or " " in kind:
            problems.append(CsvProblem(line, "the kind must be a word such as logged-in or created:opportunity"))
        try:
            count = int(values["count"])
            if not 0 <= count <= MAX_COUNT:
                raise ValueError
        except ValueError:
            problems.append(CsvProblem(line, f"the count {values['count']!r} is not a whole number 0-{MAX_COUNT}"))
            count = None
        if person_id is not None and day is not None and count is not None and kind:
            key = (person_id, day, kind)
            if key in where:
                problems.append(CsvProblem(line, f"the same person, date and kind as line {where[key]}"))
            where[key], deltas[key] = line, count
    if not rows and not problems:
        problems.append(CsvProblem(2, "the file has no rows"))
    if problems:
        raise UsageCsvError(problems)
    upsert_counts(deltas, column="from_csv", replace=True)
    return len(deltas)


def _csv_people(values: list[str]) -> dict[str, int]:
    wanted = sorted({v.lower() for v in values if v})
    found: dict[str, int] = {}
    for chunk in chunks(wanted):
        for pid, employee_id, email in db.session.execute(
                select(Person.id, Person.employee_id, Person.email).where(
                    (func.lower(Person.employee_id).in_(chunk)) | (func.lower(Person.email).in_(chunk)))):
            if employee_id:
                found[employee_id.lower()] = pid
            found[email.lower()] = pid
    return found


def usage_of(person_ids: list[int], since: date | None = None) -> dict[int, list[tuple[date, str, int]]]:
    """Each person's usage days (day, kind, count), oldest first."""
    found: dict[int, list[tuple[date, str, int]]] = defaultdict(list)
    for chunk in chunks(person_ids):
        query = select(UsageDay).where(UsageDay.person_id.in_(chunk))
        if since is not None:
            query = query.where(UsageDay.day >= since)
        for row in db.session.scalars(query.order_by(UsageDay.day)):
            if row.count:
                found[row.person_id].append((row.day, row.kind, row.count))
    return found
