"""Roster import: upsert people from a CSV roster, all or nothing.

Columns (header row, any order, case-insensitive): ``email`` and ``name`` are required;
``employee_id``, ``job_role``, ``department``, ``manager``, ``hire_date``, ``wave``, ``active`` and
``permissions`` are optional. A person is matched by employee id, then by email. ``manager`` names another
person by employee id or email, in the file (any row order) or already in Rapport. Every invalid row is
reported with its line number, and nothing is written when any row is invalid.
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, insert, select, update

from lms import signals
from lms.audit.services import record as audit
from lms.extensions import db
from lms.people.models import Department, JobRole, Person, PersonPermission, RolloutWave
from lms.permissions import Permission
from lms.types import utcnow

COLUMNS = ("employee_id", "email", "name", "job_role", "department", "manager", "hire_date", "wave", "active",
           "permissions")
REQUIRED = ("email", "name")
_TRUE = {"yes", "y", "true", "1", "active"}
_FALSE = {"no", "n", "false", "0", "inactive"}
_CHUNK = 5000
_FIELDS = ("name", "email", "employee_id", "job_role_id", "department_id", "wave_id", "hire_date", "active")
MAX_PROBLEMS_KEPT = 1_000  # beyond these, problems are only counted
MAX_MESSAGE = 300  # characters of one problem (a message may quote a cell)
MAX_HEADER_COLUMNS = 50


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    """What an import did (or, on a dry run, would do)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    new_departments: list[str] = field(default_factory=list)
    new_waves: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # the first MAX_PROBLEMS_KEPT problems
    joined: list[int] = field(default_factory=list)  # ids of the people the import added (not on a dry run)
    more_problems: int = 0  # problems found beyond those
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def problem_count(self) -> int:
        return len(self.errors) + self.more_problems

    def problem(self, line: int, message: str) -> None:
        """Record a problem; only the first MAX_PROBLEMS_KEPT are kept (each cut to MAX_MESSAGE characters)."""
        if len(self.errors) < MAX_PROBLEMS_KEPT:
            if len(message) > MAX_MESSAGE:
                message = message[:MAX_MESSAGE - 1] + "…"
            self.errors.append(RowError(line, message))
        else:
            self.more_problems += 1

    def summary(self) -> str:
        verb = "would create" if self.dry_run else "created"
        parts = [f"{self.rows} rows: {verb} {self.created}, updated {self.updated}, unchanged {self.unchanged}"]
        if self.deactivated:
            parts.append(f"deactivated {self.deactivated}")
        if self.new_departments:
            parts.append("new departments: " + ", ".join(self.new_departments))
        if self.new_waves:
            parts.append("new waves: " + ", ".join(self.new_waves))
        return "; ".join(parts)


@dataclass
class _Row:
    line: int
    values: dict  # column -> parsed value, only for columns present in the file
    manager_ref: str | None = None
    person_id: int | None = None  # matched existing person


class RosterFormatError(Exception):
    """The file itself cannot be read as a roster (encoding, header)."""


def _decoded_lines(stream: BinaryIO) -> Iterator[str]:
    """Decode line by line, so a byte that is not UTF-8 is reported on its own line."""
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise RosterFormatError(
                f"line {number}: the file is not UTF-8 text (byte {exc.object[exc.start:exc.start + 1]!r}); "
                "save it as 'CSV UTF-8'"
            ) from None


