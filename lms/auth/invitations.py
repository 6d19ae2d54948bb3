"""Invitations: a welcome mail whose signed, expiring, single-use link lets a new person set their first password.

People added by a roster import or the admin form are invited on the spot (a checkbox), later in bulk from the
people list, or one by one from their admin page; "resend" is a new invitation that replaces the older one (whose
link then stops working). The link names the invitation row and its nonce, signed with the secret key; it works
until the row's ``expires_at`` (``LMS_INVITATION_MAX_AGE``), once, and only while the person is active. The mail is
an outbox row without a body, written by :func:`render_invitation_mails` when it is sent (like password resets).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from lms.audit.services import record as audit
from lms.auth.models import Invitation
from lms.auth.services import set_password
from lms.errors import DomainError
from lms.extensions import db
from lms.mail.rendering import MailToRender, NotSent, RenderedMail
from lms.mail.services import queue_to_render
from lms.people.models import Person
from lms.types import utcnow

SOURCE = "invitation"


class InvitationRefused(DomainError):
    """The link cannot be used (tampered, expired, used, replaced); the message says what to do instead."""

    status_code = 410


@dataclass
class InviteResult:
    sent: list[str] = field(default_factory=list)  # names of the people invited
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, why not)

    def summary(self) -> str:
        parts = [f"{len(self.sent)} invitation{'s' if len(self.sent) != 1 else ''} sent"]
        if self.skipped:
            parts.append("not invited: " + "; ".join(f"{name} ({why})" for name, why in self.skipped[:10]))
            if len(self.skipped) > 10:
                parts[-1] += f" and {len(self.skipped) - 10} more"
        return ", ".join(parts)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lms.invitation")


def _max_age() -> int:
    return int(current_app.config["LMS_INVITATION_MAX_AGE"])


def invite(person_ids: list[int], *, actor_id: int | None) -> InviteResult:
    """Invite these people (or invite them again): one new invitation and one mail each, in the current
    transaction. People who are inactive or can already sign in (they have a password) are skipped, and said so."""
    result = InviteResult()
    now = utcnow()
    people = db.session.scalars(select(Person).where(Person.id.in_(person_ids)).order_by(Person.name)).all()
    for person in people:
        if not person.active:
            result.skipped.append((person.name, "deactivated"))
            continue
        if person.password_hash:
            result.skipped.append((person.name, "already has a password"))
            continue
        db.session.execute(update(Invitation).where(
            Invitation.person_id == person.id, Invitation.accepted_at.is_(None), Invitation.replaced_at.is_(None))
            .values(replaced_at=now), execution_options={"synchronize_session": False})
        invitation = Invitation(person_id=person.id, nonce=secrets.token_hex(16), invited_by_id=actor_id,
                                created_at=now, expires_at=now + timedelta(seconds=_max_age()))
        db.session.add(invitation)
        db.session.flush()
        queue_to_render(person.email, source=SOURCE, person_id=person.id, source_id=invitation.id)
        audit(actor_id, "invitation.sent", person.email)
        result.sent.append(person.name)
    return result


def latest(person_ids: list[int]) -> dict[int, Invitation]:
    """Each person's newest invitation (for the people list and the person page)."""
    if not person_ids:
        return {}
    newest = (select(func.max(Invitation.id)).where(Invitation.person_id.in_(person_ids))
              .group_by(Invitation.person_id))
    rows = db.session.scalars(select(Invitation).where(Invitation.id.in_(newest.scalar_subquery())))
    return {row.person_id: row for row in rows}


def awaiting_password(person_ids: list[int]) -> set[int]:
    """Those of these people who were invited and have not set a password yet (active, no password, an invitation
    not used). Their first mail is the invitation: a plugin holds its own first mail (comms' welcome) for them until
    they have used the link, so a new hire does not get two mails at once."""
    ids = sorted(set(person_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 1000):
        found |= set(db.session.scalars(
            select(Invitation.person_id).join(Person, Person.id == Invitation.person_id).where(
                Invitation.person_id.in_(ids[start:start + 1000]), Invitation.accepted_at.is_(None),
                Person.password_hash.is_(None), Person.active.is_(True)).distinct()))
    return found


def history(person_id: int) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where(Invitation.person_id == person_id)
                                   .order_by(Invitation.id.desc())))


