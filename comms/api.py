"""The comms plugin's public API: what other plugins (adoption, lifecycle's automatic messages...) may use to mail
people. Other plugins import this module only, never comms internals.

Every mail sent through here is composed by :mod:`comms.compose` (the company layout, personalisation, the lessons'
Markdown renderer, inlined CSS, a plain-text part, signed preference and tracking links) and queued on the host's
one mail path (:mod:`lms.mail.services`), in the caller's transaction: nothing is sent if it rolls back.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

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


# --- recognition (lifecycle) -------------------------------------------------------------------------------------

from comms import recognition as _recognition  # noqa: E402
from comms.recognition import KudosItem  # noqa: E402

__all__ += ["KudosItem", "kudos_received", "kudos_url", "post_kudos", "recent_kudos", "recognition_markdown"]


def post_kudos(*, author_id: int, text: str, person_id: int | None = None, team_manager_id: int | None = None) -> int:
    """Add a kudos about a person (``person_id``) or a manager's team (``team_manager_id``), exactly one of them, and
    return its id. Checks the values (text of 1 to 1,000 characters, an active person, a manager who has a team),
    raising DomainError; checks nothing about who may write it (the caller's view does). Flushes only."""
    return _recognition.post(author_id=author_id, text=text, person_id=person_id, team_manager_id=team_manager_id)


def kudos_received(person_ids: list[int]) -> dict[int, int]:
    """Person id -> how many kudos are about them, about the team they are in (their manager's team) or about the
    team they lead; 0 for people with none."""
    return _recognition.received(person_ids)


def kudos_url(person_id: int, text: str) -> str:
    """The recognition wall's "write kudos" form, pre-filled with the person and the text, as a path under the site
    (prefix ``LMS_BASE_URL`` for a mail). Whoever opens it still needs the right to write about that person."""
    return _recognition.write_path(person_id, text)


def recent_kudos(since: datetime) -> list[KudosItem]:
    """Kudos written at or after ``since`` (aware UTC datetime), newest first, at most 50, as frozen values."""
    return _recognition.recent(since)


def recognition_markdown(since: datetime, *, limit: int = 10) -> str:
    """A "Recognition" block in Markdown for the next newsletter: the kudos written since ``since`` (at most
    ``limit``, newest first) with a link to the wall; names and texts are escaped for Markdown. Paste it into a
    campaign body (the composer renders it like any Markdown); "" when there are none."""
    return _recognition.markdown_block(since, limit=limit)