def read_rows(stream: BinaryIO) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Read the header and yield (line number where the record starts, cells)."""
    reader = csv.reader(_decoded_lines(stream))
    try:
        header = next(reader)
    except StopIteration:
        raise RosterFormatError("line 1: the file is empty; expected a header row") from None
    except csv.Error as exc:
        raise RosterFormatError(f"line 1: {exc}") from None
    if len(header) > MAX_HEADER_COLUMNS:
        raise RosterFormatError(f"line 1: the header has {len(header):,} columns; a roster has at most "
                                f"{len(COLUMNS)}: {', '.join(COLUMNS)}")
    columns = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in header]
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        shown = ", ".join(repr(c[:40]) for c in unknown[:10]) + (f" and {len(unknown) - 10} more"
                                                                 if len(unknown) > 10 else "")
        raise RosterFormatError(f"line 1: unknown column(s) {shown}; allowed: {', '.join(COLUMNS)}")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise RosterFormatError(f"line 1: missing required column(s) {', '.join(missing)}")
    dupes = {c for c in columns if columns.count(c) > 1}
    if dupes:
        raise RosterFormatError(f"line 1: column(s) {', '.join(sorted(dupes))} appear more than once")

    def records() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise RosterFormatError(f"line {start}: {exc}") from None
            yield start, cells
            start = reader.line_num + 1

    return columns, records()


def import_roster(
    stream: BinaryIO,
    *,
    actor_id: int | None,
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate the whole roster, then write it in the current transaction (unless ``dry_run``).

    The caller commits. When the report has errors nothing was written. Sends ``people_joined``,
    ``people_changed_role`` and ``people_deactivated`` for what was written.
    """
    report = ImportReport(dry_run=dry_run)
    try:
        columns, records = read_rows(stream)
        roles = _lookup(select(JobRole.code, JobRole.id)) | _lookup(select(JobRole.name, JobRole.id))
        departments = _lookup(select(Department.name, Department.id))
        waves = _lookup(select(RolloutWave.name, RolloutWave.id))
        parser = _RowParser(columns, roles, report)
        rows = []
        for line, cells in records:
            row = parser.parse(line, cells)
            if row is not None:
                rows.append(row)
            report.rows += 1
            if on_progress and report.rows % 1000 == 0:
                on_progress(1000)
        if on_progress:
            on_progress(report.rows % 1000)
    except RosterFormatError as exc:
        line, _, message = str(exc).partition(": ")
        report.problem(int(line.removeprefix("line ")), message)
        return report

    existing = _existing_people()
    _match(rows, existing, report)
    _resolve_managers(rows, existing, report)
    if report.errors:
        report.errors.sort(key=lambda e: e.line)
        return report
    _count_changes(rows, existing, departments, waves, report)
    if not dry_run:
        _write(rows, existing, departments, waves, columns, report, actor_id)
    return report


def _lookup(query) -> dict[str, int]:
    return {key.strip().lower(): value for key, value in db.session.execute(query)}


class _RowParser:
    def __init__(self, columns: list[str], roles: dict[str, int], report: ImportReport) -> None:
        self.columns = columns
        self.roles = roles
        self.report = report
        self.seen_ids: dict[str, int] = {}
        self.seen_emails: dict[str, int] = {}

    def parse(self, line: int, cells: list[str]) -> _Row | None:
        if not any(c.strip() for c in cells):
            return None  # blank line
        errors: list[str] = []
        if len(cells) != len(self.columns):
            self.report.problem(line, f"expected {len(self.columns)} fields, found {len(cells):,}")
            return None
        raw = {c: v.strip() for c, v in zip(self.columns, cells, strict=True)}
        values: dict = {}

        email = raw["email"]
        if not email:
            errors.append("email is empty")
        else:
            try:
                email = validate_email(email, check_deliverability=False).normalized.lower()
            except EmailNotValidError as exc:
                errors.append(f"email {raw['email']!r} is not valid: {exc}")
            else:
                if email in self.seen_emails:
                    errors.append(f"email {email} already appears on line {self.seen_emails[email]}")
                self.seen_emails.setdefault(email, line)
        values["email"] = email

        if not raw["name"]:
            errors.append("name is empty")
        elif len(raw["name"]) > 200:
            errors.append("name is longer than 200 characters")
        values["name"] = raw["name"]

        if "employee_id" in raw:
            emp = raw["employee_id"] or None
            if emp and len(emp) > 64:
                errors.append("employee_id is longer than 64 characters")
            elif emp in self.seen_ids:
                errors.append(f"employee_id {emp} already appears on line {self.seen_ids[emp]}")
            elif emp:
                self.seen_ids[emp] = line
            values["employee_id"] = emp
        if "job_role" in raw:
            role = raw["job_role"]
            if role and role.lower() not in self.roles:
                errors.append(f"unknown job role {role!r}; an admin adds job roles under Admin > Job roles")
            values["job_role_id"] = self.roles.get(role.lower()) if role else None
        if "department" in raw:
            values["department"] = raw["department"] or None
            if values["department"] and len(values["department"]) > 120:
                errors.append("department is longer than 120 characters")
        if "wave" in raw:
            values["wave"] = raw["wave"] or None
            if values["wave"] and len(values["wave"]) > 120:
                errors.append("wave is longer than 120 characters")
        if "hire_date" in raw:
            values["hire_date"] = None
            if raw["hire_date"]:
                try:
                    values["hire_date"] = date.fromisoformat(raw["hire_date"])
                except ValueError:
                    errors.append(f"hire_date {raw['hire_date']!r} is not a date like 2026-03-31")
        if "active" in raw and raw["active"]:
            flag = raw["active"].lower()
            if flag in _TRUE:
                values["active"] = True
            elif flag in _FALSE:
                values["active"] = False
            else:
                errors.append(f"active {raw['active']!r} must be yes or no")
        if "permissions" in raw and raw["permissions"]:
            names = [p.strip().lower().replace(" ", "_") for p in raw["permissions"].replace(",", ";").split(";")]
            bad = [p for p in names if p and p not in Permission.__members__.values()]
            if bad:
                allowed = ", ".join(p.value for p in Permission)
                errors.append(f"unknown permission(s) {', '.join(bad)}; allowed: {allowed}")
            values["permissions"] = sorted({p for p in names if p})
        row = _Row(line, values, manager_ref=raw.get("manager") or None)
        if "manager" in raw:
            values["manager"] = None  # resolved later; None clears the manager
        for message in errors:
            self.report.problem(line, message)
        return None if errors else row


