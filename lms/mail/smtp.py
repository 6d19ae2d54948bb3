"""Sending over SMTP: a few reused connections driven in lockstep, so a round of messages costs one round trip
per SMTP step rather than one per message, and one database commit marks a whole round as handed over.

The moment that matters is the end of the DATA phase. Everything before it can be repeated safely (the relay
discards a transaction that never ended), everything after it must not be. So for each round: MAIL, RCPT, DATA and
the message go out on every connection; then ``hand_over`` records the round's messages as sent, in one commit,
and returns those the caller still owns; only then does each connection send the final ``.``. A worker killed
before that commit leaves messages that go out again, once; killed after it, messages that the relay has (their
row says "sent, not confirmed"). No message can be sent twice.
"""
from __future__ import annotations

import contextlib
import enum
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass


class Outcome(enum.Enum):
    SENT = "sent"  # the relay accepted it (250)
    TEMPORARY = "temporary"  # 4xx, a refused or broken connection before the end of DATA: try again later
    PERMANENT = "permanent"  # 5xx for this recipient or message: do not try again
    REJECTED_SENDER = "rejected_sender"  # 5xx to MAIL FROM: a configuration problem, not the recipient's
    UNCONFIRMED = "unconfirmed"  # the end of DATA went out but no answer came back: the relay may have it
    LOST_CLAIM = "lost_claim"  # another worker owns the message now: abandoned before its end of DATA


@dataclass(frozen=True)
class Envelope:
    key: int  # the outbox row
    sender: str  # envelope sender address
    recipient: str
    data: bytes  # dot-stuffed message ending in CRLF, without the final "."
    message_id: str = ""  # its Message-ID header, recorded when it is handed over


@dataclass(frozen=True)
class Result:
    key: int
    outcome: Outcome
    reply: str
    handed_over: bool = False  # the reply came after the hand-over (to the final "."): the row says "sent"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str = "none"  # none | starttls | tls (implicit TLS, usually port 465)
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    ca_file: str | None = None  # trust this CA bundle instead of the system's (a private relay)
    connections: int = 4

    @classmethod
    def from_config(cls, cfg) -> SmtpSettings:
        security = (cfg.get("LMS_SMTP_SECURITY") or "none").lower()
        if security == "none" and cfg.get("LMS_SMTP_STARTTLS"):
            security = "starttls"
        return cls(cfg["LMS_SMTP_HOST"], int(cfg["LMS_SMTP_PORT"]), security, cfg.get("LMS_SMTP_USERNAME"),
                   cfg.get("LMS_SMTP_PASSWORD"), float(cfg.get("LMS_SMTP_TIMEOUT") or 10),
                   cfg.get("LMS_SMTP_CA_FILE"), max(1, int(cfg.get("LMS_SMTP_CONNECTIONS") or 1)))

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else ssl.create_default_context()


