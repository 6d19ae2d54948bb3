"""Passwords, sign-in with throttling, and password reset tokens."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from lms.audit.services import record as audit
from lms.auth import sessions, throttle
from lms.auth.models import PasswordResetRequest
from lms.errors import DomainError
from lms.extensions import db
from lms.mail.rendering import MailToRender, NotSent, RenderedMail
from lms.mail.services import queue_mail, queue_to_render
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

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProofRequired(DomainError):
    """The account (or the address) is throttled: a right password mails a sign-in link instead of signing in."""

    status_code = 401


PROOF_MESSAGE = (
    "There were too many failed sign-ins on this account or from this network, so signing in takes one more "
    "step: if the password is right, we email a one-time sign-in link to the account's address (valid 15 "
    "minutes; at most one every 5 minutes, so check your mailbox first). You can also use “Forgot your "
    "password?”, or ask an administrator to lift the lock."
)


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


def _failed(email: str, address: str, reason: str) -> None:
    audit(None, "auth.sign_in_failed", email[:200], address=address, reason=reason)


def sign_in(attempt: SignInAttempt) -> Person:
    """Return the person whose email and password match, or raise. See :mod:`lms.auth.throttle`: the attempt is
    counted (and committed) before the password is checked; past the limits a right password raises
    :class:`ProofRequired` and mails a one-time sign-in link instead. Sign-ins, failures and locks are audited."""
    email = attempt.email.strip().lower()[:254]
    address = (attempt.address or "unknown")[:64]
    state = throttle.count_attempt(email, address)
    if state.newly_locked:
        audit(None, "auth.locked", email[:200], address=address, attempts=state.attempts)
    if state.newly_flagged:
        audit(None, "auth.address_flagged", address, accounts=state.accounts_from_address)
    if state.needs_proof:
        wait = throttle.claim_check(email, state.attempts)
        if wait:
            _failed(email, address, "too soon after the last attempt")
            raise TooManyAttempts(f"Too many sign-in attempts on this account. Wait {wait} seconds and try again, "
                                  "or use “Email me a sign-in link” below.", retry_after=wait)
    person = db.session.scalar(select(Person).where(Person.email == email))
    if person is None or not person.password_hash:
        _verify(_DUMMY_HASH, attempt.password)
        ok = False
    else:
        ok = _verify(person.password_hash, attempt.password)
    ok = ok and person is not None and person.active
    if state.needs_proof:
        if ok:
            _mail_sign_in_link(person)
        else:
            _failed(email, address, "wrong password while a proof is required")
        raise ProofRequired(PROOF_MESSAGE)
    if not ok:
        _failed(email, address, "no such active account" if person is None or not person.active else "wrong password")
        raise SignInRefused("That email and password do not match an active account.")
    if _hasher.check_needs_rehash(person.password_hash):
        person.password_hash = _hasher.hash(attempt.password)
    throttle.succeeded(email, address)
    audit(person.id, "auth.sign_in", email[:200], address=address, method="password")
    return person


def check_current_password(person: Person, password: str, address: str) -> None:
    """The account page asks for the current password: counted like a sign-in, so a borrowed session cannot
    guess it either. Raises :class:`SignInRefused` or :class:`TooManyAttempts`."""
    state = throttle.count_attempt(person.email, (address or "unknown")[:64])
    if state.account_locked:
        raise TooManyAttempts("Too many wrong passwords on this account. Use “Forgot your password?” or ask an "
                              "administrator to lift the lock.", retry_after=60)
    if not _verify(person.password_hash or _DUMMY_HASH, password):
        _failed(person.email, address, "wrong current password on the account page")
        raise SignInRefused("That is not your current password.", field="current")
    throttle.succeeded(person.email, address)


def _mail_sign_in_link(person: Person) -> None:
    token = throttle.new_link(person.email)
    if token is None:  # one is in the mailbox already
        return
    link = current_app.config["LMS_BASE_URL"].rstrip("/") + url_for("auth.sign_in_link", token=token)
    context = {"person": person, "link": link, "minutes": int(throttle.LINK_VALID.total_seconds() // 60)}
    queue_mail(person.email, f"Your {current_app.config['LMS_SITE_NAME']} sign-in link",
               render_template("auth/mail/sign_in_link.txt", **context),
               render_template("auth/mail/sign_in_link.html", **context))
    audit(None, "auth.sign_in_link_sent", person.email[:200])


def request_sign_in_link(email: str, address: str) -> None:
    """"Email me a sign-in link": mail one to a locked account (or one signed into from a flagged address), the way
    in an attacker cannot block; say nothing either way. Other accounts sign in with their password or reset it."""
    email = email.strip().lower()[:254]
    person = db.session.scalar(select(Person).where(Person.email == email))
    if person is not None and person.active and throttle.needs_proof(email, (address or "unknown")[:64]):
        _mail_sign_in_link(person)


def person_for_sign_in_link(token: str) -> Person:
    """The person a valid sign-in link is for; raises DomainError when it expired or was used."""
    account = throttle.account_for_link(token)
    person = db.session.scalar(select(Person).where(Person.email == account)) if account else None
    if person is None or not person.active:
        raise DomainError("This sign-in link has expired or was already used. Sign in again to get a new one.")
    return person


def sign_in_with_link(token: str, address: str) -> Person:
    """Sign in with a one-time link (it works once); the account's throttling is reset."""
    person = person_for_sign_in_link(token)
    throttle.succeeded(person.email, address)
    audit(person.id, "auth.sign_in", person.email[:200], address=address, method="sign-in link")
    return person


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def lift_lock(kind: str, key: str, *, actor_id: int | None) -> bool:
    """An admin lifts an account's or an address's sign-in lock (audited). True when there was one."""
    lifted = throttle.lift(kind, key)
    if lifted:
        audit(actor_id, "auth.unlocked", key[:200], kind=kind)
    return lifted


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


