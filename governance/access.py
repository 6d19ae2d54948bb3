"""Who sees what in governance.

- The executive sponsor and the program office see everything and change it (board, meetings, goals).
- Board members (people holding a board seat) see the board's pages, even without those permissions.
- A manager sees the gap report for their own reporting line only (everyone below them, at any depth).
- Admins manage the board's seats and the API tokens. Learners see none of it.
"""
from __future__ import annotations

from lms.errors import Forbidden
from lms.permissions import AnyOf, Permission

_BOARD_MEMBER = "governance.services_board:is_board_member"

#: The board's pages: dashboard, board, meetings, goals, the governance pack.
SEE_BOARD = AnyOf(frozenset({Permission.SPONSOR, Permission.PROGRAM_OFFICE}), _BOARD_MEMBER)
#: The board page itself, where admins also add seats.
SEE_SEATS = AnyOf(frozenset({Permission.SPONSOR, Permission.PROGRAM_OFFICE, Permission.ADMIN}), _BOARD_MEMBER)
#: The gap report (a manager: their own team only).
SEE_REPORT = AnyOf(frozenset({Permission.SPONSOR, Permission.PROGRAM_OFFICE, Permission.MANAGER}), _BOARD_MEMBER)
#: Changing the board's records: meetings, minutes, decisions, actions, goals and their values.
EDIT = (Permission.SPONSOR, Permission.PROGRAM_OFFICE)
#: Seats on the board: who holds them, which there are.
EDIT_SEATS = (Permission.SPONSOR, Permission.PROGRAM_OFFICE, Permission.ADMIN)


class NotYourReport(Forbidden):
    pass


def sees_everything(person) -> bool:
    from governance.services_board import is_board_member

    return person.can(Permission.SPONSOR) or person.can(Permission.PROGRAM_OFFICE) or is_board_member(person)


def can_edit(person) -> bool:
    return any(person.can(p) for p in EDIT)


def report_scope(person):
    """The part of the gap report this person may read: everyone, or their reporting line (a manager)."""
    from governance.services_report import EVERYONE, Scope

    if sees_everything(person):
        return EVERYONE
    if person.can(Permission.MANAGER):
        return Scope(manager_id=person.id)
    raise NotYourReport("You do not have permission to see the gap report.")


def _guard(spec: AnyOf):
    from lms.permissions import requires_any

    return requires_any(*spec.permissions, or_if=spec.or_if)


def _editors(permissions):
    from lms.permissions import requires_any

    return requires_any(*permissions)


see_board = _guard(SEE_BOARD)
see_seats = _guard(SEE_SEATS)
see_report = _guard(SEE_REPORT)
edit = _editors(EDIT)
edit_seats = _editors(EDIT_SEATS)
