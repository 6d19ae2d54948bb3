"""Benchmark: a conformance-style run against the embedded LRS, with and without ``flask lms worker``.

Run from the repository root with the virtualenv's python::

    python bench/lrs_conformance_mix.py                 # 1,365 requests, both setups
    python bench/lrs_conformance_mix.py --requests 300  # quicker

Serves a fresh SQLite instance with gunicorn (2 sync workers, as gunicorn.conf.py), once with a worker process beside
it, once without (the web process deriving in a background thread, the default), and once without either (readers
derive what is pending), and sends the same sequence of requests from one keep-alive client, the way the ADL
conformance suite does: mostly one statement written and then read back by id and by filters (agent, verb,
activity, registration, related activities, since), batches of 50, statements PUT by id, documents (state,
activity and agent profiles: PUT, POST merge, GET, DELETE), About, Activities and Agents. Prints the wall time of
the whole run and p50/p95/max per kind of request. Then, in each setup, a burst of 5,000 statements (50 POSTs of
100, as a CRM sends a day's usage) and one filtered read right after it: what a reader pays for what is pending.
"""
from __future__ import annotations

import argparse
import base64
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lrs_data import ADL, REPO, new_instance, wait_for_workers  # noqa: E402

from tests.conftest import free_port  # noqa: E402
from tests.tracking.peer import wait_for_port  # noqa: E402

SITE = "https://conformance.example.com/activities/"


def _statement(rng: random.Random, agent: str, activity: str, registration: str) -> dict:
    body = {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {"objectType": "Agent", "mbox": f"mailto:{agent}@example.com", "name": agent},
            "verb": {"id": ADL + rng.choice(["attempted", "completed", "passed", "failed", "experienced"]),
                     "display": {"en-US": "did"}},
            "object": {"objectType": "Activity", "id": SITE + activity,
                       "definition": {"name": {"en-US": activity}, "type": "http://adlnet.gov/expapi/activities/lesson"}},
            "context": {"registration": registration,
                        "contextActivities": {"parent": [{"id": SITE + "course"}],
                                              "grouping": [{"id": SITE + "path"}]}}}
    if rng.random() < 0.4:
        body["result"] = {"score": {"scaled": round(rng.random(), 2)}, "success": rng.random() < 0.6,
                          "completion": True, "duration": "PT5M"}
    if rng.random() < 0.1:
        body["object"] = {"objectType": "SubStatement", "actor": body["actor"], "verb": body["verb"],
                          "object": {"objectType": "Activity", "id": SITE + activity}}
    return body


def workload(count: int, seed: int = 1365) -> list[tuple[str, str, str, dict, bytes | None, dict]]:
    """(kind, method, path, params, body, headers) for ``count`` requests."""
    rng = random.Random(seed)
    out: list = []
    written: list[dict] = []
    while len(out) < count:
        agent, activity = f"agent{rng.randrange(40)}", f"act{rng.randrange(30)}"
        registration = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        roll = rng.random()
        if roll < 0.30 or not written:
            s = _statement(rng, agent, activity, registration)
            written.append(s)
            out.append(("POST statement", "POST", "statements", {}, json.dumps(s).encode(), {}))
            # The conformance suite reads back what it wrote, by id and by a filter.
            out.append(("GET by id", "GET", "statements", {"statementId": s["id"]}, None, {}))
            out.append(("GET filtered", "GET", "statements",
                        {"agent": json.dumps({"mbox": s["actor"]["mbox"]}), "verb": s["verb"]["id"]}, None, {}))
        elif roll < 0.34:
            batch = [_statement(rng, f"agent{rng.randrange(40)}", f"act{rng.randrange(30)}", registration)
                     for _ in range(50)]
            written += batch
            out.append(("POST batch of 50", "POST", "statements", {}, json.dumps(batch).encode(), {}))
            out.append(("GET filtered", "GET", "statements", {"registration": registration}, None, {}))
        elif roll < 0.40:
            s = _statement(rng, agent, activity, registration)
            written.append(s)
            out.append(("PUT statement", "PUT", "statements", {"statementId": s["id"]},
                        json.dumps({k: v for k, v in s.items() if k != "id"}).encode(), {}))
        elif roll < 0.60:
            s = rng.choice(written)
            params = rng.choice([
                {"activity": s["object"].get("id", SITE + "x"), "related_activities": "true"},
                {"registration": s["context"]["registration"]},
                {"agent": json.dumps({"mbox": s["actor"]["mbox"]}), "related_agents": "true", "limit": "10"},
                {"activity": SITE + "course", "related_activities": "true", "limit": "5", "format": "ids"},
                {"since": "2026-01-01T00:00:00Z", "limit": "20", "ascending": "true"},
                {"verb": s["verb"]["id"], "format": "canonical", "limit": "10"},
            ])
            out.append(("GET filtered", "GET", "statements", params, None, {}))
        elif roll < 0.65:
            out.append(("GET page", "GET", "statements", {"limit": "10"}, None, {}))
        elif roll < 0.90:
            doc = {"activityId": SITE + activity, "agent": json.dumps({"mbox": f"mailto:{agent}@example.com"}),
                   "stateId": f"state{rng.randrange(5)}"}
            profile = {"activityId": SITE + activity, "profileId": f"profile{rng.randrange(1_000_000)}"}
            out += [("PUT state", "PUT", "activities/state", doc, json.dumps({"page": rng.randrange(9)}).encode(), {}),
                    ("POST state", "POST", "activities/state", doc, json.dumps({"seen": True}).encode(), {}),
                    ("GET state", "GET", "activities/state", doc, None, {}),
                    ("PUT profile", "PUT", "activities/profile", profile, b'{"x": 1}', {"If-None-Match": "*"}),
                    ("GET profile", "GET", "activities/profile", profile, None, {}),
                    ("DELETE state", "DELETE", "activities/state", doc, None, {})]
        else:
            out += [("GET about", "GET", "about", {}, None, {}),
                    ("GET activity", "GET", "activities", {"activityId": SITE + activity}, None, {}),
                    ("GET agents", "GET", "agents", {"agent": json.dumps({"mbox": f"mailto:{agent}@example.com"})},
                     None, {})]
    return out[:count]


