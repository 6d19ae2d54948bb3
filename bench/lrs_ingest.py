"""Benchmark: statements per second into Rapport's LRS and into Learning Locker's, in the same run.

Run from the repository root with the virtualenv's python::

    python bench/lrs_ingest.py                     # 20,000 statements, batches of 100, 4 clients
    python bench/lrs_ingest.py --statements 5000 --database-url postgresql://postgres@127.0.0.1/bench

Rapport runs under gunicorn (2 workers) on a fresh SQLite database (or --database-url); Learning Locker's
``xapi-statements`` (npm, installed into .cache/node) keeps statements in memory. Both get the same statements,
POSTed in batches of 100 from 4 concurrent HTTP clients. After the run the Rapport database is counted: every
statement must be stored (durably: committed before each response). Goal: 10,000 statements/s into Rapport.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lrs_data import REPO, new_instance, statements, wait_for_workers  # noqa: E402

from tests.conftest import free_port  # noqa: E402
from tests.tracking.learning_locker import learning_locker  # noqa: E402
from tests.tracking.peer import wait_for_port  # noqa: E402

GOAL = 10_000


def post_all(endpoint: str, auth: tuple[str, str], batches: list[bytes], clients: int) -> float:
    """POST every batch from ``clients`` threads; return the wall time in seconds."""
    queue = list(enumerate(batches))
    lock = threading.Lock()
    failures: list[str] = []

    def run():
        with httpx.Client(auth=auth, timeout=120, headers={"X-Experience-API-Version": "1.0.3",
                                                           "Content-Type": "application/json"}) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    _, body = queue.pop()
                response = http.post(endpoint + "/statements", content=body)
                if response.status_code != 200:
                    failures.append(f"{response.status_code}: {response.text[:200]}")

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    print(f"  client CPU: {time.process_time() - cpu:.2f} s for {elapsed:.2f} s of posting", flush=True)
    if failures:
        raise SystemExit(f"{len(failures)} batch(es) failed, first: {failures[0]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--keep", action="store_true", help="leave the temp folder in place")
    parser.add_argument("--with-worker", action="store_true",
                        help="run `flask lms worker` during the ingest (derives as statements arrive) and time until "
                             "everything is derived")
    parser.add_argument("--worker-nice", type=int, default=0, help="run that worker with this niceness (0-19)")
    args = parser.parse_args()

    bodies = list(statements(args.statements))
    batches = [json.dumps(bodies[i:i + args.batch]).encode() for i in range(0, len(bodies), args.batch)]
    folder = Path(tempfile.mkdtemp(prefix="rapport-lrs-ingest-"))
    try:
        env, key, secret = new_instance(folder, args.database_url)
        port = free_port()
        ready = folder / "ready"
        ready.mkdir()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_command = ["nice", "-n", str(args.worker_nice), sys.executable, "-m", "flask", "--app", "wsgi", "lms",
                          "worker", "--interval", "0.1"]
        worker = (subprocess.Popen(worker_command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
                  if args.with_worker else None)
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b",
                                   f"127.0.0.1:{port}", "--log-level", "warning", "-c", "bench/gunicorn_ready.py",
                                   "wsgi:app"], cwd=REPO, env={**env, "BENCH_READY_DIR": str(ready)})
        try:
            wait_for_port(port)
            wait_for_workers(ready, args.workers)
            started = time.perf_counter()
            rapport = post_all(f"http://127.0.0.1:{port}/xapi", (key, secret), batches, args.clients)
            if worker:
                _wait_until_derived(env["LMS_DATABASE_URL"])
                print(f"  with a worker deriving during the ingest (nice {args.worker_nice}): everything derived "
                      f"{time.perf_counter() - started:.2f} s after the first request")
        finally:
            server.terminate()
            server.wait(30)
            if worker:
                worker.terminate()
                worker.wait(30)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        print(f"  server CPU (gunicorn and its workers, start-up included): {cpu:.2f} s")
        stored = _count(env)
        derived, derive_seconds = _derive_all(env)
        with learning_locker(folder / "learning-locker.log") as url:
            locker = post_all(url, ("bench", "bench"), batches, args.clients)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    n = args.statements
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{n:,} statements, batches of {args.batch}, {args.clients} concurrent clients")
    print(f"Rapport (gunicorn -w {args.workers}, {database}): {rapport:7.2f} s  {n / rapport:9,.0f} statements/s"
          f"  (stored and counted afterwards: {stored:,})")
    print(f"Derived afterwards by one worker (query keys, activities, progress): {derived:,} statements in "
          f"{derive_seconds:.2f} s, {derived / derive_seconds:,.0f} statements/s")
    print(f"Learning Locker xapi-statements (memory): {locker:7.2f} s  {n / locker:9,.0f} statements/s")
    print(f"ratio Rapport / Learning Locker: {(n / rapport) / (n / locker):.2f}; goal {GOAL:,}/s into Rapport: "
          f"{'met' if n / rapport >= GOAL else 'not met'}")
    return 0 if stored == n else 1


def _wait_until_derived(url: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        while connection.execute(sqlalchemy.text("SELECT count(*) FROM xapi_pending")).scalar():
            connection.rollback()
            time.sleep(0.02)
    engine.dispose()


def _derive_all(env: dict[str, str]) -> tuple[int, float]:
    """What one ``flask lms worker`` does with the backlog: derive every pending statement; (count, seconds)."""
    code = ("import time; from lms import create_app; from tracking.services_derive import derive_pending\n"
            "app = create_app()\nwith app.app_context():\n"
            "    started, total = time.perf_counter(), 0\n"
            "    while (count := derive_pending()):\n        total += count\n"
            "    print(total, time.perf_counter() - started)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]), float(out[1])


def _count(env: dict[str, str]) -> int:
    code = ("from lms import create_app; from lms.extensions import db; from sqlalchemy import text\n"
            "app = create_app()\nwith app.app_context():\n"
            "    print(db.session.execute(text('select count(*) from xapi_statement')).scalar())")
    return int(subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                              check=True).stdout.strip())


if __name__ == "__main__":
    sys.exit(main())