def link_for(invitation: Invitation) -> str:
    token = _serializer().dumps({"i": invitation.id, "n": invitation.nonce})
    path = current_app.url_map.bind("localhost").build("auth.welcome", {"token": token})
    return current_app.config["LMS_BASE_URL"].rstrip("/") + path


def invitation_for_token(token: str) -> Invitation:
    """The invitation a link names, if it can still be used; raises :class:`InvitationRefused` saying why not."""
    ask = "Ask your administrator to send you a new invitation."
    try:
        data = _serializer().loads(token, max_age=_max_age())
    except SignatureExpired:
        raise InvitationRefused(f"This invitation has expired. {ask}") from None
    except BadSignature:
        raise InvitationRefused(f"This invitation link is not valid (it may have been cut short). {ask}") from None
    invitation = db.session.get(Invitation, data.get("i")) if isinstance(data, dict) else None
    if invitation is None or invitation.nonce != data.get("n"):
        raise InvitationRefused(f"This invitation link is not valid. {ask}")
    person = db.session.get(Person, invitation.person_id)
    if person is None or not person.active:
        raise InvitationRefused("This account is not active. Ask your administrator.")
    if invitation.accepted_at is not None:
        raise InvitationRefused("This invitation was already used to set a password. Sign in with it, or use "
                                "“Forgot your password?” on the sign-in page.")
    if invitation.replaced_at is not None:
        raise InvitationRefused("A newer invitation was sent to you: use the link in the latest mail.")
    if invitation.expires_at <= utcnow():
        raise InvitationRefused(f"This invitation has expired. {ask}")
    return invitation


def accept(token: str, password: str) -> Person:
    """Set the first password through an invitation link; the link works once (two submits at once: one wins)."""
    invitation = invitation_for_token(token)
    person = db.session.get(Person, invitation.person_id)
    set_password(person, password, reason="password set from an invitation")  # raises on a short password
    claimed = db.session.execute(update(Invitation).where(
        Invitation.id == invitation.id, Invitation.accepted_at.is_(None), Invitation.replaced_at.is_(None))
        .values(accepted_at=utcnow()), execution_options={"synchronize_session": False}).rowcount
    if claimed != 1:
        raise InvitationRefused("This invitation was already used to set a password. Sign in with it.")
    audit(person.id, "invitation.accepted", person.email)
    return person


def render_invitation_mails(mails: list[MailToRender]) -> dict[int, RenderedMail | NotSent]:
    """The host's renderer for ``invitation`` rows: the welcome mail with its link, written when it is sent."""
    cfg = current_app.config
    found: dict[int, RenderedMail | NotSent] = {}
    for mail in mails:
        invitation = db.session.get(Invitation, mail.source_id) if mail.source_id else None
        person = db.session.get(Person, invitation.person_id) if invitation else None
        if invitation is None or person is None or not person.active:
            found[mail.id] = NotSent("skipped", "the invitation or its person is gone or inactive")
            continue
        if invitation.accepted_at or invitation.replaced_at:
            found[mail.id] = NotSent("skipped", "the invitation was accepted or replaced before it was sent")
            continue
        inviter = db.session.get(Person, invitation.invited_by_id) if invitation.invited_by_id else None
        days = max(1, round((invitation.expires_at - invitation.created_at).total_seconds() / 86400))
        context = {"person": person, "link": link_for(invitation), "days": days, "inviter": inviter,
                   "expires": invitation.expires_at, "site_name": cfg["LMS_SITE_NAME"],
                   "login_url": cfg["LMS_BASE_URL"].rstrip("/") + current_app.url_map.bind("localhost").build(
                       "auth.login", {})}
        found[mail.id] = RenderedMail(f"You are invited to {cfg['LMS_SITE_NAME']}: set your password",
                                      render_template("auth/mail/invitation.txt", **context),
                                      render_template("auth/mail/invitation.html", **context),
                                      to_name=person.name)
    return found
