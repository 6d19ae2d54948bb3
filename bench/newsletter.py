"""Benchmark: one newsletter campaign to N recipients through a local aiosmtpd server, against a plain smtplib loop
sending as many messages of the same size to the same server, in the same run.

Run from the repository root with the virtualenv's python::

    python bench/newsletter.py                      # 100,000 recipients (the target size)
    python bench/newsletter.py --recipients 10000   # smaller, quicker

What it does:

1. A fresh SQLite instance in a temporary folder (``lms init``); N people (bulk insert) in 8 departments, all in
   "Wave 2"; a saved audience "Wave 2"; a newsletter whose subject and body are personalised (first name,
   department, two links: tracked, with an open pixel and a one-click unsubscribe header); the campaign is started
   through ``comms.campaigns.start`` (one outbox row per recipient, in one INSERT ... SELECT).
2. An aiosmtpd server in its own process that accepts and counts every message (it parses nothing).
3. **rapport**: one ``flask --app wsgi lms worker`` process sends the campaign (personalising each mail as it
   goes, links signed for its row, MIME) over ``LMS_SMTP_CONNECTIONS`` sessions (default here 32, shared by
   ``LMS_MAIL_SENDERS`` = 1 sending thread, batches of ``LMS_MAIL_BATCH`` = 128; each can be set in the
   environment) until no row is left, every round handed over in a synchronous=FULL commit before its final ".";
   wall clock from the worker's start (Python and the app's start-up included) to
   the last row settled; peak RSS of that worker (``ru_maxrss`` from ``os.wait4``).
4. **smtplib**: one connection, ``sendmail`` in a loop, N messages of the rapport mails' mean size, prebuilt.
5. The server's count is checked after each run (every message arrived, none twice).

The last line is exactly ``newsletter: recipients=N rapport_per_s=X smtplib_per_s=Y ratio=R peak_rss_mb=M``.
Goal: ratio at least 0.8, peak RSS under 300 MB.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BODY = """Hello {{ first_name }},

Here is what changed in {{ department }} this week: the **pipeline report** now updates every hour, and the
customer portal answers one request in three without a call.

