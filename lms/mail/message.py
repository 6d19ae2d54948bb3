"""A mail as the bytes SMTP sends: RFC 5322 headers and a MIME body (multipart/alternative when there is HTML).

Written out directly rather than through :mod:`email.message`: a campaign builds one message per recipient, and
the standard library's policy machinery costs more per message than sending it does. The parts are quoted-printable
(7-bit clean, so no 8BITMIME is needed); headers with non-ASCII text are RFC 2047 encoded and folded; CR and LF are
removed from every header value, so nothing a person typed can add a header.
"""
from __future__ import annotations

import binascii
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr

_UNSAFE = re.compile(r"[\r\n\x00]+")
_LINE_START_DOT = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class Mail:
    """Everything one message needs."""

    sender: str  # "Name <address>"
    to_address: str
    to_name: str | None
    subject: str
    text: str
    html: str | None
    date: datetime
    message_id: str
    headers: dict[str, str] = field(default_factory=dict)


def message_id(mail_id: int, sender: str, secret: str) -> str:
    """A stable Message-ID for an outbox row: sending the same row again gives the same id, so a mailbox that saw
    it already can tell (the digest keeps ids from being guessed across sites)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "rapport.invalid"
    digest = hmac.new(secret.encode(), str(mail_id).encode(), hashlib.sha256).hexdigest()[:16]
    return f"<{mail_id}.{digest}@{domain}>"


def _clean(value: str) -> str:
    return _UNSAFE.sub(" ", value).strip()


def _header(name: str, value: str) -> bytes:
    value = _clean(value)
    if value.isascii() and len(name) + len(value) < 976:
        line = f"{name}: {value}"
        return (_fold_ascii(line) if len(line) > 78 else line).encode("ascii") + b"\r\n"
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode("ascii")


def _fold_ascii(line: str) -> str:
    """Fold a long ASCII header at spaces (RFC 5322 2.2.3), keeping each line under 78 characters where it can."""
    out, current = [], ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > 76:
            out.append(current)
            current = " " + word
        else:
            current = f"{current} {word}" if current else word
    out.append(current)
    return "\r\n".join(out)


def _address(name: str | None, address: str) -> str:
    if not name:
        return address
    name = _clean(name)
    if name.isascii():
        return formataddr((name, address))
    return f"{Header(name, 'utf-8').encode()} <{address}>"


@functools.lru_cache(maxsize=64)
def _sender(sender: str) -> str:
    name, address = parseaddr(_clean(sender))
    return _address(name, address)


def _qp(text: str) -> bytes:
    body = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(body, quotetabs=False, istext=True, header=False)
    return encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _part(subtype: str, text: str) -> bytes:
    return (f"Content-Type: text/{subtype}; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode("ascii") + _qp(text)


def build(mail: Mail) -> bytes:
    """The message as bytes with CRLF line ends (not yet dot-stuffed for SMTP)."""
    head = [
        _header("From", _sender(mail.sender)),
        _header("To", _address(mail.to_name, mail.to_address)),
        _header("Subject", mail.subject),
        _header("Date", format_datetime(mail.date)),
        _header("Message-ID", mail.message_id),
        b"MIME-Version: 1.0\r\n",
    ]
    head += [_header(name, value) for name, value in mail.headers.items()]
    if mail.html is None:
        return b"".join(head) + _part("plain", mail.text)
    boundary = "=_rapport_" + secrets.token_hex(12)
    head.append(f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n".encode("ascii"))
    mark = f"--{boundary}\r\n".encode("ascii")
    return b"".join([*head, b"\r\n", mark, _part("plain", mail.text), b"\r\n", mark, _part("html", mail.html),
                     f"\r\n--{boundary}--\r\n".encode("ascii")])


def smtp_data(message: bytes) -> bytes:
    """The message as the DATA phase carries it, dot-stuffed and ending in CRLF, without the final ``.``."""
    data = _LINE_START_DOT.sub(b"..", message)
    return data if data.endswith(b"\r\n") else data + b"\r\n"
