"""Encrypted relays: STARTTLS and implicit TLS, with the relay's certificate checked against a configured CA, and
a login; a relay whose certificate is not trusted gets no mail."""
from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lms.extensions import db
from lms.mail.delivery import deliver
from lms.mail.services import queue_mail
from tests.conftest import Inbox, free_port


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and its key, as files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


class _Authenticator:
    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        ok = auth_data.login == b"rapport" and auth_data.password == b"relay-secret"
        return AuthResult(success=ok)


def _server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_through_an_encrypted_relay_with_a_login(make_app, certificate, security):
    inbox, port = Inbox(), free_port()
    options = {"tls_context": _server_context(certificate), "require_starttls": True} if security == "starttls" \
        else {"server_kwargs": {"ssl_context": _server_context(certificate)}}
    kwargs = options.pop("server_kwargs", {})
    # aiosmtpd only knows a session is encrypted when it came by STARTTLS; under implicit TLS it is encrypted anyway
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=_Authenticator(),
                            auth_required=True, auth_require_tls=security == "starttls", **options, **kwargs)
    controller.start()
    try:
        app = make_app(LMS_SMTP_PORT=port, LMS_SMTP_SECURITY=security, LMS_SMTP_CA_FILE=certificate[0],
                       LMS_SMTP_USERNAME="rapport", LMS_SMTP_PASSWORD="relay-secret")
        with app.app_context():
            queue_mail("a@example.com", "Over TLS", "Body")
            db.session.commit()
            assert deliver().sent == 1
        assert [m["Subject"] for m in inbox.messages] == ["Over TLS"]
    finally:
        controller.stop()


def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(make_app, certificate):
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=_server_context(certificate),
                            require_starttls=True)
    controller.start()
    try:
        app = make_app(LMS_SMTP_PORT=port, LMS_SMTP_SECURITY="starttls")  # the system CAs do not know it
        with app.app_context():
            queue_mail("a@example.com", "Over TLS", "Body")
            db.session.commit()
            report = deliver()
            assert report.sent == 0 and "CERTIFICATE_VERIFY_FAILED" in report.relay_down
        assert inbox.messages == []
    finally:
        controller.stop()
