"""Signed links in comms mail, reached without signing in: the open pixel, tracked links, unsubscribe and the
mail preferences page.

Each token is signed with the app's secret (itsdangerous) and names the outbox row it was made for; a tracked link's
token carries its target URL, so a link only ever redirects to a URL that was in that mail (no open redirect), and
a changed token is refused. Unsubscribe and preference tokens do not expire: a mail read months later still works.
"""
from __future__ import annotations

import base64
import functools
import hmac
import json
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, Signer
from itsdangerous.encoding import base64_encode

from comms.compose import Links
from lms.errors import DomainError

_SALTS = {"open": "comms.open", "click": "comms.click", "preferences": "comms.preferences"}


class BadLink(DomainError):
    """A link that was not made by Rapport, or was changed."""

    status_code = 404


class _Signer(Signer):
    """itsdangerous' Signer (HMAC-SHA1 over a derived key), keeping the keyed HMAC instead of deriving the key and
    keying a new HMAC for every token: a mail signs five. Tokens are the same as Signer's; unsign is Signer's."""

    @functools.cached_property
    def _mac(self) -> hmac.HMAC:
        return hmac.new(self.derive_key(), digestmod=self.digest_method)

    def get_signature(self, value: str | bytes) -> bytes:
        mac = self._mac.copy()
        mac.update(value.encode() if isinstance(value, str) else value)
        return base64_encode(mac.digest())


_SIGNERS: dict[tuple[str, str], Signer] = {}


def _signer(kind: str) -> Signer:
    key = (current_app.config["SECRET_KEY"], kind)
    found = _SIGNERS.get(key)
    if found is None:
        found = _SIGNERS[key] = _Signer(key[0], salt=_SALTS[kind])
    return found


def sign(kind: str, value) -> str:
    """A URL-safe token carrying ``value`` (JSON), signed with the app's secret for one kind of link. (A plain
    Signer over base64 JSON: the serializer's compression attempt costs more than the rest of a mail's links.)"""
    payload = base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).rstrip(b"=")
    return _signer(kind).sign(payload).decode("ascii")


def unsign(kind: str, token: str):
    try:
        payload = _signer(kind).unsign(token.encode("ascii"))
        return json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
    except (BadSignature, ValueError, UnicodeEncodeError):
        raise BadLink("This link is not valid: it was not made by Rapport, or it was changed.") from None


@dataclass(frozen=True)
class Preferences:
    person_id: int
    mail_id: int | None
    category: str | None


def preferences_token(person_id: int, mail_id: int | None, category: str | None) -> str:
    return sign("preferences", [person_id, mail_id, category])


def read_preferences_token(token: str) -> Preferences:
    value = unsign("preferences", token)
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], int)):
        raise BadLink("This link is not valid.")
    return Preferences(value[0], value[1], value[2])


def read_click_token(token: str) -> tuple[int, str]:
    value = unsign("click", token)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str)
            and value[1].lower().startswith(("http://", "https://"))):
        raise BadLink("This link is not valid.")
    return value[0], value[1]


def read_open_token(token: str) -> int:
    value = unsign("open", token)
    if not isinstance(value, int):
        raise BadLink("This link is not valid.")
    return value


class MailLinks(Links):
    """The links of one mail (one outbox row): tracked when ``track`` is on, preferences and unsubscribe always."""

    def __init__(self, mail_id: int, person_id: int | None, category: str, *, base_url: str, track: bool = True,
                 leavable: bool = False) -> None:
        self.mail_id, self.person_id, self.category = mail_id, person_id, category
        self.base = base_url.rstrip("/")
        self.tracking = track
        self.leavable = leavable
        self._tracked: dict[str, str] = {}

    def track(self, url: str) -> str:
        if not self.tracking:
            return url
        if url not in self._tracked:  # the HTML and the text part carry the same links
            self._tracked[url] = f"{self.base}/comms/l/{sign('click', [self.mail_id, url])}"
        return self._tracked[url]

    def pixel(self) -> str | None:
        return f"{self.base}/comms/o/{sign('open', self.mail_id)}.gif" if self.tracking else None

    def preferences(self) -> str | None:
        if self.person_id is None:
            return None
        if "prefs" not in self._tracked:
            self._tracked["prefs"] = (f"{self.base}/comms/preferences/"
                                      f"{preferences_token(self.person_id, self.mail_id, None)}")
        return self._tracked["prefs"]

    def unsubscribe(self) -> str | None:
        if self.person_id is None or not self.leavable:
            return None
        return f"{self.base}/comms/unsubscribe/{preferences_token(self.person_id, self.mail_id, self.category)}"
