"""Recognition: kudos about a person or a team, the wall every signed-in person sees, and the newsletter block.

Who may write: the program office about anyone or any team; a manager about people of their reporting line (any
depth) and about their own team or a team of their line. A kudos is deleted by its author or the program office.
A team is a manager's reports; kudos about it count for every member and for the manager.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, func, select

from comms.models_lifecycle import Kudos
from lms.audit.services import record as audit
from lms.errors import DomainError, Forbidden, NotFound
from lms.extensions import db
from lms.people.models import Person
from lms.people.services import team_query
from lms.permissions import Permission

MAX_TEXT = 1000
SEARCH_LIMIT = 10  # suggestions the kudos form shows for what is typed


class NotAllowed(Forbidden):
    pass


@dataclass(frozen=True)
class KudosItem:
    """One kudos as the wall and the newsletter block show it."""

    id: int
    text: str
    created_at: datetime
    author_id: int | None
    author_name: str
    person_id: int | None  # about a person ...
    person_name: str | None
    team_manager_id: int | None  # ... or about a manager's team
    team_manager_name: str | None

    @property
    def about(self) -> str:
        if self.person_name is not None:
            return self.person_name
        return f"{self.team_manager_name}'s team"


def post(*, author_id: int, text: str, person_id: int | None = None, team_manager_id: int | None = None) -> int:
    """Add a kudos (checks the values, not who may write it) and return its id; flushes only."""
    text = (text or "").strip()
    if not text:
        raise DomainError("Write a few words of recognition.", field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(f"Kudos are at most {MAX_TEXT} characters (this one has {len(text)}).", field="text")
    if (person_id is None) == (team_manager_id is None):
        raise DomainError("Choose either a person or a team.", field="person")
    about = db.session.get(Person, person_id or team_manager_id)
    if about is None or not about.active:
        raise DomainError("That person is not (or no longer) in the organisation.", field="person")
    if team_manager_id is not None and not _has_reports(team_manager_id):
        raise DomainError(f"{about.name} has no team.", field="team")
    kudos = Kudos(author_id=author_id, person_id=person_id, team_manager_id=team_manager_id, text=text)
    db.session.add(kudos)
    db.session.flush()
    audit(author_id, "comms.kudos_posted", about.email, kudos_id=kudos.id, team=team_manager_id is not None)
    return kudos.id


def _has_reports(manager_id: int) -> bool:
    return db.session.scalar(select(Person.id).where(Person.manager_id == manager_id, Person.active.is_(True))
                             .limit(1)) is not None


def can_write(person) -> bool:
    return person.can(Permission.PROGRAM_OFFICE) or person.can(Permission.MANAGER)


def _line_ids(manager_id: int):
    return select(team_query(manager_id, include_indirect=True).subquery().c.id)


def _people_of(author) -> Select:
    """The active people ``author`` may write kudos about: anyone (program office) or their reporting line."""
    query = select(Person.id, Person.name, Person.email).where(Person.active.is_(True))
    if not author.can(Permission.PROGRAM_OFFICE):
        query = query.where(Person.id.in_(_line_ids(author.id)))
    return query


def label(name: str, email: str) -> str:
    """How the kudos form shows a person, and a value :func:`find_person` reads back: "Name (email)"."""
    return f"{name} ({email})"


def person_label(author, person_id: int | None) -> str | None:
    """The label of a person ``author`` may write about (to fill the form from a link), else None."""
    if person_id is None:
        return None
    row = db.session.execute(_people_of(author).where(Person.id == person_id)).first()
    return label(row.name, row.email) if row else None


def search_people(author, term: str, *, limit: int = SEARCH_LIMIT) -> list[tuple[int, str, str]]:
    """(id, name, email) of at most ``limit`` people ``author`` may write about whose name or email contains
    ``term`` (case-insensitive; at least two characters, else nobody): the form's suggestions."""
    term = (term or "").strip().lower()
    if len(term) < 2:
        return []
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = _people_of(author).where(func.lower(Person.name).like(pattern, escape="\\")
                                     | Person.email.like(pattern, escape="\\"))
    return [tuple(row) for row in db.session.execute(query.order_by(Person.name, Person.id).limit(limit))]


def find_person(author, text: str) -> int | None:
    """The id of the person ``text`` names among those ``author`` may write about: an email, "Name (email)" as
    the suggestions show it, or a full name that only one of them has. None for an empty text; raises
    DomainError (field ``person``) for nobody or for several people."""
    text = " ".join((text or "").split())
    if not text:
        return None
    where = "in your reporting line" if not author.can(Permission.PROGRAM_OFFICE) else "in the organisation"
    email = text.rsplit("(", 1)[1].rstrip(")").strip() if text.endswith(")") and "(" in text else text
    if "@" in email:
        found = db.session.scalar(_people_of(author).with_only_columns(Person.id)
                                  .where(Person.email == email.lower()))
        if found is None:
            raise DomainError(f"There is nobody with the email {email} {where}.", field="person")
        return found
    ids = list(db.session.scalars(_people_of(author).with_only_columns(Person.id)
                                  .where(func.lower(Person.name) == text.lower()).limit(11)))
    if not ids:
        raise DomainError(f"There is nobody called “{text}” {where}. Type a few letters of their name or email "
                          "and choose from the suggestions.", field="person")
    if len(ids) > 1:
        several = f"{len(ids)}" if len(ids) <= 10 else "more than 10"
        raise DomainError(f"{several} people are called “{text}”: type their email, or choose from the "
                          "suggestions.", field="person")
    return ids[0]


