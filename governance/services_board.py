"""The governance board: its seats (executive sponsor, program lead, the people, process and technology SMEs,
more as an admin adds them), who holds each, and the warnings a vacant seat raises."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from governance.models import BoardRole
from lms.audit.services import record as audit
from lms.errors import Conflict, DomainError, NotFound
from lms.extensions import db
from lms.people.models import Person
from lms.types import utcnow

SPONSOR = "executive_sponsor"
#: The seats every board starts with (seed 001), in order.
DEFAULT_ROLES = (
    (SPONSOR, "Executive sponsor", "Owns the program's goals, clears obstacles and chairs the board."),
    ("program_lead", "Program lead", "Runs the rollout day to day; prepares each meeting and follows its actions."),
    ("people_sme", "People SME", "Training, communication and adoption: the people side of the change."),
    ("process_sme", "Process SME", "The business processes the CRM supports, and how they change."),
    ("technology_sme", "Technology SME", "The CRM itself: configuration, data, integrations."),
)
CODE = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


def ensure_default_roles() -> list[BoardRole]:
    """Create the default seats that are missing (they are created by the first migration too)."""
    existing = {role.code for role in db.session.scalars(select(BoardRole))}
    for position, (code, title, duty) in enumerate(DEFAULT_ROLES):
        if code not in existing:
            db.session.add(BoardRole(code=code, title=title, duty=duty, position=position))
    db.session.flush()
    return board()


def board() -> list[BoardRole]:
    return list(db.session.scalars(select(BoardRole).order_by(BoardRole.position, BoardRole.id)))


def get_role(role_id: int) -> BoardRole:
    role = db.session.get(BoardRole, role_id)
    if role is None:
        raise NotFound("There is no such board seat.")
    return role


def add_role(title: str, duty: str = "", *, actor_id: int | None) -> BoardRole:
    """Add a seat to the board (say, a "Finance SME"); its code comes from the title."""
    title = title.strip()
    if not title or len(title) > 120:
        raise DomainError("Give the seat a title of 1 to 120 characters.", field="title")
    code = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:60] or "seat"
    if not code[0].isalpha():
        code = "seat_" + code
    if db.session.scalar(select(BoardRole.id).where((BoardRole.code == code)
                                                    | (func.lower(BoardRole.title) == title.lower()))):
        raise Conflict(f"The board already has a seat called {title}.", field="title")
    position = (db.session.scalar(select(func.max(BoardRole.position))) or 0) + 1
    role = BoardRole(code=code, title=title, duty=duty.strip(), position=position)
    db.session.add(role)
    db.session.flush()
    audit(actor_id, "board.add_seat", role.title)
    return role


def remove_role(role: BoardRole, *, actor_id: int | None) -> None:
    if role.code in {code for code, _, _ in DEFAULT_ROLES}:
        raise DomainError(f"The {role.title} seat is part of every board; leave it vacant instead.")
    audit(actor_id, "board.remove_seat", role.title, holder=role.person.email if role.person else None)
    db.session.delete(role)
    db.session.flush()


def assign(role: BoardRole, person_id: int | None, *, actor_id: int | None) -> BoardRole:
    """Give a seat to a person (None: leave it vacant)."""
    person = None
    if person_id is not None:
        person = db.session.get(Person, person_id)
        if person is None:
            raise DomainError("The chosen person does not exist.", field="person_id")
        if not person.active:
            raise DomainError(f"{person.name} is deactivated and cannot hold a seat.", field="person_id")
    before = role.person.email if role.person else None
    role.person_id = person.id if person else None
    role.person = person
    role.since = utcnow().date() if person else None
    db.session.flush()
    audit(actor_id, "board.assign", role.title, before=before, after=person.email if person else None)
    return role


def is_board_member(person) -> bool:
    """Whether this person holds a seat on the board (board members see the board's pages)."""
    if person is None or not getattr(person, "is_authenticated", False) or not person.active:
        return False
    return db.session.scalar(select(BoardRole.id).where(BoardRole.person_id == person.id).limit(1)) is not None


@dataclass(frozen=True)
class Vacancy:
    role_id: int
    title: str
    reason: str  # "vacant" | "deactivated"
    holder: str | None
    sponsor: bool

    @property
    def message(self) -> str:
        if self.reason == "deactivated":
            return f"The {self.title} seat is held by {self.holder}, who is deactivated: it is vacant."
        return f"The {self.title} seat is vacant."


def vacancies() -> list[Vacancy]:
    """Vacant seats (no holder, or a deactivated one), the executive sponsor's first."""
    found = []
    roles = board()
    for role in roles:
        if role.person is None:
            found.append(Vacancy(role.id, role.title, "vacant", None, role.code == SPONSOR))
        elif not role.person.active:
            found.append(Vacancy(role.id, role.title, "deactivated", role.person.name, role.code == SPONSOR))
    codes = {role.code for role in roles}
    found += [Vacancy(0, title, "vacant", None, code == SPONSOR) for code, title, _ in DEFAULT_ROLES
              if code not in codes]  # a default seat not created yet is vacant too
    found.sort(key=lambda v: not v.sponsor)
    return found
