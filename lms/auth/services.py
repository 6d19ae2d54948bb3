"""Passwords, sign-in with throttling, and password reset tokens."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select

from lms.auth import sessions
from lms.auth.models import LoginFailure
from lms.errors import DomainError
from lms.extensions import db
from lms.mail.services import queue_mail
from lms.people.models import Person
from lms.types import utcnow

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong address costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("rapport-timing-equaliser")
MIN_PASSWORD_LENGTH = 10


class SignInRefused(DomainError):
    status_code = 401


class TooManyAttempts(DomainError):
    status_code = 429


@dataclass(frozen=True)
class SignInAttempt:
    email: str
    password: str
    address: str


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    return _hasher.hash(password)


def set_password(person: Person, password: str, *, keep_session: int | None = None,
                 reason: str = "password changed") -> None:
    """Set a new password and end every session of the person but ``keep_session`` (the one changing it)."""
    person.password_hash = hash_password(password)
    sessions.revoke_all(person.id, reason, keep=keep_session)


def sign_in(attempt: SignInAttempt) -> Person:
    """Return the person whose email and password match, or raise; failures count toward throttling."""
    email = attempt.email.strip().lower()
    keys = (f"account:{email}", f"address:{attempt.address}")
    _refuse_if_throttled(*keys)
    person = db.session.scalar(select(Person).where(Person.email == email))
    if person is None or not person.password_hash:
        _verify(_DUMMY_HASH, attempt.password)
        ok = False
    else:
        ok = _verify(person.password_hash, attempt.password)
    if not ok or person is None or not person.active:
        db.session.add_all(LoginFailure(key=key) for key in keys)
        raise SignInRefused("That email and password do not match an active account.")
    if _hasher.check_needs_rehash(person.password_hash):
        person.password_hash = _hasher.hash(attempt.password)
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == keys[0]))
    return person


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _refuse_if_throttled(account_key: str, address_key: str) -> None:
    cfg = current_app.config
    since = utcnow() - timedelta(seconds=cfg["LMS_LOGIN_FAILURE_WINDOW"])
    for key, limit in (
        (account_key, cfg["LMS_LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
        (address_key, cfg["LMS_LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    ):
        count = db.session.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.key == key, LoginFailure.at >= since)
        )
        if count >= limit:
            minutes = cfg["LMS_LOGIN_FAILURE_WINDOW"] // 60
            raise TooManyAttempts(f"Too many failed sign-ins. Wait {minutes} minutes or reset your password.")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lms.password-reset")


def make_reset_token(person: Person) -> str:
    # The hash fragment makes the token single-use: setting a new password changes it.
    return _serializer().dumps({"id": person.id, "h": (person.password_hash or "")[-12:]})


def person_for_reset_token(token: str) -> Person:
    try:
        data = _serializer().loads(token, max_age=current_app.config["LMS_PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise DomainError("This reset link has expired. Ask for a new one.") from None
    except BadSignature:
        raise DomainError("This reset link is not valid. Ask for a new one.") from None
    person = db.session.get(Person, data.get("id"))
    if person is None or not person.active or (person.password_hash or "")[-12:] != data.get("h"):
        raise DomainError("This reset link has already been used or is no longer valid. Ask for a new one.")
    return person


def request_password_reset(email: str) -> None:
    """Queue a reset mail if ``email`` belongs to an active person; say nothing either way (no enumeration)."""
    person = db.session.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None or not person.active:
        return
    link = current_app.config["LMS_BASE_URL"].rstrip("/") + url_for(
        "auth.reset_password", token=make_reset_token(person)
    )
    context = {"person": person, "link": link, "minutes": current_app.config["LMS_PASSWORD_RESET_MAX_AGE"] // 60}
    queue_mail(
        person.email,
        f"Reset your {current_app.config['LMS_SITE_NAME']} password",
        render_template("auth/mail/reset_password.txt", **context),
        render_template("auth/mail/reset_password.html", **context),
    )