@dataclass
class _Existing:
    by_id: dict[int, tuple]
    by_employee_id: dict[str, int]
    by_email: dict[str, int]


def _existing_people() -> _Existing:
    cols = (Person.id, Person.employee_id, Person.email, Person.name, Person.job_role_id, Person.department_id,
            Person.wave_id, Person.hire_date, Person.active, Person.manager_id)
    by_id, by_emp, by_email = {}, {}, {}
    for r in db.session.execute(select(*cols)):
        by_id[r.id] = r
        if r.employee_id:
            by_emp[r.employee_id] = r.id
        by_email[r.email] = r.id
    return _Existing(by_id, by_emp, by_email)


def _match(rows: list[_Row], existing: _Existing, report: ImportReport) -> None:
    for row in rows:
        emp, email = row.values.get("employee_id"), row.values["email"]
        by_emp = existing.by_employee_id.get(emp) if emp else None
        by_email = existing.by_email.get(email)
        if by_emp and by_email and by_emp != by_email:
            other = existing.by_id[by_email]
            report.problem(row.line,
                           f"email {email} already belongs to another person (employee_id {other.employee_id})")
        elif by_emp is None and by_email is not None:
            current = existing.by_id[by_email].employee_id
            if emp and current and current != emp:
                report.problem(row.line, f"email {email} belongs to employee_id {current}, not {emp}")
        row.person_id = by_emp or by_email


def _resolve_managers(rows: list[_Row], existing: _Existing, report: ImportReport) -> None:
    """Point each row's manager at a node: ("p", person id) or ("r", line); then reject loops."""
    file_emp = {row.values["employee_id"]: row for row in rows if row.values.get("employee_id")}
    file_email = {row.values["email"]: row for row in rows}

    def node_of(row: _Row) -> tuple:
        return ("p", row.person_id) if row.person_id else ("r", row.line)

    manager_of: dict[tuple, tuple | None] = {}
    for pid, r in existing.by_id.items():
        if r.manager_id:
            manager_of[("p", pid)] = ("p", r.manager_id)
    for row in rows:
        if "manager" not in row.values:
            continue
        ref = row.manager_ref
        target: tuple | None = None
        if ref:
            key = ref.lower()
            if ref in file_emp:
                target = node_of(file_emp[ref])
            elif key in file_email:
                target = node_of(file_email[key])
            elif ref in existing.by_employee_id:
                target = ("p", existing.by_employee_id[ref])
            elif key in existing.by_email:
                target = ("p", existing.by_email[key])
            else:
                report.problem(row.line,
                               f"manager {ref!r} is neither in this file nor in Rapport (use an employee_id or email)")
                continue
            if target == node_of(row):
                report.problem(row.line, "a person cannot be their own manager")
                continue
        row.values["manager"] = target
        manager_of[node_of(row)] = target

    line_of = {node_of(row): row.line for row in rows}
    done: set[tuple] = set()
    for row in rows:
        start = node_of(row)
        path: list[tuple] = []
        on_path: set[tuple] = set()
        node: tuple | None = start
        while node is not None and node not in done:
            if node in on_path:
                loop = path[path.index(node):]
                lines = sorted(line_of[n] for n in loop if n in line_of)
                report.problem(row.line,
                               "manager chain loops back to this person (lines " + ", ".join(map(str, lines)) + ")")
                break
            path.append(node)
            on_path.add(node)
            node = manager_of.get(node)
        done.update(path)


def _count_changes(rows, existing: _Existing, departments, waves, report: ImportReport) -> None:
    new_departments, new_waves = {}, {}
    for row in rows:
        for name, known, new in (
            (row.values.get("department"), departments, new_departments),
            (row.values.get("wave"), waves, new_waves),
        ):
            if name and name.lower() not in known:
                new.setdefault(name.lower(), name)
        if row.person_id is None:
            report.created += 1
        else:
            current = existing.by_id[row.person_id]
            changes = _changes(row, current, departments, waves)
            if changes:
                report.updated += 1
                if changes.get("active") is False:
                    report.deactivated += 1
            else:
                report.unchanged += 1
    report.new_departments = sorted(new_departments.values())
    report.new_waves = sorted(new_waves.values())


