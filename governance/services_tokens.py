"""API tokens for the goal-values endpoint: created by an admin (shown once), stored as a keyed hash, revocable,
audited. A token reads ``rpt_<key>_<secret>``: the key finds the row, the secret is checked in constant time."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from governance.models import ApiToken
from lms.audit.services import record as audit
from lms.errors import DomainError, NotFound
from lms.extensions import db
from lms.types import utcnow

SCOPES = {"goals": "goals: read goals and record their values"}
PREFIX = "rpt"
_TOKEN = re.compile(r"^rpt_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$")


@dataclass(frozen=True)
class TokenPrincipal:
    """Who is calling: what :func:`lms.permissions.requires_api_token` puts in ``g.api_token``."""

    id: int
    key: str
    name: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole bearer token, shown once and never stored


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()


def create_token(name: str, scopes: list[str] | tuple[str, ...] = ("goals",), *, actor_id: int | None) -> NewToken:
    """A new token named after the system that uses it; the caller shows :attr:`NewToken.secret` once, commits."""
    name = name.strip()
    if not name or len(name) > 120:
        raise DomainError("Give the token a name of 1 to 120 characters (the system that uses it).", field="name")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise DomainError(f"Scopes must be some of: {', '.join(SCOPES)}.", field="scopes")
    key, secret, salt = secrets.token_hex(8), secrets.token_urlsafe(32), secrets.token_hex(16)
    token = ApiToken(name=name, key=key, salt=salt, secret_hash=_digest(salt, secret),
                     scope_list=" ".join(sorted(set(scopes))), created_by_id=actor_id)
    db.session.add(token)
    db.session.flush()
    audit(actor_id, "api_token.create", key, name=name, scopes=sorted(set(scopes)))
    return NewToken(token, f"{PREFIX}_{key}_{secret}")


def tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None),
                                                             ApiToken.created_at.desc())))


def revoke_token(token_id: int, *, actor_id: int | None) -> ApiToken:
    """Revoke a token: it is refused from the next request on."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("There is no such API token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit(actor_id, "api_token.revoke", token.key, name=token.name)
    return token


def authenticate(bearer: str) -> TokenPrincipal | None:
    """The token's principal, if it is well formed, known, not revoked and its secret matches."""
    match = _TOKEN.match(bearer)
    key, secret = (match.group(1), match.group(2)) if match else ("", bearer)
    row = db.session.execute(select(ApiToken.id, ApiToken.name, ApiToken.salt, ApiToken.secret_hash,
                                    ApiToken.scope_list)
                             .where(ApiToken.key == key, ApiToken.revoked_at.is_(None))).first() if key else None
    if row is None:
        hmac.compare_digest("0" * 64, _digest("00" * 16, secret))  # the same work whether or not the key exists
        return None
    if not hmac.compare_digest(row.secret_hash, _digest(row.salt, secret)):
        return None
    return TokenPrincipal(row.id, key, row.name, frozenset(row.scope_list.split()))


def touch(principal: TokenPrincipal) -> None:
    """Note when a token was last used (shown on the tokens page)."""
    db.session.execute(update(ApiToken).where(ApiToken.id == principal.id).values(last_used_at=utcnow()))
