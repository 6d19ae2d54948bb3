"""Sending a request's mail once the response is on its way, in a background thread of the web process.

A request that queues mail (a password reset, an invitation) must not wait for the relay, nor answer more slowly
for a known address than for an unknown one. After the request, the ids it queued (and committed) are handed to
one daemon thread per app, which sends them through the same path as the worker (:func:`lms.mail.services.
deliver`). If the process dies first, the worker sends them: the rows are in the outbox either way.
"""
from __future__ import annotations

import queue
import threading

from flask import Flask

_queues: dict[int, queue.Queue] = {}
_lock = threading.Lock()


def kick(app: Flask, ids: list[int]) -> None:
    """Send these committed outbox rows soon, from the background."""
    with _lock:
        jobs = _queues.get(id(app))
        if jobs is None:
            jobs = _queues[id(app)] = queue.Queue()
            threading.Thread(target=_run, args=(app, jobs), name="mail-kicker", daemon=True).start()
    jobs.put(list(ids))


def drain(app: Flask, timeout: float = 30.0) -> None:
    """Wait until the app's background sender has sent everything handed to it (tests, orderly shutdown)."""
    jobs = _queues.get(id(app))
    if jobs is None:
        return
    done = threading.Event()
    jobs.put(done)
    done.wait(timeout)


def _run(app: Flask, jobs: queue.Queue) -> None:
    from lms.extensions import db
    from lms.mail.delivery import deliver

    while True:
        job = jobs.get()
        if isinstance(job, threading.Event):
            job.set()
            continue
        with app.app_context():
            try:
                deliver(job, budget=30.0)
            except Exception:  # the worker retries what is left; the web process must carry on
                app.logger.exception("sending mail %s after the response failed", job)
                db.session.rollback()
            finally:
                db.session.remove()
