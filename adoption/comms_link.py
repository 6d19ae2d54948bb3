"""What adoption asks of comms, only through ``comms.api``: announcement awareness, kudos received, sending mail.

When comms is not enabled (or its api lacks a function), awareness is unknown, kudos are none and mail is not
sent: adoption keeps working and says so.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask import current_app


def _api():
    if "comms" not in current_app.extensions["lms"].enabled:
        return None
    try:
        from comms import api
    except ImportError:
        return None
    return api


def awareness(person_ids: list[int]) -> dict[int, tuple[int, int | None]]:
    """person id -> (announcements received, opened or clicked; None when per-person tracking is off)."""
    api = _api()
    if api is None or not hasattr(api, "announcement_awareness") or not person_ids:
        return {}
    return {pid: (a.received, a.opened) for pid, a in api.announcement_awareness(person_ids).items()}


def kudos(person_ids: list[int]) -> dict[int, int]:
    api = _api()
    if api is None or not hasattr(api, "kudos_received") or not person_ids:
        return {}
    return dict(api.kudos_received(person_ids))


def kudos_url(person_id: int, text: str) -> str | None:
    api = _api()
    if api is None or not hasattr(api, "kudos_url"):
        return None
    return api.kudos_url(person_id, text)


class MailUnavailable(RuntimeError):
    """comms is not enabled here, so adoption cannot send mail."""


def send(person_ids: list[int], *, subject: str, body_markdown: str, category: str, source: str,
         sender_name: str | None = None, extra: Mapping[int, Mapping[str, str]] | None = None) -> int:
    """Queue mail through comms (its layout, personalisation and suppressions); returns how many were queued."""
    api = _api()
    if api is None or not hasattr(api, "send_to_people"):
        raise MailUnavailable("Mail goes through the comms plugin, which is not enabled here.")
    return api.send_to_people(person_ids, subject=subject, body_markdown=body_markdown, category=category,
                              source=source, sender_name=sender_name, extra=extra)
