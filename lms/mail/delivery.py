"""Delivering the outbox: :func:`deliver` is what ``flask lms worker`` (any number of them) and the background
sender call. The rows' side (claims, messages, outcomes) is :mod:`lms.mail.outbox`; the wire is :mod:`lms.mail.smtp`.

The moment that matters is the end of each message's DATA: before it a message can be sent again safely, after it
it must not be. So each round's messages are *handed over* (recorded as sent, committed) before their final "."
goes out, and a message can never be sent twice; the previous round's outcomes (the relay's replies, retries with
backoff for temporary failures, a bounce and a suppressed address for permanent ones) go in that same commit.

A worker keeps the relay busy while it renders and commits. It has three kinds of threads:

- one reads **ahead**: claims the next batch (a lease, so another worker never takes it), renders what needs
  rendering and builds each message; rows that will not be sent are settled there;
- ``LMS_MAIL_SENDERS`` **senders** each send prepared batches in rounds over their share of the
  ``LMS_SMTP_CONNECTIONS`` sessions;
- one **commits** the senders' hand-overs together: while it syncs one group to disk, the next gathers, so the
  cost of a durable commit is shared by every round waiting for it (group commit).

A worker killed at any moment leaves rows that another worker takes over when their lease runs out: those not yet
handed over are sent again (once), those handed over are "sent" (their reply "not confirmed" if it never came).
A request's own few mails (``ids``) are sent in the caller's thread, one batch, without the helpers.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field, replace

from flask import Flask, current_app

from lms.extensions import db
from lms.mail import outbox
from lms.mail.outbox import WRITING, DeliveryReport
from lms.mail.smtp import Envelope, Pool, RateLimit, RelayUnavailable, Result, SmtpSettings, send_round

__all__ = ["DeliveryReport", "deliver"]


@dataclass(frozen=True)
class Batch:
    token: str  # the claim
    envelopes: list[Envelope]


def _settings() -> dict:
    cfg = current_app.config
    return {"batch": int(cfg.get("LMS_MAIL_BATCH") or 200), "lease": float(cfg.get("LMS_MAIL_LEASE") or 60),
            "rate": float(cfg.get("LMS_MAIL_RATE") or 0), "retry": float(cfg.get("LMS_MAIL_RETRY_BASE") or 30),
            "attempts": int(cfg.get("LMS_MAIL_MAX_ATTEMPTS") or 8),
            "senders": max(1, int(cfg.get("LMS_MAIL_SENDERS") or 1))}


def deliver(ids: list[int] | None = None, *, budget: float = 10.0) -> DeliveryReport:
    """Send due mail (or exactly ``ids``) for up to ``budget`` seconds, in claimed batches; commits as it goes."""
    opts = _settings()
    report = DeliveryReport()
    started = time.monotonic()
    smtp = SmtpSettings.from_config(current_app.config)
    rate = RateLimit(opts["rate"])
    # a batch claimed ahead waits while the one before it is sent: both must go well within one lease
    size = opts["batch"] if not opts["rate"] else max(1, min(opts["batch"], int(opts["rate"] * opts["lease"] / 4)))
    if ids is None:
        _deliver_ahead(smtp, rate, size, opts, report, deadline=started + budget)
    else:
        token, rows = outbox.claim(size, opts["lease"], ids)
        if rows:
            batch = Batch(token, outbox.prepare(rows, token, report))
            with Pool(smtp) as pool:
                try:
                    _send(pool, batch, rate, opts, report, _commit_here)
                except RelayUnavailable as exc:
                    report.relay_down = str(exc)
                    outbox.release(batch.token, str(exc), opts)
    report.seconds = time.monotonic() - started
    return report


def _deliver_ahead(smtp: SmtpSettings, rate: RateLimit, size: int, opts: dict, report: DeliveryReport, *,
                   deadline: float) -> None:
    app = current_app._get_current_object()
    lanes = min(opts["senders"], smtp.connections)
    ahead = Ahead(app, size, opts["lease"], deadline=deadline)
    committer = Committer(app) if lanes > 1 else None  # one sender commits its own hand-overs
    senders = [Sender(app, ahead, committer or _commit_here,
                      replace(smtp, connections=max(1, smtp.connections // lanes)), rate, opts) for _ in range(lanes)]
    for sender in senders:
        sender.thread.join()
    if committer is not None:
        committer.stop()
    for token in ahead.stop():  # claimed but not sent (the relay went down, an error): back to the queue at once
        outbox.release(token, next((s.report.relay_down for s in senders if s.report.relay_down), None)
                       or "the worker stopped before sending it", opts)
    report.add(ahead.report)
    for sender in senders:
        report.add(sender.report)
        report.relay_down = report.relay_down or sender.report.relay_down
    for error in [ahead.error, *(sender.error for sender in senders)]:
        if error is not None:
            raise error


def _commit_here(keys: list[int], token: str, message_ids: dict[int, str], pending: list[Result], opts: dict,
                 report: DeliveryReport) -> set[int]:
    """Write the last round's outcomes and hand this round over, in one commit, in this thread."""
    request = _HandOver(keys, token, message_ids, pending, opts, report)
    _record([request])
    return request.owned