- Read [the rollout blog](https://intranet.example.com/crm/blog) for the details.
- Your training is on [My learning]({{ my_learning_url }}).

Thank you for the kudos you sent: read them on the recognition wall.
"""

SINK = r"""
import asyncio, sys, threading
from aiosmtpd.controller import Controller

class Sink:
    def __init__(self):
        self.count = 0
    async def handle_DATA(self, server, session, envelope):
        self.count += len(envelope.rcpt_tos)
        return "250 OK"

sink = Sink()
controller = Controller(sink, hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
for line in sys.stdin:
    print(sink.count, flush=True)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The aiosmtpd sink in its own process; ``count()`` asks how many recipients it accepted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, "-c", SINK, str(self.port)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"

    def count(self) -> int:
        self.process.stdin.write("?\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def setup(env: dict, recipients: int) -> int:
    """The schema, the people, the audience and the started campaign; returns the mean message size in bytes."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "lms", "init"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    os.environ.update(env)
    from sqlalchemy import insert, select

    from comms import audiences, campaigns
    from comms.models import Audience
    from comms.sending import render
    from lms import create_app
    from lms.extensions import db
    from lms.mail import message as mime
    from lms.mail.models import OutgoingMail
    from lms.mail.rendering import MailToRender
    from lms.people.models import Department, Person, PersonPermission, RolloutWave
    from lms.types import utcnow

    app = create_app()
    with app.app_context():
        departments = [Department(name=f"Department {n}") for n in range(8)]
        wave = RolloutWave(name="Wave 2")
        office = Person(email="office@example.com", name="Olga Office", employee_id="OFFICE",
                        permission_rows=[PersonPermission(permission="program_office")])
        db.session.add_all([*departments, wave, office])
        db.session.flush()
        now = utcnow()
        for start in range(0, recipients, 10_000):
            db.session.execute(insert(Person), [
                {"email": f"reader{n:06d}@example.com", "name": f"Reader{n:06d} Example", "employee_id": f"R{n:06d}",
                 "wave_id": wave.id, "department_id": departments[n % 8].id, "active": True, "created_at": now,
                 "updated_at": now} for n in range(start, min(recipients, start + 10_000))])
        audience = Audience(name="Wave 2", rules={"field": "wave", "ids": [wave.id]})
        db.session.add(audience)
        db.session.flush()
        campaign = campaigns.save(campaigns.CampaignInfo("Rollout news", "Rollout news for {{ department }}, "
                                                         "{{ first_name }}", "newsletter", BODY, "CRM Program Office",
                                                         audience.id), campaign=None, actor=office)
        started = time.perf_counter()
        count = campaigns.start(campaign, actor_id=office.id)
        db.session.commit()
        print(f"campaign started: {count} deliveries written in {time.perf_counter() - started:.2f} s", flush=True)
        assert count == recipients
        assert db.session.scalar(select(db.func.count()).select_from(
            audiences.members(audience.rules).subquery())) == recipients
        sample = list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id).limit(50)))
        rendered = render([MailToRender(m.id, m.person_id, m.to_address, m.source, m.source_id, m.category)
                           for m in sample])
        sizes = [len(mime.smtp_data(mime.build(mime.Mail("Rapport <no-reply@rapport.invalid>", m.to_address,
                                                          rendered[m.id].to_name, rendered[m.id].subject,
                                                          rendered[m.id].text, rendered[m.id].html, now,
                                                          f"<{m.id}@x>", dict(rendered[m.id].headers)))))
                 for m in sample]
        db.session.rollback()
    return sum(sizes) // len(sizes)


def remaining(env: dict) -> int:
    import sqlite3

    path = env["LMS_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path, timeout=30) as connection:
        return connection.execute("SELECT count(*) FROM outgoing_mail WHERE source = 'campaign' AND status IN "
                                  "('queued', 'sending', 'held')").fetchone()[0]


WORKERS: list[subprocess.Popen] = []


def run_rapport(env: dict, server: Server, recipients: int) -> tuple[float, float]:
    started = time.perf_counter()
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "lms", "worker", "--interval", "0.2"],
                              cwd=REPO, env={**env, "LMS_SMTP_PORT": str(server.port)}, stdout=subprocess.DEVNULL)
    WORKERS.append(worker)
    last = None
    while True:
        time.sleep(0.5)
        left = remaining(env)
        if left == 0:
            break
        if worker.poll() is not None:
            raise SystemExit(f"the worker stopped (exit {worker.returncode}) with {left} mails left")
        now = time.perf_counter()
        if last is None or now - last > 10:
            print(f"  rapport: {recipients - left} sent after {now - started:.0f} s", flush=True)
            last = now
    seconds = time.perf_counter() - started
    worker.send_signal(signal.SIGTERM)
    _, _, usage = os.wait4(worker.pid, 0)
    received = server.count()
    assert received == recipients, f"the server received {received} of {recipients}"
    return recipients / seconds, usage.ru_maxrss / 1024


def run_smtplib(server: Server, recipients: int, size: int, already: int) -> float:
    body = ("Subject: Rollout news\r\nFrom: Rapport <no-reply@rapport.invalid>\r\nTo: reader@example.com\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
    line = "The pipeline report now updates every hour; the customer portal answers one request in three.\r\n"
    message = (body + line * max(1, (size - len(body)) // len(line))).encode()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", server.port) as smtp:
        for n in range(recipients):
            smtp.sendmail("no-reply@rapport.invalid", [f"reader{n:06d}@example.com"], message)
    seconds = time.perf_counter() - started
    received = server.count() - already
    assert received == recipients, f"the server received {received} of {recipients}"
    return recipients / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rapport-newsletter-"))
    env = {**os.environ, "LMS_ENV": "development", "LMS_INSTANCE_PATH": str(folder),
           "LMS_SECRET_KEY": "bench-secret", "LMS_BASE_URL": "https://lms.example.com",
           "LMS_DATABASE_URL": f"sqlite:///{folder / 'rapport.db'}", "LMS_SMTP_HOST": "127.0.0.1",
           "LMS_MAIL_BATCH": os.environ.get("LMS_MAIL_BATCH", "128"),
           "LMS_SMTP_CONNECTIONS": os.environ.get("LMS_SMTP_CONNECTIONS", "32"),
           "LMS_MAIL_SENDERS": os.environ.get("LMS_MAIL_SENDERS", "1"),
           "LMS_PLUGINS": "courses,tracking,comms"}
    server = None
    try:
        size = setup(env, args.recipients)
        print(f"mean message size: {size} bytes", flush=True)
        server = Server()
        rapport, rss = run_rapport(env, server, args.recipients)
        print(f"rapport: {rapport:.0f} mails/s, worker peak RSS {rss:.0f} MiB", flush=True)
        plain = run_smtplib(server, args.recipients, size, args.recipients)
        print(f"smtplib: {plain:.0f} mails/s", flush=True)
    finally:
        for worker in WORKERS:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"newsletter: recipients={args.recipients} rapport_per_s={rapport:.0f} smtplib_per_s={plain:.0f} "
          f"ratio={rapport / plain:.2f} peak_rss_mb={rss:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
