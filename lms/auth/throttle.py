"""Sign-in throttling that an attacker cannot turn against the account's owner.

Per account, every attempt is counted before its password is checked, in its own committed statement (an upsert
that returns the new count), so parallel guesses each get their own number: only the first
``LMS_LOGIN_MAX_FAILURES_PER_ACCOUNT`` within the window are checked the ordinary way. Beyond that the account needs
a *proof*: its password is checked at most once per delay (doubling up to ``LMS_LOGIN_MAX_DELAY`` seconds; sooner
attempts get 429 with Retry-After, no worker waits), and a right password does not sign in but mails a one-time
sign-in link to the account's address. Right and wrong passwords get the same answer then, so guessing past the
limit teaches nothing. The owner always gets in, however fast an attacker keeps guessing: "Email me a sign-in
link" on the sign-in page mails the same link to a locked account without any password check (at most one mail
every few minutes, and a link stays valid meanwhile, so asking again is never needed to get in). An admin sees
and lifts locks.

Per client address, the rule counts *accounts* tried without success (made-up ones included), not failures: past
``LMS_LOGIN_MAX_ACCOUNTS_PER_ADDRESS`` within the window, accounts signed into from that address need the same
proof. Behind a company NAT a password spray therefore costs the colleagues one mail each, never their access.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from lms.auth.models import LoginAttempt, LoginThrottle
from lms.extensions import db
from lms.types import utcnow

LINK_VALID = timedelta(minutes=15)
LINK_EVERY = timedelta(minutes=5)  # at most one sign-in link mail per account this often


@dataclass(frozen=True)
class Attempt:
    """What counting an attempt found, before its password is checked."""

    attempts: int  # in the window, this one included
    accounts_from_address: int  # accounts tried from the address without success, this one included
    account_locked: bool
    address_flagged: bool
    newly_locked: bool
    newly_flagged: bool

    @property
    def needs_proof(self) -> bool:
        return self.account_locked or self.address_flagged


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["LMS_LOGIN_FAILURE_WINDOW"])


def _insert():
    return (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert


def count_attempt(account: str, address: str) -> Attempt:
    """Count one sign-in attempt for ``account`` from ``address`` and commit it at once (own transaction)."""
    cfg = current_app.config
    now = utcnow()
    since = now - _window()
    table = LoginThrottle.__table__
    expired = table.c.window_started_at < since
    insert = _insert()
    upsert = insert(table).values(account=account, attempts=1, window_started_at=now)
    upsert = upsert.on_conflict_do_update(index_elements=[table.c.account], set_={
        "attempts": case((expired, 1), else_=table.c.attempts + 1),
        "window_started_at": case((expired, now), else_=table.c.window_started_at),
        "next_check_at": case((expired, None), else_=table.c.next_check_at),
    }).returning(table.c.attempts)
    pair = insert(LoginAttempt.__table__).values(address=address, account=account, at=now)
    pair = pair.on_conflict_do_update(index_elements=["address", "account"], set_={"at": now})
    with db.engine.begin() as connection:
        attempts = connection.execute(upsert).scalar_one()
        connection.execute(pair)
        accounts = connection.execute(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.address == address, LoginAttempt.at >= since)).scalar_one()
    account_limit = cfg["LMS_LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    address_limit = cfg["LMS_LOGIN_MAX_ACCOUNTS_PER_ADDRESS"]
    return Attempt(attempts=attempts, accounts_from_address=accounts, account_locked=attempts > account_limit,
                   address_flagged=accounts > address_limit, newly_locked=attempts == account_limit + 1,
                   newly_flagged=accounts == address_limit + 1)


def needs_proof(account: str, address: str) -> bool:
    """Whether signing in to ``account`` from ``address`` needs a proof now (reads only; counts nothing)."""
    cfg = current_app.config
    since = utcnow() - _window()
    attempts = db.session.scalar(select(LoginThrottle.attempts).where(
        LoginThrottle.account == account, LoginThrottle.window_started_at >= since)) or 0
    if attempts > cfg["LMS_LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        return True
    accounts = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.address == address, LoginAttempt.at >= since))
    return accounts > cfg["LMS_LOGIN_MAX_ACCOUNTS_PER_ADDRESS"]


def claim_check(account: str, attempts: int) -> int:
    """In proof mode: take the account's next password check. Returns 0 when taken, else the seconds to wait.

    One statement, so of parallel attempts only one takes the slot."""
    cfg = current_app.config
    now = utcnow()
    excess = max(1, attempts - cfg["LMS_LOGIN_MAX_FAILURES_PER_ACCOUNT"])
    delay = min(cfg["LMS_LOGIN_MAX_DELAY"], 2 ** min(excess, 16))
    with db.engine.begin() as connection:
        taken = connection.execute(
            update(LoginThrottle).where(LoginThrottle.account == account,
                                        or_(LoginThrottle.next_check_at.is_(None), LoginThrottle.next_check_at <= now))
            .values(next_check_at=now + timedelta(seconds=delay))).rowcount
        if taken:
            return 0
        next_check = connection.execute(select(LoginThrottle.next_check_at).where(
            LoginThrottle.account == account)).scalar_one_or_none()
    if next_check is None:
        return 0
    return max(1, int((next_check - now).total_seconds() + 0.999))


def succeeded(account: str, address: str) -> None:
    """A sign-in worked: the account's count and its mark on the address go (in the caller's transaction)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.account == account))
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.account == account))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link(account: str) -> str | None:
    """A one-time sign-in link token for the account, or None when one was sent within ``LINK_EVERY`` (it is in
    the mailbox already). Written in the caller's transaction, with the mail."""
    now = utcnow()
    row = db.session.get(LoginThrottle, account)
    if row is None or (row.link_sent_at is not None and now - row.link_sent_at < LINK_EVERY):
        return None
    token = secrets.token_urlsafe(32)
    row.link_hash, row.link_expires_at, row.link_sent_at = _hash(token), now + LINK_VALID, now
    db.session.flush()
    return token


