"""LRS clients: create, list, revoke, and check HTTP Basic credentials quickly (HMAC-SHA256, constant time)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from lms.audit.services import record as audit
from lms.errors import DomainError, NotFound
from lms.extensions import db
from lms.types import utcnow
from tracking.models import LrsClient

SCOPES = ("read", "write")


@dataclass(frozen=True)
class ClientPrincipal:
    """Who is calling the LRS: what :func:`lms.permissions.requires_lrs_scope` puts in ``g.api_client``."""

    id: int | None
    key: str
    name: str
    scopes: frozenset[str]

    def authority(self) -> dict:
        """The Agent Rapport records as ``authority`` on statements this client stores."""
        home = current_app.config["LMS_BASE_URL"].rstrip("/") + "/xapi/clients"
        return {"objectType": "Agent", "name": self.name, "account": {"homePage": home, "name": self.key}}


#: The authority of statements Rapport records itself (its own learning events).
SYSTEM = ClientPrincipal(id=None, key="rapport", name="Rapport", scopes=frozenset(SCOPES))


@dataclass(frozen=True)
class NewClient:
    client: LrsClient
    secret: str  # shown once, never stored


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()


def create_client(name: str, scopes: list[str] | tuple[str, ...], *, actor_id: int | None = None) -> NewClient:
    """Create a client with a random key and 32-byte secret; the caller shows the secret once and commits.
    ``actor_id``: the admin doing it, for the audit log (None: the command line)."""
    name = name.strip()
    if not name or len(name) > 120:
        raise DomainError("Give the client a name of 1 to 120 characters.", field="name")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise DomainError(f"Scopes must be some of: {', '.join(SCOPES)}.", field="scopes")
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    client = LrsClient(name=name, key=secrets.token_hex(10), salt=salt, secret_hash=_digest(salt, secret),
                       scope_list=" ".join(sorted(set(scopes))))
    db.session.add(client)
    db.session.flush()
    audit(actor_id, "lrs_client.create", client.key, name=client.name, scopes=sorted(set(scopes)))
    return NewClient(client, secret)


def list_clients() -> list[LrsClient]:
    return list(db.session.scalars(select(LrsClient).order_by(LrsClient.revoked_at.is_not(None), LrsClient.name)))


def revoke_client(key: str, *, actor_id: int | None = None) -> LrsClient:
    """Revoke a client: its credentials are refused from the next request on."""
    client = db.session.scalar(select(LrsClient).where(LrsClient.key == key))
    if client is None:
        raise NotFound(f"No LRS client has the key {key}.")
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        audit(actor_id, "lrs_client.revoke", client.key, name=client.name)
    return client


def set_counts_toward_progress(client_id: int, counts: bool, *, actor_id: int | None) -> int:
    """Decide whether a client's statements feed the progress projections (audited). The rows of every (actor,
    activity) it sent statements about are recomputed at once, so the past follows the decision too; returns how
    many pairs were."""
    from tracking.models import Statement
    from tracking.services_progress import recompute

    client = db.session.get(LrsClient, client_id)
    if client is None:
        raise NotFound("There is no such LRS client.")
    if client.counts_toward_progress == counts:
        return 0
    client.counts_toward_progress = counts
    db.session.flush()
    audit(actor_id, "lrs_client.counts_toward_progress", client.key, name=client.name, counts=counts)
    pairs = {tuple(row) for row in db.session.execute(
        select(Statement.actor_key, Statement.activity_id).distinct()
        .where(Statement.client_id == client.id, Statement.activity_id.is_not(None)))}
    recompute(pairs)
    return len(pairs)


def authenticate(key: str, secret: str) -> ClientPrincipal | None:
    """The client whose key and secret these are, if it is not revoked."""
    row = db.session.execute(
        select(LrsClient.id, LrsClient.name, LrsClient.salt, LrsClient.secret_hash, LrsClient.scope_list)
        .where(LrsClient.key == key, LrsClient.revoked_at.is_(None))
    ).first()
    if row is None:
        hmac.compare_digest("0" * 64, _digest("00" * 16, secret))  # same work whether or not the key exists
        return None
    if not hmac.compare_digest(row.secret_hash, _digest(row.salt, secret)):
        return None
    return ClientPrincipal(row.id, key, row.name, frozenset(row.scope_list.split()))