def teams_for(author) -> list[tuple[int, str]]:
    """(manager id, manager name) of the teams ``author`` may write kudos about."""
    managers = select(Person.manager_id).where(Person.active.is_(True), Person.manager_id.is_not(None))
    query = select(Person.id, Person.name).where(Person.active.is_(True), Person.id.in_(managers))
    if not author.can(Permission.PROGRAM_OFFICE):
        query = query.where((Person.id == author.id) | Person.id.in_(_line_ids(author.id)))
    return [tuple(row) for row in db.session.execute(query.order_by(Person.name, Person.id))]


def write(author, *, text: str, person_id: int | None, team_manager_id: int | None) -> int:
    """A kudos by ``author``, who must be allowed to write about that person or team."""
    if not author.can(Permission.PROGRAM_OFFICE):
        if not author.can(Permission.MANAGER):
            raise NotAllowed("Only the program office and managers write kudos.")
        line = set(db.session.scalars(_line_ids(author.id)))
        if person_id is not None and person_id not in line:
            raise NotAllowed("Managers write kudos about people of their own team only.", field="person")
        if team_manager_id is not None and team_manager_id != author.id and team_manager_id not in line:
            raise NotAllowed("Managers write kudos about their own team only.", field="team")
    return post(author_id=author.id, text=text, person_id=person_id, team_manager_id=team_manager_id)


def can_delete(person, item: KudosItem) -> bool:
    return person.can(Permission.PROGRAM_OFFICE) or (item.author_id is not None and item.author_id == person.id)


def delete(actor, kudos_id: int) -> None:
    kudos = db.session.get(Kudos, kudos_id)
    if kudos is None:
        raise NotFound("There is no such kudos (it may have been deleted).")
    if not (actor.can(Permission.PROGRAM_OFFICE) or kudos.author_id == actor.id):
        raise NotAllowed("Only its author and the program office can delete a kudos.")
    audit(actor.id, "comms.kudos_deleted", str(kudos.id), text=kudos.text[:200], author_id=kudos.author_id)
    db.session.delete(kudos)
    db.session.flush()


def wall_query() -> Select:
    """Kudos (for :func:`items`), newest first."""
    return select(Kudos).order_by(Kudos.created_at.desc(), Kudos.id.desc())


def items(rows: list[Kudos]) -> list[KudosItem]:
    """The wall's values for these kudos, names included (one query for all of them)."""
    rows = list(rows)
    ids = {i for k in rows for i in (k.author_id, k.person_id, k.team_manager_id) if i is not None}
    names = dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
    return [KudosItem(k.id, k.text, k.created_at, k.author_id, names.get(k.author_id, "someone who has left"),
                      k.person_id, names.get(k.person_id) if k.person_id else None, k.team_manager_id,
                      names.get(k.team_manager_id) if k.team_manager_id else None) for k in rows]


def recent(since: datetime, limit: int = 50) -> list[KudosItem]:
    """Kudos written at or after ``since``, newest first."""
    return items(db.session.scalars(wall_query().where(Kudos.created_at >= since).limit(limit)))


def received(person_ids: list[int]) -> dict[int, int]:
    """Per person: kudos about them, about the team they are in (their manager's) and about the team they lead."""
    ids = list(dict.fromkeys(person_ids))
    found = dict.fromkeys(ids, 0)
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        direct = select(Kudos.person_id, func.count()).where(Kudos.person_id.in_(chunk)).group_by(Kudos.person_id)
        for person_id, count in db.session.execute(direct):
            found[person_id] += count
        teams = dict(db.session.execute(select(Kudos.team_manager_id, func.count())
                                        .where(Kudos.team_manager_id.is_not(None))
                                        .group_by(Kudos.team_manager_id)).all())
        if not teams:
            continue
        for person_id, manager_id in db.session.execute(select(Person.id, Person.manager_id)
                                                        .where(Person.id.in_(chunk))):
            found[person_id] += teams.get(manager_id, 0) + teams.get(person_id, 0)
    return found


def wall_path() -> str:
    return current_app.url_map.bind("localhost").build("recognition.wall", {})


def write_path(person_id: int | None = None, text: str = "") -> str:
    values: dict = {}
    if person_id is not None:
        values["person_id"] = person_id
    if text:
        values["text"] = text
    return current_app.url_map.bind("localhost").build("recognition.write", values)


def _md(value: str) -> str:
    from comms.compose import _md_escape

    return _md_escape(value)


def markdown_block(since: datetime, *, limit: int = 10, heading: str = "Recognition") -> str:
    """A Markdown block for a newsletter: the kudos written since ``since`` (newest first, at most ``limit``), each
    with who it is about and who wrote it, and a link to the wall; text is escaped, so kudos cannot add links or
    markup. Empty string when there are none."""
    found = recent(since, limit)
    if not found:
        return ""
    base = current_app.config["LMS_BASE_URL"].rstrip("/")
    lines = [f"## {_md(heading)}", ""]
    for item in found:
        text = " ".join(item.text.split())
        lines.append(f"- **{_md(item.about)}**: {_md(text)} *({_md(item.author_name)})*")
    lines += ["", f"[See every kudos on the recognition wall]({base}{wall_path()})"]
    return "\n".join(lines) + "\n"
