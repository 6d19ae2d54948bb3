"""Signed statements (xAPI-Data 2.6): a JWS attachment whose payload is the statement as it was signed."""
from __future__ import annotations

import base64
import binascii

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tracking.validation import InvalidStatement
from tracking.xapi_data import loads, same_statement

USAGE = "http://adlnet.gov/expapi/attachments/signature"
ALGORITHMS = {"RS256", "RS384", "RS512"}


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def check(statement: dict, header: dict, data: bytes, where: str) -> None:
    """Refuse a malformed signature: not JWS compact, wrong algorithm, or a payload that is not this statement."""
    if header["contentType"] != "application/octet-stream":
        raise InvalidStatement(f"{where}: a signature's contentType must be application/octet-stream.")
    try:
        protected, payload, signature = data.decode("ascii").strip().split(".")
        jws_header = loads(_b64(protected))
        signed = loads(_b64(payload))
        _b64(signature)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidStatement(f"{where}: the signature is not a JWS in compact serialisation.") from None
    if not isinstance(jws_header, dict) or not isinstance(jws_header.get("alg"), str) or (
            jws_header["alg"] not in ALGORITHMS):
        raise InvalidStatement(f"{where}: the signature's algorithm must be one of {', '.join(sorted(ALGORITHMS))}.")
    if not isinstance(signed, dict):
        raise InvalidStatement(f"{where}: the signature's payload is not a statement.")
    unsigned = {k: v for k, v in statement.items() if k != "attachments"}
    rest = [a for a in statement.get("attachments", []) if a["usageType"] != USAGE]
    if rest:
        unsigned["attachments"] = rest
    signed_copy = dict(signed)
    if "id" not in signed_copy and "id" in unsigned:
        signed_copy["id"] = unsigned["id"]
    try:
        equal = same_statement(signed_copy, unsigned)
    except (KeyError, TypeError, AttributeError, InvalidStatement):
        equal = False
    if not equal:
        raise InvalidStatement(f"{where}: the signed payload does not match the statement.")
    if "x5c" in jws_header:
        _verify_x5c(jws_header, protected, payload, signature, where)


def _verify_x5c(jws_header: dict, protected: str, payload: str, signature: str, where: str) -> None:
    """The signature must verify with the public key of the first certificate in ``x5c`` (xAPI-Data 2.6)."""
    digest = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}[jws_header["alg"]]
    chain = jws_header["x5c"]
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise InvalidStatement(f"{where}: x5c must be an array of base64 DER certificates.")
    try:
        key = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True)).public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise InvalidStatement(f"{where}: an {jws_header['alg']} signature needs an RSA certificate in x5c.")
        key.verify(_b64(signature), f"{protected}.{payload}".encode(), padding.PKCS1v15(), digest)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError, binascii.Error):
        raise InvalidStatement(f"{where}: the signature does not verify against its x5c certificate.") from None
