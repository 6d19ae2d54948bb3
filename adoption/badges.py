"""Open Badges 3.0: each award is an OpenBadgeCredential (a W3C Verifiable Credential) signed as a VC-JWT (ES256)
with the site's key, verifiable by anyone with the issuer's published public key (JWK).

The private key is a PEM file in the instance folder (``LMS_BADGE_KEY_FILE`` to put it elsewhere), generated on
first use and never stored in the database or the repository; its public half is kept in ``adoption_signing_key``
by key id, so credentials stay verifiable after the key is rotated.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from flask import current_app

from adoption.models import Award, BadgeRule, SigningKey
from lms.extensions import db
from lms.people.models import Person
from lms.signals import LearnerRef
from lms.types import utcnow

CONTEXTS = ["https://www.w3.org/2018/credentials/v1", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def base_url() -> str:
    return current_app.config["LMS_BASE_URL"].rstrip("/")


def issuer_id() -> str:
    return f"{base_url()}/badges/issuer"


def credential_url(uid: str) -> str:
    return f"{base_url()}/badges/credentials/{uid}"


def _key_file() -> Path:
    return Path(current_app.config.get("LMS_BADGE_KEY_FILE") or Path(current_app.instance_path, "badge-key.pem"))


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict:
    numbers = key.public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": _b64(numbers.x.to_bytes(32, "big")),
            "y": _b64(numbers.y.to_bytes(32, "big"))}


def thumbprint(jwk: dict) -> str:
    """The RFC 7638 thumbprint of an EC public JWK: its key id."""
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode()).digest())


def signing_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """The site's private key and its key id, generated (and its public half published) on first use."""
    path = _key_file()
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    jwk = public_jwk(key.public_key())
    kid = thumbprint(jwk)
    if db.session.get(SigningKey, kid) is None:
        db.session.add(SigningKey(kid=kid, public_jwk={**jwk, "kid": kid, "use": "sig", "alg": "ES256"}))
        db.session.flush()
    return key, kid


def published_keys() -> list[dict]:
    """Every public key the issuer has signed with (a JWK Set's ``keys``)."""
    return [row.public_jwk for row in db.session.query(SigningKey).order_by(SigningKey.created_at)]


def issuer_profile() -> dict:
    """The issuer's Open Badges Profile, with its public keys."""
    site = current_app.config["LMS_SITE_NAME"]
    return {"@context": CONTEXTS[1:], "id": issuer_id(), "type": ["Profile"], "name": site, "url": base_url(),
            "description": f"{site} issues badges for milestones of the CRM rollout's training and adoption.",
            "publicKey": published_keys()}


def sign(payload: dict) -> str:
    key, kid = signing_key()
    header = {"alg": "ES256", "typ": "JWT", "kid": f"{issuer_id()}#{kid}"}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def credential_for(rule: BadgeRule, person: Person, uid: str, at) -> dict:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    from adoption.incentives import rule_text

    achievement = {
        "id": f"{base_url()}/badges/achievements/{rule.id}", "type": ["Achievement"], "name": rule.name,
        "description": rule.description or rule_text(rule), "criteria": {"narrative": rule_text(rule)},
        "image": {"id": f"{base_url()}/badges/achievements/{rule.id}/image.png", "type": "Image"},
    }
    return {
        "@context": CONTEXTS, "id": credential_url(uid), "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": rule.name, "issuer": {"id": issuer_id(), "type": ["Profile"],
                                      "name": current_app.config["LMS_SITE_NAME"], "url": base_url()},
        "issuanceDate": stamp, "awardedDate": stamp,
        "credentialSubject": {
            "type": ["AchievementSubject"], "achievement": achievement,
            "identifier": [{"type": "IdentityObject", "hashed": True, "identityType": "emailAddress", "salt": uid,
                            "identityHash": "sha256$" + hashlib.sha256(
                                (person.email.lower() + uid).encode()).hexdigest()}]},
        "credentialStatus": {"id": f"{credential_url(uid)}/status", "type": "1EdTechRevocationList"},
    }


def issue(rule: BadgeRule, person: Person) -> Award:
    """Award ``rule``'s badge to ``person``: sign the credential, keep it, record the xAPI statement."""
    from tracking import api as tracking_api

    uid, at = str(uuid.uuid4()), utcnow().replace(microsecond=0)
    credential = credential_for(rule, person, uid, at)
    payload = {"vc": credential, "iss": issuer_id(), "jti": credential["id"], "nbf": int(at.timestamp()),
               "sub": credential["credentialSubject"]["identifier"][0]["identityHash"]}
    award = Award(uid=uid, rule_id=rule.id, person_id=person.id, awarded_at=at, jwt=sign(payload))
    db.session.add(award)
    db.session.flush()
    tracking_api.record_badge_earned(LearnerRef(person.id, person.name, person.email, person.employee_id),
                                     badge_id=credential["credentialSubject"]["achievement"]["id"],
                                     badge_name=rule.name, at=at)
    return award


@dataclass(frozen=True)
class Verification:
    valid: bool  # the signature verifies with a published key and the credential is well formed
    revoked: bool
    reason: str
    credential: dict | None

    @property
    def status(self) -> str:
        if not self.valid:
            return "invalid"
        return "revoked" if self.revoked else "valid"


def verify(token: str) -> Verification:
    """Check a VC-JWT: its signature against the issuer's published keys, then whether it has been revoked."""
    try:
        head, body, signature = token.strip().split(".")
        header, payload = json.loads(_unb64(head)), json.loads(_unb64(body))
        raw = _unb64(signature)
    except (ValueError, TypeError):
        return Verification(False, False, "This is not a VC-JWT (three base64url parts).", None)
    if header.get("alg") != "ES256":
        return Verification(False, False, "Only ES256 signatures are issued here.", None)
    kid = str(header.get("kid", "")).rpartition("#")[2]
    row = db.session.get(SigningKey, kid)
    if row is None or len(raw) != 64:
        return Verification(False, False, "The key this credential names is not one the issuer published.", None)
    key = ec.EllipticCurvePublicNumbers(int.from_bytes(_unb64(row.public_jwk["x"]), "big"),
                                        int.from_bytes(_unb64(row.public_jwk["y"]), "big"),
                                        ec.SECP256R1()).public_key()
    try:
        key.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                   f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return Verification(False, False, "The signature does not match: the credential was altered.", None)
    credential = payload.get("vc") or {}
    uid = str(credential.get("id", "")).rpartition("/")[2]
    award = db.session.query(Award).filter_by(uid=uid).one_or_none()
    if award is None:
        return Verification(False, False, "This issuer has no record of this credential.", credential)
    if award.revoked_at is not None:
        reason = f"Revoked on {award.revoked_at:%d %B %Y}" + (f": {award.revoked_reason}" if award.revoked_reason
                                                               else ".")
        return Verification(True, True, reason, credential)
    return Verification(True, False, "The signature verifies with the issuer's published key.", credential)


def revoke(award: Award, reason: str) -> None:
    if award.revoked_at is None:
        award.revoked_at = utcnow()
        award.revoked_reason = reason.strip()[:300]


def credential_of(award: Award) -> dict:
    return json.loads(_unb64(award.jwt.split(".")[1]))["vc"]