class RelayUnavailable(Exception):
    """No connection to the relay could be made (refused, timed out, TLS or login failed)."""


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, greeted (and, as configured, encrypted and authenticated) SMTP session."""
    try:
        if settings.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                                  context=settings.tls_context())
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        _no_delay(smtp)
        smtp.ehlo()
        if settings.security == "starttls":
            smtp.starttls(context=settings.tls_context())
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
    except (OSError, smtplib.SMTPException) as exc:
        raise RelayUnavailable(f"{type(exc).__name__}: {exc}") from exc
    return smtp


def _no_delay(smtp: smtplib.SMTP) -> None:
    """Send small writes at once: each message's final "." is a separate write after the hand-over commit, and with
    Nagle's algorithm it would wait for the relay's delayed ACK of the message (about 40 ms on Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Pool:
    """Up to ``settings.connections`` sessions, opened when needed and reused across rounds."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._idle: list[smtplib.SMTP] = []

    def take(self, count: int) -> list[smtplib.SMTP]:
        """``count`` sessions (at most the pool's size); raises RelayUnavailable when not even one opens."""
        taken = self._idle[:count]
        del self._idle[:count]
        error = None
        while len(taken) < min(count, self.settings.connections):
            try:
                taken.append(connect(self.settings))
            except RelayUnavailable as exc:
                error = exc
                break
        if not taken:
            raise error or RelayUnavailable("no connection")
        return taken

    def give_back(self, sessions: Iterable[smtplib.SMTP]) -> None:
        self._idle.extend(sessions)

    def close(self) -> None:
        for smtp in self._idle:
            _quit(smtp)
        self._idle.clear()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _reply(smtp: smtplib.SMTP) -> tuple[int, str]:
    code, message = smtp.getreply()
    return code, f"{code} {message.decode('utf-8', 'replace') if isinstance(message, bytes) else message}"[:480]


def send_round(pool: Pool, envelopes: list[Envelope], hand_over: Callable[[list[int]], set[int]]) -> list[Result]:
    """Send up to ``pool.settings.connections`` messages at once, one per session (see the module docstring).

    ``hand_over(keys)`` must durably record those messages as sent and return the keys the caller still owns.
    Raises RelayUnavailable when no session opens (nothing was sent)."""
    sessions = pool.take(len(envelopes))
    live: list[tuple[smtplib.SMTP, Envelope]] = list(zip(sessions, envelopes, strict=False))
    results = {e.key: Result(e.key, Outcome.TEMPORARY, "no connection to the relay") for e in envelopes[len(live):]}
    reusable: list[smtplib.SMTP] = []

    def step(command: Callable[[smtplib.SMTP, Envelope], None], accept: tuple[int, ...], on_5xx: Outcome) -> None:
        nonlocal live
        sent = []
        for smtp, envelope in live:
            try:
                command(smtp, envelope)
                sent.append((smtp, envelope))
            except (OSError, smtplib.SMTPException) as exc:
                results[envelope.key] = Result(envelope.key, Outcome.TEMPORARY, f"{type(exc).__name__}: {exc}")
                smtp.close()
        live = []
        for smtp, envelope in sent:
            try:
                code, text = _reply(smtp)
            except (OSError, smtplib.SMTPException) as exc:
                results[envelope.key] = Result(envelope.key, Outcome.TEMPORARY, f"{type(exc).__name__}: {exc}")
                smtp.close()
                continue
            if code in accept:
                live.append((smtp, envelope))
                continue
            results[envelope.key] = Result(envelope.key, on_5xx if 500 <= code < 600 else Outcome.TEMPORARY, text)
            if code == 421:  # the relay is closing this session
                smtp.close()
            elif _reset(smtp):
                reusable.append(smtp)

    step(lambda s, e: s.putcmd("mail", f"FROM:<{e.sender}>"), (250,), Outcome.REJECTED_SENDER)
    step(lambda s, e: s.putcmd("rcpt", f"TO:<{e.recipient}>"), (250, 251), Outcome.PERMANENT)
    step(lambda s, e: s.putcmd("data"), (354,), Outcome.PERMANENT)
    ready = []
    for smtp, envelope in live:
        try:
            smtp.send(envelope.data)
            ready.append((smtp, envelope))
        except (OSError, smtplib.SMTPException) as exc:
            results[envelope.key] = Result(envelope.key, Outcome.TEMPORARY, f"{type(exc).__name__}: {exc}")
            smtp.close()
    owned = hand_over([envelope.key for _, envelope in ready]) if ready else set()
    finishing = []
    for smtp, envelope in ready:
        if envelope.key not in owned:  # closing without the final "." makes the relay discard the transaction
            results[envelope.key] = Result(envelope.key, Outcome.LOST_CLAIM, "claimed by another worker")
            _abandon(smtp)
            continue
        try:
            smtp.send(b".\r\n")
            finishing.append((smtp, envelope))
        except (OSError, smtplib.SMTPException) as exc:
            results[envelope.key] = Result(envelope.key, Outcome.UNCONFIRMED, f"{type(exc).__name__}: {exc}", True)
            smtp.close()
    for smtp, envelope in finishing:
        try:
            code, text = _reply(smtp)
        except (OSError, smtplib.SMTPException) as exc:
            results[envelope.key] = Result(envelope.key, Outcome.UNCONFIRMED, f"{type(exc).__name__}: {exc}", True)
            smtp.close()
            continue
        outcome = Outcome.SENT if code == 250 else Outcome.PERMANENT if 500 <= code < 600 else Outcome.TEMPORARY
        results[envelope.key] = Result(envelope.key, outcome, text, True)
        if code == 421:
            smtp.close()
        else:
            reusable.append(smtp)
    pool.give_back(reusable)
    return [results[e.key] for e in envelopes]


def _reset(smtp: smtplib.SMTP) -> bool:
    try:
        code, _ = smtp.rset()
        return code == 250
    except (OSError, smtplib.SMTPException):
        smtp.close()
        return False


def _abandon(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError, AttributeError):  # a reset, not a polite close: the relay drops it
        smtp.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    smtp.close()


class RateLimit:
    """At most ``per_second`` messages a second (0: no limit), as a token bucket with a one-second burst."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = float(per_second or 0)
        self.burst = max(self.rate, 1.0)
        self.tokens = self.burst
        self.clock, self.sleep = clock, sleep
        self.stamp = clock()
        self._lock = threading.Lock()  # a worker's senders share one bucket

    def wait(self, count: int) -> None:
        """Block until ``count`` messages may go (a round larger than the burst waits for a full bucket)."""
        if self.rate <= 0:
            return
        with self._lock:
            self._wait(count)

    def _wait(self, count: int) -> None:
        needed = min(count, self.burst)
        while True:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= needed:
                self.tokens -= count  # may go below zero: the next round waits longer
                return
            self.sleep((needed - self.tokens) / self.rate)