def _burst(rng: random.Random) -> list[bytes]:
    """5,000 statements in batches of 100, as a CRM sends a day's usage."""
    return [json.dumps([_statement(rng, f"crm{rng.randrange(500)}", f"screen{rng.randrange(50)}",
                                   str(uuid.UUID(int=rng.getrandbits(128), version=4))) for _ in range(100)]).encode()
            for _ in range(50)]


def run(requests: list, *, with_worker: bool, background: bool = True) -> tuple[float, dict[str, list[float]], int]:
    folder = Path(tempfile.mkdtemp(prefix="rapport-mix-"))
    processes = []
    try:
        env, key, secret = new_instance(folder)
        port = free_port()
        ready = folder / "ready"
        ready.mkdir()
        env = {**env, "BENCH_READY_DIR": str(ready), "LMS_XAPI_BACKGROUND_DERIVE": "true" if background else "false"}
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "-c", "bench/gunicorn_ready.py",
             "wsgi:app"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if with_worker:
            processes.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "lms", "worker",
                                               "--interval", "0.5"], cwd=REPO, env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for_port(port)
        wait_for_workers(ready, 2)
        auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
        timings: dict[str, list[float]] = defaultdict(list)
        errors = 0
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/xapi/", timeout=120,
                          headers={"Authorization": auth, "X-Experience-API-Version": "1.0.3"}) as client:
            started = time.perf_counter()
            for kind, method, path, params, body, headers in requests:
                begin = time.perf_counter()
                extra = {"Content-Type": "application/json", **headers} if body is not None else headers
                response = client.request(method, path, params=params, content=body, headers=extra)
                timings[kind].append((time.perf_counter() - begin) * 1000)
                errors += response.status_code >= 400 and not (kind == "GET state" and response.status_code == 404)
            total = time.perf_counter() - started
            # Then a burst: 5,000 statements in 50 batches, and one filtered read right after it.
            begin = time.perf_counter()
            for body in _burst(random.Random(5000)):
                client.post("statements", content=body, headers={"Content-Type": "application/json"})
            timings["burst: 50 POSTs"].append((time.perf_counter() - begin) * 1000)
            begin = time.perf_counter()
            client.get("statements", params={"verb": ADL + "completed", "limit": "10"})
            timings["burst: then a read"].append((time.perf_counter() - begin) * 1000)
        return total, timings, errors
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1365)
    args = parser.parse_args()
    requests = workload(args.requests)
    kinds = sorted({r[0] for r in requests}) + ["burst: 50 POSTs", "burst: then a read"]
    setups = [("with the worker", True, True), ("without the worker (the web process derives in the background)",
                                                False, True),
              ("without the worker, background deriving off (readers derive)", False, False)]
    for name, with_worker, background in setups:
        total, timings, errors = run(requests, with_worker=with_worker, background=background)
        print(f"\n{name}: {len(requests):,} requests in {total:.1f} s ({len(requests) / total:.0f}/s), "
              f"{errors} error answers")
        print(f"  {'kind':16} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for kind in kinds:
            values = sorted(timings[kind])
            p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
            print(f"  {kind:16} {len(values):>6} {statistics.median(values):8.1f} {p95:8.1f} {values[-1]:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
