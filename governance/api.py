"""The governance plugin's public API: what other plugins (comms, say, for a newsletter to the board) may ask.

Everything here returns frozen values; nothing returns a governance model. Other plugins import this module, never
``governance.models`` or other governance internals.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class GoalSummary:
    key: str
    title: str
    owner_id: int | None
    status: str  # on_track | at_risk | off_track
    reasons: tuple[str, ...]
    deadline: date


def goal_statuses() -> list[GoalSummary]:
    """Every active goal with its status by the rule governance shows (the gap report's read model is brought up to
    date first)."""
    from governance import services_goals as goals
    from governance.services_readmodel import bring_up_to_date

    bring_up_to_date()
    active = goals.active_goals()
    found = goals.statuses(active)
    return [GoalSummary(g.key, g.title, g.owner_id, found[g.id].status, found[g.id].reasons, g.deadline)
            for g in active]


def board_member_ids() -> list[int]:
    """The people holding a board seat (active ones), for an audience "the governance board"."""
    from governance.services_board import board

    return sorted({role.person_id for role in board() if role.person is not None and role.person.active})


def vacant_seats() -> list[str]:
    """What a vacant seat warning says, the executive sponsor's first."""
    from governance.services_board import vacancies

    return [v.message for v in vacancies()]
