"""Benchmark: CRM usage into adoption, and the adoption report and readiness by team on 100,000 people.

Run from the repository root with the virtualenv's python::

    python bench/adoption.py                        # 100,000 people, 1,000,000 statements over 30 days
    python bench/adoption.py --people 10000 --statements 100000
    python bench/adoption.py --database-url postgresql://postgres@127.0.0.1:5432/bench_adoption

A fresh instance (SQLite by default) gets 100,000 people (1,000 managers with 99 people each, ten departments,
three waves, four roles) whose path requires one course, completed by 60% of them (courses' own records, inserted
in bulk). Rapport runs under gunicorn (2 workers); 1,000,000 documented CRM usage statements (logged-in, created,
updated by record type, by employee id, 30 days) are POSTed in batches of 500 from 4 clients to /xapi/ with an LRS
client's Basic credentials. Ingest is measured from the first POST until every statement is derived and counted as
daily usage (the web workers derive in the background; the rest is derived in-process after the posting). Then the
read model is brought up to date (untimed: the worker's job) and the adoption report (by team, both lists, the
8-week trend) and readiness by team are timed, each the median of 3 runs. Goal: each report under 1 s on SQLite.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
# This file is called adoption.py like the plugin: keep bench/ behind the repository on the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
sys.path.append(str(HERE))

from lrs_data import REPO, new_instance, wait_for_workers  # noqa: E402

from tests.conftest import free_port  # noqa: E402
from tests.tracking.peer import wait_for_port  # noqa: E402

VERBS = [("logged-in", "https://w3id.org/xapi/adl/verbs/logged-in", "crm"),
         ("created", "http://activitystrea.ms/schema/1.0/create", "opportunity"),
         ("updated", "http://activitystrea.ms/schema/1.0/update", "case"),
         ("updated", "http://activitystrea.ms/schema/1.0/update", "account")]


def seed(people: int) -> None:
    """People, one course on one path for everyone but the managers, 60% completed (bulk, in-process)."""
    from sqlalchemy import insert, select

    from courses.models import CourseVersion, Enrolment, LearningPath, PathAssignment, PathCourse
    from lms import create_app
    from lms.extensions import db
    from lms.people.models import Department, JobRole, Person, PersonPermission, RolloutWave
    from lms.types import utcnow
    from tests.courses.builders import build_course

    app = create_app()
    rng = random.Random(5)
    with app.app_context():
        departments = [Department(name=f"Department {n}") for n in range(10)]
        roles = [JobRole(code=f"role_{n}", name=f"Role {n}") for n in range(4)]
        waves = [RolloutWave(name=f"Wave {n}") for n in range(3)]
        db.session.add_all(departments + roles + waves)
        db.session.commit()
        course = build_course("crm-basics")
        path = LearningPath(slug="rollout", title="Rollout path", ordered=False, due_days=30, due_after="assignment")
        path.steps = [PathCourse(course=course, position=0)]
        db.session.add(path)
        db.session.commit()
        version = db.session.scalar(select(CourseVersion.id).where(CourseVersion.course_id == course.id))
        now, managers = utcnow(), max(1, people // 100)
        rows = []
        for n in range(1, people + 1):
            rows.append({"id": n + 1000, "email": f"p{n}@example.com", "name": f"Person {n}",
                         "employee_id": f"E{n:07d}", "job_role_id": roles[n % 4].id,
                         "department_id": departments[n % 10].id, "wave_id": waves[n % 3].id,
                         "manager_id": None if n <= managers else 1000 + 1 + n % managers, "active": True,
                         "created_at": now, "updated_at": now})
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Person), rows[start:start + 5000])
        db.session.execute(insert(PersonPermission), [{"person_id": 1000 + n, "permission": "manager"}
                                                      for n in range(1, managers + 1)])
        learners = list(range(1000 + managers + 1, 1000 + people + 1))
        assignments = [{"id": i + 1, "path_id": path.id, "person_id": pid, "assigned_at": now - timedelta(days=40),
                        "status": "assigned", "source": "rule"} for i, pid in enumerate(learners)]
        enrolments = []
        for i, pid in enumerate(learners):
            done = rng.random() < 0.6
            enrolments.append({"person_id": pid, "course_id": course.id, "version_id": version,
                               "assignment_id": i + 1, "registration": str(uuid.uuid4()), "source": "path",
                               "status": "completed" if done else "assigned", "assigned_at": now - timedelta(days=40),
                               "completed_at": now - timedelta(days=rng.randrange(20, 35)) if done else None,
                               "extra_attempts": {}})
        for start in range(0, len(learners), 5000):
            db.session.execute(insert(PathAssignment), assignments[start:start + 5000])
            db.session.execute(insert(Enrolment), enrolments[start:start + 5000])
        db.session.commit()


def batches(statements: int, people: int, batch: int, seed_: int = 9):
    rng = random.Random(seed_)
    start = datetime.now(UTC) - timedelta(days=30)
    for first in range(0, statements, batch):
        body = []
        for _ in range(min(batch, statements - first)):
            word, verb, record = rng.choice(VERBS)
            moment = start + timedelta(seconds=rng.randrange(30 * 86400))
            body.append({
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "actor": {"objectType": "Agent", "account": {"homePage": "https://crm.example.com",
                                                             "name": f"E{rng.randrange(1, people + 1):07d}"}},
                "verb": {"id": verb, "display": {"en-US": word}},
                "object": {"objectType": "Activity", "id": f"https://crm.example.com/{record}",
                           "definition": {"type": "urn:rapport:crm-record", "name": {"en-US": record}}},
                "context": {"platform": "CRM"}, "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ")})
        yield json.dumps(body).encode()


def post_all(endpoint: str, auth: tuple[str, str], source, clients: int) -> float:
    lock, failures = threading.Lock(), []

    def run():
        with httpx.Client(auth=auth, timeout=300, headers={"X-Experience-API-Version": "1.0.3",
                                                           "Content-Type": "application/json"}) as http:
            while True:
                with lock:
                    body = next(source, None)
                if body is None:
                    return
                response = http.post(endpoint + "/statements", content=body)
                if response.status_code != 200:
                    failures.append(f"{response.status_code}: {response.text[:200]}")

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} batch(es) failed, first: {failures[0]}")
    return time.perf_counter() - started


CODE = """
import json, os, statistics, time
from lms import create_app
from lms.extensions import db
from tracking.services_derive import derive_pending
app = create_app()
with app.app_context():
    profile = os.environ.get("BENCH_PROFILE")
    if profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    while derive_pending():
        pass
    derived_s = time.perf_counter() - started
    if profile:
        profiler.disable()
        profiler.dump_stats(profile)
    from sqlalchemy import func, select
    from adoption.models import UsageStatement, UsageDay
    counted = db.session.scalar(select(func.count()).select_from(UsageStatement))
    days = db.session.scalar(select(func.count()).select_from(UsageDay))
    from adoption import readmodel, report
    from adoption.usage import mark_dirty
    from lms.people.models import Person
    mark_dirty(db.session.scalars(select(Person.id)))
    started = time.perf_counter()
    readmodel.bring_up_to_date()
    db.session.commit()
    refresh_s = time.perf_counter() - started
    parts = {"by_team": [], "trained_not_using": [], "using_not_trained": [], "trend_8_weeks": []}
    def timed(name, job):
        started = time.perf_counter()
        result = job()
        parts[name].append(time.perf_counter() - started)
        return result
    def the_report():
        rows, total = timed("by_team", lambda: report.adoption_rows("team"))
        timed("trained_not_using", report.trained_not_using)
        timed("using_not_trained", report.using_not_trained)
        timed("trend_8_weeks", lambda: report.trend(8))
        return total
    def readiness():
        return report.readiness_by_team()
    timings = {}
    for name, job in (("report", the_report), ("readiness", readiness)):
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            result = job()
            runs.append(time.perf_counter() - started)
        timings[name] = statistics.median(runs)
    medians = {name: statistics.median(runs) for name, runs in parts.items()}
    total = the_report()
    print(json.dumps({"derived_s": derived_s, "counted": counted, "usage_days": days, "refresh_s": refresh_s,
                      "report_s": timings["report"], "readiness_s": timings["readiness"], "parts": medians,
                      "teams": len(readiness()),
                      "required": total.required, "active_7": total.active_7, "active_28": total.active_28}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--profile", metavar="FILE", help="derive everything after posting (no background derive), "
                        "under cProfile, and write its stats to FILE")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)  # the seeding subprocess
    args = parser.parse_args()
    if args.seed_only:
        seed(args.people)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="rapport-adoption-"))
    try:
        env, key, secret = new_instance(folder, args.database_url)
        if args.profile:
            env = {**env, "LMS_XAPI_BACKGROUND_DERIVE": "false", "BENCH_PROFILE": str(Path(args.profile).resolve())}
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--seed-only", "--people", str(args.people)], cwd=REPO, env=env,
                       check=True)
        print(f"  seeded {args.people:,} people in {time.perf_counter() - started:.1f} s", flush=True)
        port, ready = free_port(), folder / "ready"
        ready.mkdir()
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b",
                                   f"127.0.0.1:{port}", "--log-level", "warning", "-c", "bench/gunicorn_ready.py",
                                   "wsgi:app"], cwd=REPO, env={**env, "BENCH_READY_DIR": str(ready)})
        try:
            wait_for_port(port)
            wait_for_workers(ready, args.workers)
            posted = post_all(f"http://127.0.0.1:{port}/xapi", (key, secret),
                              batches(args.statements, args.people, args.batch), args.clients)
        finally:
            server.terminate()
            server.wait(60)
        print(f"  posted {args.statements:,} statements in {posted:.1f} s "
              f"({args.statements / posted:,.0f}/s acknowledged)", flush=True)
        out = subprocess.run([sys.executable, "-c", CODE], cwd=REPO, env=env, capture_output=True, text=True,
                             check=True).stdout.strip().splitlines()[-1]
        figures = json.loads(out)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    ingest = posted + figures["derived_s"]
    print(f"  derived the rest after posting in {figures['derived_s']:.1f} s; counted {figures['counted']:,} usage "
          f"statements into {figures['usage_days']:,} daily counts")
    print(f"  read model for {args.people:,} people refreshed in {figures['refresh_s']:.1f} s (the worker's job)")
    print(f"  report: {figures['required']:,} required, {figures['active_7']:,} active 7 days, "
          f"{figures['active_28']:,} active 28 days; {figures['teams']:,} teams; goal < 1 s each: "
          f"{'met' if max(figures['report_s'], figures['readiness_s']) < 1 else 'not met'}")
    print("  report parts (median of 3, s): " + ", ".join(f"{k} {v:.3f}" for k, v in figures["parts"].items()))
    print(f"adoption: people={args.people} statements={args.statements} ingest_per_s={args.statements / ingest:.0f} "
          f"report_s={figures['report_s']:.3f} readiness_s={figures['readiness_s']:.3f}")
    return 0 if figures["counted"] == args.statements else 1


if __name__ == "__main__":
    raise SystemExit(main())