def _changes(row: _Row, current, departments, waves) -> dict:
    """The columns of an existing person that the row changes (unknown names count as changes)."""
    v = row.values
    out = {}
    for key in ("name", "email", "employee_id", "job_role_id", "hire_date", "active"):
        if key in v and v[key] != getattr(current, key):
            out[key] = v[key]
    for key, names, col in (("department", departments, "department_id"), ("wave", waves, "wave_id")):
        if key in v:
            new_id = names.get(v[key].lower()) if v[key] else None
            if new_id != getattr(current, col) or (v[key] and new_id is None):
                out[col] = new_id
    if "manager" in v:
        target = v["manager"]
        unchanged = (target is None and current.manager_id is None) or (
            target is not None and target[0] == "p" and target[1] == current.manager_id)
        if not unchanged:
            out["manager"] = target
    if "permissions" in v:
        out["permissions"] = v["permissions"]
    return out


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _write(rows, existing: _Existing, departments, waves, columns, report: ImportReport, actor_id) -> None:
    for name in report.new_departments:
        department = Department(name=name)
        db.session.add(department)
        db.session.flush()
        departments[name.lower()] = department.id
    for name in report.new_waves:
        wave = RolloutWave(name=name)
        db.session.add(wave)
        db.session.flush()
        waves[name.lower()] = wave.id

    def ids(values: dict) -> dict:
        out = {k: values[k] for k in _FIELDS if k in values}
        if "department" in values:
            out["department_id"] = departments[values["department"].lower()] if values["department"] else None
        if "wave" in values:
            out["wave_id"] = waves[values["wave"].lower()] if values["wave"] else None
        return out

    now = utcnow()
    new_rows = [row for row in rows if row.person_id is None]
    for chunk in _chunks(new_rows):
        db.session.execute(
            insert(Person),
            [{"active": True, **ids(row.values), "created_at": now, "updated_at": now} for row in chunk],
        )
    if new_rows:
        emails = {row.values["email"] for row in new_rows}
        created = {e: i for i, e in db.session.execute(select(Person.id, Person.email)) if e in emails}
        for row in new_rows:
            row.person_id = created[row.values["email"]]

    updates, role_changes, deactivated, permission_rows, replaced = [], [], [], [], []
    for row in rows:
        is_new = row.person_id not in existing.by_id
        if is_new:
            perms = row.values.get("permissions") or [Permission.LEARNER.value]
            permission_rows += [{"person_id": row.person_id, "permission": p} for p in perms]
            continue
        current = existing.by_id[row.person_id]
        changes = _changes(row, current, departments, waves)
        changes.pop("manager", None)
        perms = changes.pop("permissions", None)
        if perms is not None:
            replaced.append(row.person_id)
            permission_rows += [{"person_id": row.person_id, "permission": p} for p in perms]
        if changes:
            updates.append({"id": row.person_id, **changes, "updated_at": now})
        if "job_role_id" in changes:
            role_changes.append((row.person_id, current.job_role_id, changes["job_role_id"]))
        if changes.get("active") is False:
            deactivated.append(row.person_id)

    def resolve(target) -> int | None:
        if target is None:
            return None
        return target[1] if target[0] == "p" else line_to_id[target[1]]

    line_to_id = {row.line: row.person_id for row in rows}
    manager_updates = []
    for row in rows:
        if "manager" not in row.values:
            continue
        manager_id = resolve(row.values["manager"])
        current = existing.by_id.get(row.person_id)
        if current is None or current.manager_id != manager_id:
            manager_updates.append({"id": row.person_id, "manager_id": manager_id})

    for chunk in _chunks(updates):
        db.session.execute(update(Person), chunk)
    for chunk in _chunks(manager_updates):
        db.session.execute(update(Person), chunk)
    for chunk in _chunks(replaced):
        db.session.execute(delete(PersonPermission).where(PersonPermission.person_id.in_(chunk)))
    for chunk in _chunks(permission_rows):
        db.session.execute(insert(PersonPermission), chunk)
    db.session.flush()
    db.session.expire_all()

    audit(actor_id, "people.import", f"{report.rows} rows", summary=report.summary())
    joined = [row.person_id for row in new_rows]
    report.joined = joined
    if joined:
        signals.people_joined.send(None, person_ids=joined)
    if role_changes:
        signals.people_changed_role.send(None, changes=role_changes)
    if deactivated:
        signals.people_deactivated.send(None, person_ids=deactivated)
    changed = sorted({*joined, *(u["id"] for u in updates), *(u["id"] for u in manager_updates), *replaced})
    if changed:
        signals.people_changed.send(None, person_ids=changed)