def _record(group: list[_HandOver]) -> None:
    """Write each request's outcomes and hand its round over, all in one commit (rolled back on any error)."""
    with WRITING:
        try:
            for request in group:
                outbox.write_outcomes(request.pending, request.token, request.opts, request.report)
                if request.keys:
                    request.owned = outbox.hand_over(request.keys, request.token, request.message_ids)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def _send(pool: Pool, batch: Batch, rate: RateLimit, opts: dict, report: DeliveryReport, commit) -> None:
    """Send one batch in rounds; ``commit`` writes the outcomes waiting and hands a round over (see above)."""
    pending: list[Result] = []  # the last round's outcomes, written with the next hand-over
    message_ids = {e.key: e.message_id for e in batch.envelopes}

    def hand_over(keys: list[int]) -> set[int]:
        owned = commit(keys, batch.token, message_ids, pending, opts, report)
        pending.clear()
        return owned

    try:
        for start in range(0, len(batch.envelopes), pool.settings.connections):
            chunk = batch.envelopes[start:start + pool.settings.connections]
            rate.wait(len(chunk))
            pending.extend(send_round(pool, chunk, hand_over))
    finally:  # the relay went away, or worse: what was sent is recorded; handed-over rows stay "sent" anyway
        if pending:
            commit([], batch.token, message_ids, pending, opts, report)


class Ahead:
    """Claims and prepares batches in a thread of its own while the senders send the previous ones."""

    _DONE = object()

    def __init__(self, app: Flask, size: int, lease: float, *, deadline: float) -> None:
        self.app, self.size, self.lease, self.deadline = app, size, lease, deadline
        self.report = DeliveryReport()
        self.error: BaseException | None = None
        self._ready: queue.Queue = queue.Queue(maxsize=1)
        self._stopping = threading.Event()
        self._done = threading.Event()
        self._left: list[str] = []  # claims prepared but never given to a sender
        self.thread = threading.Thread(target=self._run, name="mail-ahead", daemon=True)
        self.thread.start()

    def next(self) -> Batch | None:
        """The next prepared batch, or None when there is no more (or reading ahead stopped)."""
        while not self._stopping.is_set():
            try:
                item = self._ready.get(timeout=0.1)
            except queue.Empty:
                if self._done.is_set():
                    return None
                continue
            if item is self._DONE:
                self._done.set()
                return None
            return item
        return None

    def _run(self) -> None:
        with self.app.app_context():
            try:
                while not self._stopping.is_set() and time.monotonic() < self.deadline:
                    token, rows = outbox.claim(self.size, self.lease, None)
                    if not rows:
                        break
                    self._put(Batch(token, outbox.prepare(rows, token, self.report)))
            except BaseException as exc:  # the senders stop; deliver() raises it
                self.error = exc
                self._stopping.set()
                db.session.rollback()
            finally:
                self._put(self._DONE)
                db.session.remove()

    def _put(self, item) -> None:
        while not self._stopping.is_set():
            try:
                self._ready.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        if isinstance(item, Batch):
            self._left.append(item.token)

    def stop_soon(self) -> None:
        self._stopping.set()

    def stop(self) -> list[str]:
        """Stop reading ahead; returns the claims that were prepared but will not be sent."""
        self._stopping.set()
        self.thread.join()
        while True:
            try:
                item = self._ready.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, Batch):
                self._left.append(item.token)
        left, self._left = self._left, []
        return left


@dataclass
class _HandOver:
    keys: list[int]
    token: str
    message_ids: dict[int, str]
    pending: list[Result]
    opts: dict
    report: DeliveryReport  # the waiting sender's: only the committer touches it until ``done``
    done: threading.Event = field(default_factory=threading.Event)
    owned: set[int] = field(default_factory=set)
    error: BaseException | None = None


class Committer:
    """Commits the hand-overs of every sender waiting, together, in a thread with its own session."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._waiting: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="mail-commit", daemon=True)
        self.thread.start()

    def __call__(self, keys: list[int], token: str, message_ids: dict[int, str], pending: list[Result],
                 opts: dict, report: DeliveryReport) -> set[int]:
        request = _HandOver(keys, token, message_ids, list(pending), opts, report)
        self._waiting.put(request)
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.owned

    def _run(self) -> None:
        with self.app.app_context():
            stopping = False
            while not stopping:
                group = [self._waiting.get()]
                while True:
                    try:
                        group.append(self._waiting.get_nowait())
                    except queue.Empty:
                        break
                stopping = None in group
                group = [request for request in group if request is not None]
                if group:
                    self._commit(group)
            db.session.remove()

    def _commit(self, group: list[_HandOver]) -> None:
        try:
            _record(group)
        except BaseException as exc:  # nothing of the group was recorded: none of its rounds goes out
            for request in group:
                request.error, request.owned = exc, set()
        for request in group:
            request.done.set()

    def stop(self) -> None:
        self._waiting.put(None)
        self.thread.join()


class Sender:
    """A thread sending prepared batches over its own sessions."""

    def __init__(self, app: Flask, ahead: Ahead, committer, smtp: SmtpSettings, rate: RateLimit,
                 opts: dict) -> None:
        self.app, self.ahead, self.committer, self.smtp, self.rate, self.opts = app, ahead, committer, smtp, rate, opts
        self.report = DeliveryReport()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.app.app_context():
            try:
                with Pool(self.smtp) as pool:
                    while (batch := self.ahead.next()) is not None:
                        try:
                            _send(pool, batch, self.rate, self.opts, self.report, self.committer)
                        except RelayUnavailable as exc:
                            self.report.relay_down = str(exc)
                            outbox.release(batch.token, str(exc), self.opts)
                            self.ahead.stop_soon()
                            return
            except BaseException as exc:
                self.error = exc
                self.ahead.stop_soon()
            finally:
                db.session.remove()
