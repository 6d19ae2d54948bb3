"""Who sees what in adoption.

- The program office and the executive sponsor see the whole adoption report and readiness; managers see their own
  team's (direct reports). The program office sends pulse surveys, defines badges and revokes them.
- A manager's stewardship page shows their direct reports. Coaching notes are read only by the manager who wrote
  them and the person they are about: not the program office, not the sponsor, not an admin.
- Admins switch the leaderboard off or on; everyone may opt out of it on their own page.
- Badge credentials, their verification and the issuer profile are public (anyone who is given the link).
"""
from __future__ import annotations

from lms.permissions import AnyOf, Permission

SEE_REPORT = AnyOf(frozenset({Permission.PROGRAM_OFFICE, Permission.SPONSOR, Permission.MANAGER}))
SEE_TEAM = AnyOf(frozenset({Permission.MANAGER}))
OFFICE = (Permission.PROGRAM_OFFICE,)
SWITCHES = (Permission.PROGRAM_OFFICE, Permission.ADMIN)


def sees_everything(person) -> bool:
    return person.can(Permission.PROGRAM_OFFICE) or person.can(Permission.SPONSOR)


def report_manager(person) -> int | None:
    """None: the whole organisation; else the manager whose team this person may see."""
    return None if sees_everything(person) else person.id
