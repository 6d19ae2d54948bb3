"""What a plugin's mail renderer receives and returns (see ``Plugin.mail_renderers``).

A renderer is called by the sending worker with a batch of rows of its source that have no bodies (a campaign's
recipients) and answers, per row id, the mail to send or why it is not sent. It must not commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MailToRender:
    id: int  # the outbox row (use it in signed tracking and unsubscribe links)
    person_id: int | None
    to_address: str
    source: str
    source_id: int | None
    category: str


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str | None
    headers: dict[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe, List-Unsubscribe-Post
    to_name: str | None = None
    sender_name: str | None = None  # shown instead of LMS_MAIL_SENDER's name (a campaign's sender name)


@dataclass(frozen=True)
class NotSent:
    status: str  # "skipped" (on purpose: unsubscribed, no longer in the audience) or "failed" (a template error)
    reason: str
