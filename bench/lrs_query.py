"""Benchmark: GET /xapi/statements latency on a large statement log.

Run from the repository root with the virtualenv's python::

    python bench/lrs_query.py                          # 1,000,000 statements (the target size)
    python bench/lrs_query.py --statements 100000      # quicker
    python bench/lrs_query.py --database-url postgresql://postgres@127.0.0.1:5432/bench

Loads the statements through the statement service (validation, then keys, activities and progress derived in the
same transaction: the code POST /xapi/statements and the worker run) in batches of 1,000 into a fresh database,
then serves it with gunicorn (2 workers, timed once both have loaded the app) and times, over HTTP with one
keep-alive client, three query kinds (default page size, 100 statements):

1. ``agent`` + ``verb``: a random learner and one of 20 verbs;
2. ``activity`` (a course) with ``related_activities=true``: statements whose parent is that course;
3. ``since`` + ``until``: a random window of 1/500 of the loading period.

Prints p50/p95/max per kind and how many statements the pages held. Goal: p95 under 20 ms.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lrs_data import ADL, REPO, SITE, VERBS, new_instance, wait_for_workers  # noqa: E402

from tests.conftest import free_port  # noqa: E402
from tests.tracking.peer import wait_for_port  # noqa: E402

GOAL_MS = 20.0
AGENTS = 5000
COURSES = 50

LOAD = r'''
import json, sys, time
sys.path.insert(0, "bench")
from lrs_data import statements
from lms import create_app
from lms.extensions import db
from tracking.services import store_statements
from tracking.services_clients import SYSTEM

total, batch = int(sys.argv[1]), 1000
app = create_app()
started = time.perf_counter()
first = None
with app.app_context():
    pending = []
    for n, body in enumerate(statements(total, agents=AGENTS, courses=COURSES), start=1):
        pending.append(body)
        if len(pending) == batch:
            store_statements(pending, principal=SYSTEM)
            db.session.commit()
            pending = []
            if n % 100000 == 0:
                print(f"  loaded {n:,} in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    if pending:
        store_statements(pending, principal=SYSTEM)
        db.session.commit()
print(json.dumps({"seconds": time.perf_counter() - started}))
'''.replace("AGENTS", str(AGENTS)).replace("COURSES", str(COURSES))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300, help="per kind")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rapport-lrs-query-"))
    try:
        env, key, secret = new_instance(folder, args.database_url)
        print(f"loading {args.statements:,} statements ...", flush=True)
        loaded = subprocess.run([sys.executable, "-c", LOAD, str(args.statements)], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, text=True, check=True)
        load_seconds = json.loads(loaded.stdout)["seconds"]
        port = free_port()
        ready = folder / "ready"
        ready.mkdir()
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                                   "--log-level", "warning", "-c", "bench/gunicorn_ready.py", "wsgi:app"], cwd=REPO,
                                  env={**env, "BENCH_READY_DIR": str(ready)})
        try:
            wait_for_port(port)
            wait_for_workers(ready, 2)
            results = run_queries(f"http://127.0.0.1:{port}/xapi", (key, secret), args.queries)
        finally:
            server.terminate()
            server.wait(30)
        size = sum(p.stat().st_size for p in folder.glob("rapport.db*")) if not args.database_url else 0
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    database = "PostgreSQL" if args.database_url else f"SQLite ({size / 2**20:,.0f} MiB)"
    print(f"{args.statements:,} statements loaded in {load_seconds:.0f} s ({args.statements / load_seconds:,.0f}/s) "
          f"into {database}; {args.queries} queries per kind over HTTP (gunicorn -w 2)")
    print(f"{'query':38} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'avg rows':>9}")
    met = True
    for name, (times, rows) in results.items():
        p95 = percentile(times, 0.95)
        met &= p95 < GOAL_MS
        print(f"{name:38} {percentile(times, 0.5):8.1f} {p95:8.1f} {max(times):8.1f} {statistics.mean(rows):9.1f}")
    print(f"goal p95 < {GOAL_MS:.0f} ms: {'met' if met else 'not met'}")
    return 0


def run_queries(endpoint: str, auth: tuple[str, str], count: int) -> dict[str, tuple[list[float], list[int]]]:
    rng = random.Random(5)
    with httpx.Client(auth=auth, headers={"X-Experience-API-Version": "1.0.3"}, timeout=60) as http:
        newest = http.get(endpoint + "/statements", params={"limit": "1"}).json()["statements"][0]["stored"]
        oldest = http.get(endpoint + "/statements", params={"limit": "1", "ascending": "true"}).json()[
            "statements"][0]["stored"]
        from datetime import datetime

        start, end = datetime.fromisoformat(oldest.replace("Z", "+00:00")), datetime.fromisoformat(
            newest.replace("Z", "+00:00"))
        window = (end - start) / 500
        kinds = {
            "agent + verb": lambda: {"agent": json.dumps({"mbox": f"mailto:learner{rng.randrange(AGENTS)}"
                                                                  "@example.com"}),
                                     "verb": ADL + rng.choice(VERBS)},
            "activity (course) + related_activities": lambda: {"activity": f"{SITE}course/{rng.randrange(COURSES)}",
                                                               "related_activities": "true"},
            "since + until": lambda: _window(rng, start, end - window, window),
        }
        results = {}
        for name, params in kinds.items():
            times, rows = [], []
            for _ in range(10):  # warm up
                http.get(endpoint + "/statements", params=params())
            for _ in range(count):
                query = params()
                began = time.perf_counter()
                response = http.get(endpoint + "/statements", params=query)
                body = response.json()
                times.append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{name}: HTTP {response.status_code} {body}")
                rows.append(len(body["statements"]))
            results[name] = (times, rows)
    return results


def _window(rng: random.Random, start, last_start, width) -> dict[str, str]:
    since = start + (last_start - start) * rng.random()
    return {"since": since.isoformat().replace("+00:00", "Z"), "until": (since + width).isoformat().replace(
        "+00:00", "Z")}


if __name__ == "__main__":
    sys.exit(main())
