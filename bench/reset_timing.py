"""Benchmark: does "forgot password" answer a known address as fast as an unknown one?

Run from the repository root with the virtualenv's python::

    python bench/reset_timing.py [--requests 200]

It makes a fresh SQLite instance with one person, starts ``gunicorn -w 2 wsgi:app`` with a local aiosmtpd relay
that takes 300 ms per message (a slow relay makes any mail sent inside the request show), and posts the form for
the known address and for unknown ones, alternating, with the rate limits raised. It prints the response times
(p50, p95) for each and the difference of the medians. Before the outbox sent mail after the response, a known
address took about a second longer (the relay's time); the goal is a difference within noise (< 2 ms).
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import free_port  # noqa: E402

SETUP = r'''
from lms import create_app
from lms.extensions import db
from lms.migrate import upgrade
from lms.people.models import Person, PersonPermission
app = create_app()
with app.app_context():
    upgrade()
    db.session.add(Person(email="known@example.com", name="Known Person",
                          permission_rows=[PersonPermission(permission="learner")]))
    db.session.commit()
'''


class SlowRelay:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(0.3)
        return "250 OK"


def _post(port: int, email: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/auth/forgot")
    response = connection.getresponse()
    cookie = "; ".join(value.split(";")[0] for name, value in response.getheaders() if name.lower() == "set-cookie")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.read().decode()).group(1)
    body = urlencode({"csrf_token": token, "email": email})
    started = time.perf_counter()
    connection.request("POST", "/auth/forgot", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    answer = connection.getresponse()
    answer.read()
    elapsed = time.perf_counter() - started
    connection.close()
    assert answer.status == 302, (answer.status, cookie)
    return elapsed * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="rapport-reset-")
    relay = Controller(SlowRelay(), hostname="127.0.0.1", port=free_port())
    relay.start()
    port = free_port()
    env = {**os.environ, "LMS_ENV": "development", "LMS_INSTANCE_PATH": folder, "LMS_SMTP_PORT": str(relay.port),
           "LMS_RESET_MAX_PER_TARGET": "100000", "LMS_RESET_MAX_PER_CLIENT": "100000", "LMS_SECURE_COOKIES": "0"}
    server = None
    try:
        subprocess.run([sys.executable, "-c", SETUP], cwd=REPO, env=env, check=True)
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b",
                                   f"127.0.0.1:{port}", "wsgi:app"], cwd=REPO, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        known, unknown = [], []
        for n in range(args.requests):
            (known if n % 2 == 0 else unknown).append(
                _post(port, "known@example.com" if n % 2 == 0 else f"nobody{n}@example.com"))
        for name, times in (("known address", known), ("unknown address", unknown)):
            times.sort()
            print(f"{name:16} p50 {statistics.median(times):6.1f} ms  p95 {times[int(len(times) * 0.95)]:6.1f} ms"
                  f"  ({len(times)} requests)")
        difference = statistics.median(known) - statistics.median(unknown)
        print(f"reset: known_p50_ms={statistics.median(known):.1f} unknown_p50_ms={statistics.median(unknown):.1f} "
              f"difference_ms={difference:.1f}")
    finally:
        if server:
            server.terminate()
            server.wait()
        relay.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
