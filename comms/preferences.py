"""People's mail preferences: which categories they left. Only newsletters and recognition can be left;
announcements and reminders about required training always arrive."""
from __future__ import annotations

from sqlalchemy import select

from comms import engagement
from comms.models import LEAVABLE, OptOut
from lms.audit.services import record as audit
from lms.extensions import db


def left(person_id: int) -> set[str]:
    return set(db.session.scalars(select(OptOut.category).where(OptOut.person_id == person_id)))


def leave(person_id: int, category: str, *, via_mail_id: int | None = None) -> bool:
    """The person leaves a category; False when they had already (or it cannot be left)."""
    if category not in LEAVABLE or db.session.get(OptOut, (person_id, category)) is not None:
        return False
    db.session.add(OptOut(person_id=person_id, category=category, via_mail_id=via_mail_id))
    db.session.flush()
    engagement.unsubscribed(via_mail_id)
    audit(None, "comms.unsubscribe", category, person_id=person_id, mail_id=via_mail_id)
    return True


def set_wanted(person_id: int, wanted: set[str], *, via_mail_id: int | None = None) -> None:
    """Receive exactly the leavable categories in ``wanted``."""
    for category in LEAVABLE:
        row = db.session.get(OptOut, (person_id, category))
        if category in wanted and row is not None:
            db.session.delete(row)
            audit(None, "comms.resubscribe", category, person_id=person_id)
        elif category not in wanted and row is None:
            leave(person_id, category, via_mail_id=via_mail_id)
    db.session.flush()