def account_for_link(token: str) -> str | None:
    """The account a valid, unused sign-in link is for; None otherwise."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.link_hash == _hash(token)))
    if row is None or row.link_expires_at is None or row.link_expires_at <= utcnow():
        return None
    return row.account


@dataclass(frozen=True)
class Lock:
    kind: str  # "account" or "address"
    key: str
    count: int  # attempts (account) or accounts tried (address)
    since: datetime
    link_sent_at: datetime | None = None


def locks() -> list[Lock]:
    """Accounts that need a proof to sign in, and addresses whose sign-ins do, right now."""
    cfg = current_app.config
    since = utcnow() - _window()
    found = [Lock("account", row.account, row.attempts, row.window_started_at, row.link_sent_at)
             for row in db.session.scalars(select(LoginThrottle).where(
                 LoginThrottle.window_started_at >= since,
                 LoginThrottle.attempts > cfg["LMS_LOGIN_MAX_FAILURES_PER_ACCOUNT"])
                 .order_by(LoginThrottle.window_started_at.desc()))]
    rows = db.session.execute(
        select(LoginAttempt.address, func.count(), func.min(LoginAttempt.at)).where(LoginAttempt.at >= since)
        .group_by(LoginAttempt.address)
        .having(func.count() > cfg["LMS_LOGIN_MAX_ACCOUNTS_PER_ADDRESS"]))
    found += [Lock("address", address, count, first) for address, count, first in rows]
    return found


def lift(kind: str, key: str) -> bool:
    """An admin lifts a lock: the account's count, or every mark on the address. True when there was one."""
    if kind == "account":
        return bool(db.session.execute(delete(LoginThrottle).where(LoginThrottle.account == key)).rowcount)
    if kind == "address":
        return bool(db.session.execute(delete(LoginAttempt).where(LoginAttempt.address == key)).rowcount)
    return False


def forget_old() -> int:
    """Remove throttling rows older than the window (the worker runs this); returns how many went."""
    since = utcnow() - _window()
    gone = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < since)).rowcount
    gone += db.session.execute(delete(LoginThrottle).where(and_(
        LoginThrottle.window_started_at < since,
        or_(LoginThrottle.link_expires_at.is_(None), LoginThrottle.link_expires_at < utcnow())))).rowcount
    return gone
