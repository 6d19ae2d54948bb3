"""The comms plugin's public API: what other plugins (adoption, lifecycle's automatic messages...) may use to mail
people. Other plugins import this module only, never comms internals.

Every mail sent through here is composed by :mod:`comms.compose` (the company layout, personalisation, the lessons'
Markdown renderer, inlined CSS, a plain-text part, signed preference and tracking links) and queued on the host's
one mail path (:mod:`lms.mail.services`), in the caller's transaction: nothing is sent if it rolls back.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import case, func, select

from comms.compose import Message, TemplateProblem
from comms.mailing import queue_composed, sendable, tracking_people
from comms.models import CATEGORIES, Engagement
from lms.errors import DomainError
from lms.extensions import db
from lms.mail.models import OutgoingMail

__all__ = ["CATEGORIES", "Awareness", "TemplateProblem", "announcement_awareness", "send_to_people"]


def send_to_people(person_ids: list[int], *, subject: str, body_markdown: str, category: str, source: str,
                   sender_name: str | None = None, extra: Mapping[int, Mapping[str, str]] | None = None) -> int:
    """Compose each person's mail and queue it; returns how many were queued.

    ``subject`` and ``body_markdown`` are templates (see :mod:`comms.compose`: ``{{ first_name }}``, ``{{ due }}``,
    ``{{ my_learning_url }}``, ``{{ extra.<name> }}`` from ``extra[person_id]``...). ``category`` is one of
    :data:`CATEGORIES`; ``source`` names the caller in the mail log ("adoption-nudge", ...). People who are
    inactive, have no usable address, whose address bounced, or who left the category (newsletter, recognition)
    are skipped. Raises :class:`TemplateProblem` (a DomainError naming the placeholder) before queueing anything
    when a template cannot be personalised, and DomainError for an unknown category. Flushes only: the caller's
    transaction boundary commits (and the mail is sent after that commit).
    """
    if category not in CATEGORIES:
        raise DomainError(f"Unknown mail category {category!r}; use one of {', '.join(CATEGORIES)}.")
    if not source or len(source) > 40:
        raise DomainError("A mail source of 1 to 40 characters is required (it names the sender in the mail log).")
    people = sendable(person_ids, category)
    extra_names = frozenset(name for values in (extra or {}).values() for name in values)
    message = Message(subject, body_markdown, category, sender_name, extra_names)
    return queue_composed(people, message, source=source, extra=extra)


@dataclass(frozen=True)
class Awareness:
    """Announcement campaigns delivered to a person, and how many of those they opened or clicked.

    ``opened`` is None when per-person tracking is switched off (``LMS_COMMS_TRACK_PEOPLE = False``): there is
    then nothing per person to count, so awareness is unknown (not "none")."""

    received: int
    opened: int | None


def announcement_awareness(person_ids: list[int]) -> dict[int, Awareness]:
    """Person id -> :class:`Awareness` for each of ``person_ids`` (zeros for people who received none)."""
    ids = list(dict.fromkeys(person_ids))
    tracked = tracking_people()
    found = {person_id: Awareness(0, 0 if tracked else None) for person_id in ids}
    engaged = case(((Engagement.opens > 0) | (Engagement.clicks > 0), 1), else_=0)
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        rows = db.session.execute(
            select(OutgoingMail.person_id, func.count(OutgoingMail.id), func.coalesce(func.sum(engaged), 0))
            .outerjoin(Engagement, Engagement.mail_id == OutgoingMail.id)
            .where(OutgoingMail.person_id.in_(chunk), OutgoingMail.source == "campaign",
                   OutgoingMail.category == "announcement", OutgoingMail.status == "sent")
            .group_by(OutgoingMail.person_id))
        for person_id, received, opened in rows:
            found[person_id] = Awareness(int(received), int(opened) if tracked else None)
    return found
