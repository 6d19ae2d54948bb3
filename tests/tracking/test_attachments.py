"""Attachments and signed statements over multipart/mixed (xAPI-Communication 1.5.2, xAPI-Data 2.4.11, 2.6)."""
from __future__ import annotations

import base64
import hashlib
import json

from tests.tracking.conftest import statement

BOUNDARY = "abcABC0123'()+_,-./:=?"
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


def _header(data: bytes, usage="http://example.com/attachment-usage/certificate", content_type="text/plain"):
    return {"usageType": usage, "display": {"en-US": "certificate"}, "contentType": content_type,
            "length": len(data), "sha2": hashlib.sha256(data).hexdigest()}


def _multipart(statements, parts, *, transfer_encoding=True, hashes=None) -> bytes:
    out = [f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n{json.dumps(statements)}".encode()]
    for index, (content_type, data) in enumerate(parts):
        sha2 = (hashes or {}).get(index, hashlib.sha256(data).hexdigest())
        head = f"\r\n--{BOUNDARY}\r\n" + (f"Content-Type: {content_type}\r\n" if content_type else "")
        if transfer_encoding:
            head += "Content-Transfer-Encoding: binary\r\n"
        out.append(f"{head}X-Experience-API-Hash: {sha2}\r\n\r\n".encode() + data)
    out.append(f"\r\n--{BOUNDARY}--".encode())
    return b"".join(out)


def _post(lrs, body: bytes):
    return lrs.request("POST", "statements", data=body, content_type=f'multipart/mixed; boundary="{BOUNDARY}"')


def test_attachment_data_is_stored_and_returned_as_multipart(lrs):
    data = b"here is a simple attachment" + bytes(range(256))
    sent = statement(attachments=[_header(data, content_type="application/octet-stream")])
    assert _post(lrs, _multipart(sent, [("application/octet-stream", data)])).status_code == 200
    plain = lrs.get("statements", statementId=sent["id"])
    assert plain.content_type == "application/json" and plain.json["attachments"][0]["sha2"] == sent[
        "attachments"][0]["sha2"]
    full = lrs.get("statements", statementId=sent["id"], attachments="true")
    assert full.content_type.startswith("multipart/mixed")
    assert data in full.data and f"X-Experience-API-Hash: {hashlib.sha256(data).hexdigest()}".encode() in full.data
    listed = lrs.get("statements", attachments="true")
    assert data in listed.data


def test_a_part_without_content_type_is_returned_with_its_attachments_type(lrs):
    data = b"%PDF-1.7 certificate"
    sent = statement(attachments=[_header(data, content_type="application/pdf")])
    assert _post(lrs, _multipart(sent, [(None, data)])).status_code == 200
    full = lrs.get("statements", statementId=sent["id"], attachments="true")
    assert b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: binary" in full.data


def test_attachment_with_only_a_file_url_needs_no_part(lrs):
    header = _header(b"elsewhere") | {"fileUrl": "https://files.example.com/certificate.pdf"}
    assert lrs.post_statements(statement(attachments=[header])).status_code == 200


def test_attachment_without_data_or_file_url_is_refused(lrs):
    response = lrs.post_statements(statement(attachments=[_header(b"missing")]))
    assert response.status_code == 400 and "no fileUrl and no multipart part" in response.json["error"]


def test_a_part_whose_data_does_not_match_its_hash_is_refused(lrs):
    data = b"certificate"
    sent = statement(attachments=[_header(data)])
    body = _multipart(sent, [("text/plain", b"something else")], hashes={0: hashlib.sha256(data).hexdigest()})
    response = _post(lrs, body)
    assert response.status_code == 400 and "does not hash" in response.json["error"]
    assert lrs.get("statements", statementId=sent["id"]).status_code == 404


def test_parts_need_binary_transfer_encoding_and_a_matching_statement(lrs):
    data = b"certificate"
    sent = statement(attachments=[_header(data)])
    response = _post(lrs, _multipart(sent, [("text/plain", data)], transfer_encoding=False))
    assert response.status_code == 400 and "Content-Transfer-Encoding" in response.json["error"]
    response = _post(lrs, _multipart(statement(), [("text/plain", data)]))
    assert response.status_code == 400 and "match no attachment" in response.json["error"]


def _b64(value) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _signed(original: dict, *, alg="RS256", payload=None) -> tuple[dict, bytes]:
    jws = f"{_b64({'alg': alg})}.{_b64(payload or original)}.{_b64(b'not-checked-without-x5c')}".encode()
    signed = dict(original)
    signed["attachments"] = [_header(jws, usage=SIGNATURE, content_type="application/octet-stream")]
    return signed, jws


def test_signed_statement_with_matching_payload_is_accepted(lrs):
    original = statement()
    signed, jws = _signed(original)
    response = _post(lrs, _multipart(signed, [("application/octet-stream", jws)]))
    assert response.status_code == 200
    assert lrs.get("statements", statementId=original["id"]).json["attachments"][0]["usageType"] == SIGNATURE


def test_malformed_signatures_are_refused(lrs):
    original = statement()
    other = statement(verb="passed")
    for signed, jws, message in [
        (*_signed(original, payload=other), "does not match the statement"),
        (*_signed(original, alg="HS256"), "algorithm must be one of"),
    ]:
        response = _post(lrs, _multipart(signed, [("application/octet-stream", jws)]))
        assert response.status_code == 400 and message in response.json["error"]
    garbage = b"this is not a jws"
    signed = dict(original, attachments=[_header(garbage, usage=SIGNATURE, content_type="application/octet-stream")])
    response = _post(lrs, _multipart(signed, [("application/octet-stream", garbage)]))
    assert response.status_code == 400 and "compact serialisation" in response.json["error"]


def _certificate_and_key():
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Authoring tool")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode(), key


def _rs256(original: dict, certificate: str, key, *, sign_with=None) -> tuple[dict, bytes]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signing_input = f"{_b64({'alg': 'RS256', 'x5c': [certificate]})}.{_b64(original)}"
    signature = (sign_with or key).sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    jws = f"{signing_input}.{_b64(signature)}".encode()
    signed = dict(original, attachments=[_header(jws, usage=SIGNATURE, content_type="application/octet-stream")])
    return signed, jws


def test_a_signature_must_verify_against_its_x5c_certificate(lrs):
    certificate, key = _certificate_and_key()
    original = statement()
    signed, jws = _rs256(original, certificate, key)
    assert _post(lrs, _multipart(signed, [("application/octet-stream", jws)])).status_code == 200

    _, other_key = _certificate_and_key()
    forged = statement()
    signed, jws = _rs256(forged, certificate, key, sign_with=other_key)
    response = _post(lrs, _multipart(signed, [("application/octet-stream", jws)]))
    assert response.status_code == 400 and "does not verify against its x5c certificate" in response.json["error"]
    assert lrs.get("statements", statementId=forged["id"]).status_code == 404
