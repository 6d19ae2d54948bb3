"""Server-side sessions: every sign-in is an :class:`AuthSession` row, checked on every request.

The session cookie and the remember-me cookie carry only a random token (Flask-Login's user id is the token); the
row says whose it is, until when it is valid and whether it was revoked. Logging out, "sign out everywhere", an
admin ending a person's sessions and a password change revoke rows, so a copied cookie stops working at once.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_login import current_user
from sqlalchemy import select, update

from lms.auth.models import AuthSession
from lms.extensions import db
from lms.people.models import Person
from lms.types import utcnow

TOUCH_EVERY = timedelta(minutes=5)  # last_seen_at is written at most this often per session


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(person: Person, *, remember: bool, user_agent: str = "", address: str = "") -> str:
    """Record a sign-in; return the token for the cookies (only its hash is stored).

    A remembered session lasts ``LMS_REMEMBER_DAYS``, any other ``PERMANENT_SESSION_LIFETIME``."""
    cfg = current_app.config
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(days=cfg["LMS_REMEMBER_DAYS"]) if remember else current_app.permanent_session_lifetime
    now = utcnow()
    db.session.add(AuthSession(token_hash=_hash(token), person_id=person.id, created_at=now, last_seen_at=now,
                               expires_at=now + lifetime, remembered=remember, user_agent=user_agent[:300],
                               address=address[:64]))
    db.session.flush()
    person.lms_session_token = token
    return token


def person_for_token(token: str) -> Person | None:
    """The active person whose valid (unexpired, unrevoked) session ``token`` is; None otherwise."""
    if not token or len(token) > 100:
        return None
    now = utcnow()
    row = db.session.scalar(select(AuthSession).where(AuthSession.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    person = db.session.get(Person, row.person_id)
    if person is None or not person.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        # Its own short transaction: the request may be a GET that never commits.
        with db.engine.begin() as connection:
            connection.execute(update(AuthSession).where(AuthSession.id == row.id).values(last_seen_at=now))
    person.lms_session_token = token
    person.lms_session_id = row.id
    return person


def current_session_id() -> int | None:
    """The id of the signed-in person's session row in this request, if any."""
    if not current_user.is_authenticated:
        return None
    return getattr(current_user._get_current_object(), "lms_session_id", None)


def revoke(session_id: int, reason: str) -> None:
    """End one session (logout)."""
    db.session.execute(update(AuthSession).where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
                       .values(revoked_at=utcnow(), revoked_reason=reason))


def revoke_all(person_id: int, reason: str, *, keep: int | None = None) -> int:
    """End every session of a person (but ``keep``, when given); returns how many were ended."""
    query = update(AuthSession).where(AuthSession.person_id == person_id, AuthSession.revoked_at.is_(None),
                                      AuthSession.expires_at > utcnow())
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    return db.session.execute(query.values(revoked_at=utcnow(), revoked_reason=reason)).rowcount


def end_person_sessions(person: Person, *, actor_id: int | None) -> int:
    """An admin ends every session of ``person`` (audited); returns how many were ended."""
    from lms.audit.services import record

    count = revoke_all(person.id, "ended by an admin")
    record(actor_id, "person.sessions_ended", person.email, sessions=count)
    return count


def active_sessions(person_id: int) -> list[AuthSession]:
    """A person's sessions still valid, newest first."""
    return list(db.session.scalars(
        select(AuthSession).where(AuthSession.person_id == person_id, AuthSession.revoked_at.is_(None),
                                  AuthSession.expires_at > utcnow())
        .order_by(AuthSession.created_at.desc(), AuthSession.id.desc())))
