"""Benchmark: the learner's lesson page of a 20-lesson course, through gunicorn with 2 workers, on SQLite.

Run from the repository root with the virtualenv's python::

    python bench/lesson_page.py [--seconds 10] [--clients 4]

It makes a fresh SQLite instance, builds and publishes a 20-lesson course from the starter content's lesson
texts, enrols a learner, starts ``gunicorn -w 2 wsgi:app``, signs in over HTTP and requests lesson pages in a
loop from several client threads for a fixed time. It prints the server time per request (the app's own
``Server-Timing`` header: p50, p95, p99) and requests/s, then does the same against a bare Flask hello-world
(bench/hello_app.py) under the same gunicorn settings, and prints the ratio. Goal: p95 server time < 50 ms.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench password 1"  # noqa: S105 (a throwaway benchmark account)
SETUP = r'''
from pathlib import Path
from sqlalchemy import select
from lms import create_app
from lms.extensions import db
from lms.auth.services import hash_password
from lms.people.models import Person, PersonPermission
from courses import authoring, enrolment
app = create_app()
with app.app_context():
    texts = sorted(Path("courses/content/packs").glob("*/lessons/*.md"))[:20]
    course = authoring.save_course(authoring.CourseInfo(slug="bench-course", title="Bench course",
                                                        kind="crm_application"), course=None, actor_id=None)
    for m in range(4):
        module = authoring.save_module(course, authoring.ModuleInfo(slug=f"m{{m}}", title=f"Module {{m + 1}}"))
        for text in texts[m * 5:(m + 1) * 5]:
            body = text.read_text().split("---", 2)[2]
            authoring.save_lesson(module, authoring.LessonInfo(title=text.stem, body=body, minutes=8))
    authoring.publish(course, actor_id=None)
    person = Person(email="bench@example.com", name="Bench Learner", password_hash=hash_password({password!r}),
                    permission_rows=[PersonPermission(permission="learner")])
    db.session.add(person)
    db.session.flush()
    e = enrolment.enrol(person, course)
    db.session.commit()
    keys = [i["key"] for mod in e.version.content["modules"] for i in mod["items"]]
    print(e.id, ",".join(keys))
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app: str, port: int, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", app,
                                "--log-level", "warning"], cwd=cwd, env=env)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"gunicorn ({app}) did not start")


def sign_in(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/auth/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = session_cookie(response)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urlencode({"csrf_token": token, "email": "bench@example.com", "password": PASSWORD})
    conn.request("POST", "/auth/login", body, {"Content-Type": "application/x-www-form-urlencoded",
                                               "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"sign-in failed: {response.status}")
    return session_cookie(response)


def session_cookie(response: http.client.HTTPResponse) -> str:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";")[0]
    raise SystemExit("no session cookie in the response")


def load(port: int, paths: list[str], cookie: str | None, seconds: float, clients: int) -> dict:
    timings: list[float] = []
    counts = [0] * clients
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": cookie} if cookie else {}
        n = 0
        while time.perf_counter() < stop:
            conn.request("GET", paths[(index + n) % len(paths)], headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(f"{response.status} on {paths[(index + n) % len(paths)]}")
                return
            server = response.getheader("Server-Timing")
            if server:
                timings.append(float(server.split("dur=")[1]))
            n += 1
        counts[index] = n

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit("errors: " + "; ".join(errors[:5]))
    return {"requests": sum(counts), "rps": sum(counts) / elapsed, "timings": sorted(timings)}


def percentile(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="rapport-bench-"))
    processes = []
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
        env.update(LMS_INSTANCE_PATH=str(root), LMS_ENV="development", LMS_SECURE_COOKIES="false")
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "lms", "init"], cwd=REPO, env=env,
                       check=True, capture_output=True)
        out = subprocess.run([sys.executable, "-c", SETUP.format(password=PASSWORD)], cwd=REPO, env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        enrolment_id, keys = out[-2], out[-1].split(",")
        paths = [f"/learning/e/{enrolment_id}/lesson/{key}" for key in keys]
        port = free_port()
        processes.append(start_gunicorn("wsgi:app", port, env, REPO))
        cookie = sign_in(port)
        load(port, paths, cookie, 2, args.clients)  # warm up: every lesson viewed once, caches filled
        rapport = load(port, paths, cookie, args.seconds, args.clients)
        hello_port = free_port()
        processes.append(start_gunicorn("hello_app:app", hello_port, env, REPO / "bench"))
        hello = load(hello_port, ["/"], None, args.seconds, args.clients)
        t = rapport["timings"]
        print(f"lesson page, 20-lesson course, SQLite, gunicorn -w 2, {args.clients} client threads, "
              f"{args.seconds:.0f} s, {os.cpu_count()} CPUs")
        print(f"  server time (Server-Timing): p50 {percentile(t, .5):.1f} ms  p95 {percentile(t, .95):.1f} ms  "
              f"p99 {percentile(t, .99):.1f} ms  mean {statistics.fmean(t):.1f} ms  over {len(t):,} requests")
        print(f"  Rapport lesson page: {rapport['rps']:8.1f} requests/s")
        print(f"  Flask hello-world:   {hello['rps']:8.1f} requests/s")
        print(f"  ratio:               {rapport['rps'] / hello['rps']:8.3f} of hello-world")
        verdict = "met" if percentile(t, .95) < 50 else "MISSED"
        print(f"  goal p95 < 50 ms server time: {verdict}")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