def request_password_reset(email: str, address: str = "") -> None:
    """Ask for a reset mail for ``email``; say nothing about whether it belongs to anyone.

    Known and unknown addresses take exactly the same path in the request: one request row (its target kept as a
    digest) and one outbox row without a body. The mail is written after the response, by the background sender
    (:func:`render_reset_mails`), which skips addresses without an active account; so neither the answer nor its
    timing tells whether an account exists. At most ``LMS_RESET_MAX_PER_TARGET`` requests per address and window
    (no flooding someone's mailbox) and ``LMS_RESET_MAX_PER_CLIENT`` per client address and window are acted on.
    """
    cfg = current_app.config
    email = email.strip().lower()
    target = hashlib.sha256(email.encode()).hexdigest()
    since = utcnow() - timedelta(seconds=cfg["LMS_RESET_WINDOW"])
    for_target = db.session.scalar(select(func.count()).select_from(PasswordResetRequest).where(
        PasswordResetRequest.target == target, PasswordResetRequest.mailed.is_(True),
        PasswordResetRequest.at >= since))
    from_client = db.session.scalar(select(func.count()).select_from(PasswordResetRequest).where(
        PasswordResetRequest.address == address[:64], PasswordResetRequest.at >= since))
    allowed = for_target < cfg["LMS_RESET_MAX_PER_TARGET"] and from_client < cfg["LMS_RESET_MAX_PER_CLIENT"]
    db.session.add(PasswordResetRequest(target=target, address=address[:64], mailed=allowed))
    if allowed:
        queue_to_render(email, source="password_reset")
    db.session.flush()


def render_reset_mails(mails: list[MailToRender]) -> dict[int, RenderedMail | NotSent]:
    """The host's renderer for ``password_reset`` rows: a reset link for an active person, nothing otherwise."""
    cfg = current_app.config
    found: dict[int, RenderedMail | NotSent] = {}
    for mail in mails:
        person = db.session.scalar(select(Person).where(Person.email == mail.to_address.lower()))
        if person is None or not person.active:
            found[mail.id] = NotSent("skipped", "no active account has this address (a reset was asked for it)")
            continue
        link = cfg["LMS_BASE_URL"].rstrip("/") + current_app.url_map.bind("localhost").build(
            "auth.reset_password", {"token": make_reset_token(person)})
        context = {"person": person, "link": link, "minutes": cfg["LMS_PASSWORD_RESET_MAX_AGE"] // 60,
                   "config": cfg}
        found[mail.id] = RenderedMail(f"Reset your {cfg['LMS_SITE_NAME']} password",
                                      render_template("auth/mail/reset_password.txt", **context),
                                      render_template("auth/mail/reset_password.html", **context),
                                      to_name=person.name)
    return found
