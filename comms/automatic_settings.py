"""The automatic messages' settings: per kind, switched on or off and its subject and body templates (personalised
like every comms mail, see :mod:`comms.compose`), as the program office edits them. No row: the defaults, off."""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from comms.compose import Message, Url
from comms.mailing import composer, sample_recipient
from comms.models_lifecycle import AUTO_KINDS, AutoSetting
from lms.audit.services import record as audit
from lms.errors import DomainError
from lms.extensions import db
from lms.mail.rendering import RenderedMail

# The per-person values every automatic mail gets as ``extra.<name>`` (empty where they do not apply).
EXTRAS = ("paths", "completed", "path_title", "due_soon", "days", "overdue", "team_overdue", "team_url")
MAX_DAYS = 60


@dataclass(frozen=True)
class Kind:
    kind: str
    label: str
    when: str
    subject: str
    body: str


KINDS = {k.kind: k for k in (
    Kind("welcome", "Welcome to a new hire",
         "A new hire is added (roster import or the admin form): their learning paths and where to start. "
         "Someone invited by mail gets it once they have set their password (the invitation is their first mail).",
         "Welcome to the CRM rollout, {{ first_name }}",
         "## Welcome, {{ first_name }}!\n\nYour learning for the new CRM is ready:\n\n{{ extra.paths }}\n\n"
         "Start on [My learning]({{ my_learning_url }}). Your manager, {{ manager }}, knows what you are working on."),
    Kind("congrats", "Congratulations on a completed path", "A person completes every course of a learning path.",
         "Congratulations, {{ first_name }}!",
         "## Well done, {{ first_name }}!\n\nYou completed:\n\n{{ extra.completed }}\n\nThank you: every finished "
         "path brings the rollout closer to its goals."),
    Kind("overdue", "Overdue notice to the learner",
         "A required course passes its due date (once per course and date).",
         "You have training past its due date",
         "## Training past its due date\n\nHello {{ first_name }}, these courses are past their due date:\n\n"
         "{{ extra.overdue }}\n\nPlease finish them soon: [My learning]({{ my_learning_url }})."),
    Kind("reminder", "Reminder before a due date",
         "A required course is due within the next N days (once per course and due date).",
         "Reminder: training due soon",
         "## Due soon\n\nHello {{ first_name }}, these courses are due within {{ extra.days }} days:\n\n"
         "{{ extra.due_soon }}\n\nOpen them on [My learning]({{ my_learning_url }})."),
    Kind("digest", "Daily digest to managers", "Every day a manager has reports with overdue training.",
         "Your team's overdue training",
         "## Your team's overdue training\n\n{{ extra.team_overdue }}\n\nSee who needs a hand on "
         "[My team]({{ extra.team_url }})."),
)}
ORDER = ("welcome", "congrats", "overdue", "reminder", "digest")  # the order sections appear in a merged mail
assert set(ORDER) == set(AUTO_KINDS) == set(KINDS)


@dataclass(frozen=True)
class Setting:
    kind: str
    label: str
    when: str
    enabled: bool
    subject: str
    body: str
    days: int
    customised: bool


def settings() -> dict[str, Setting]:
    rows = {row.kind: row for row in db.session.query(AutoSetting).all()}
    found = {}
    for kind in ORDER:
        default, row = KINDS[kind], rows.get(kind)
        found[kind] = Setting(kind, default.label, default.when, bool(row and row.enabled),
                              row.subject if row else default.subject, row.body if row else default.body,
                              row.days if row else 3, row is not None)
    return found


def _message(subject: str, body: str) -> Message:
    return Message(subject, body, "reminder", None, frozenset(EXTRAS))


def markdown(text: str) -> Markup:
    """Markdown Rapport wrote from escaped values, given as an extra: the composer leaves it unescaped."""
    return Markup(text)  # noqa: S704 (Markdown of escaped values, not HTML; nh3 sanitises the rendering)


def sample_extras(days: int = 3) -> dict[str, str]:
    from flask import current_app

    base = current_app.config["LMS_BASE_URL"].rstrip("/")
    return {"paths": markdown("- **Sales rep onboarding**, due 15 Jan 2027: CRM basics, Lead to cash"),
            "completed": markdown("- **Sales rep onboarding**"), "path_title": "Sales rep onboarding",
            "due_soon": markdown(f"- [Lead to cash]({base}/learning), due 10 Jan 2027"), "days": str(days),
            "overdue": markdown(f"- [CRM basics]({base}/learning), was due 2 Jan 2027"),
            "team_overdue": markdown("- **Ana Lopez**: CRM basics (due 2 Jan 2027)"),
            "team_url": Url(base + "/learning/team")}


def preview(person, subject: str, body: str, days: int = 3) -> RenderedMail:
    """The mail as ``person`` would get it, with example values for the extras; raises TemplateProblem."""
    return composer(_message(subject, body)).render(sample_recipient(person), extra=sample_extras(days))


def save(kind: str, *, enabled: bool, subject: str, body: str, days: int, actor) -> None:
    """Save a kind's settings after checking its templates personalise (a TemplateProblem names the placeholder)."""
    if kind not in KINDS:
        raise DomainError("There is no such automatic message.")
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(f"Remind between 1 and {MAX_DAYS} days before the due date.", field="days")
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise DomainError("A subject and a body are needed.", field="subject" if not subject else "body")
    compose = composer(_message(subject, body))
    compose.check(sample_recipient(actor), sample_extras(days))
    row = db.session.get(AutoSetting, kind)
    if row is None:
        row = AutoSetting(kind=kind)
        db.session.add(row)
    row.enabled, row.subject, row.body, row.days, row.updated_by_id = enabled, subject, body, days, actor.id
    db.session.flush()
    audit(actor.id, "comms.automatic_saved", kind, enabled=enabled)


def switch(kind: str, enabled: bool, *, actor_id: int | None) -> None:
    """Switch a kind on or off, keeping its templates."""
    if kind not in KINDS:
        raise DomainError("There is no such automatic message.")
    row = db.session.get(AutoSetting, kind)
    if row is None:
        default = KINDS[kind]
        row = AutoSetting(kind=kind, subject=default.subject, body=default.body, days=3)
        db.session.add(row)
    row.enabled, row.updated_by_id = enabled, actor_id
    db.session.flush()
    audit(actor_id, "comms.automatic_switched", kind, enabled=enabled)
