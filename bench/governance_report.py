"""Benchmark: the training-gap report (every grouping) and the governance pack on a large organisation.

Run from the repository root with the virtualenv's python::

    python bench/governance_report.py                       # 100,000 people (the target size), SQLite + PostgreSQL
    python bench/governance_report.py --people 20000        # smaller, quicker
    python bench/governance_report.py --postgres-url postgresql://postgres@127.0.0.1:5432/test_governance
    python bench/governance_report.py --no-postgres         # SQLite only

The PostgreSQL database (``--postgres-url``, or ``GOVERNANCE_BENCH_POSTGRES_URL``; default the local
``test_governance``) is emptied first: never point it at one you need.

What it does, on each database:

1. A fresh schema (``lms init``), then bulk inserts (driver ``executemany`` on SQLite, ``COPY`` on PostgreSQL; not
   through the web): 40 departments, 5 job roles, 3 waves; N people (2% deactivated), in each department a head,
   first-line managers and teams of 11; 50 published courses (2 modules of 3 lessons and a 5-question quiz each);
   12 learning paths (10 for a role in a group of departments, 2 for everyone, sharing courses with them); two path
   assignments per person and one enrolment per required course; and the progress projections that the learning
   of those people would give: a row per lesson, quiz, question and completed course touched, as
   ``tracking`` derives them, so many rows that they are the projections of about 10,000,000 statements (the
   count is printed).
2. ``lms governance rebuild``: the read model from ``courses.api.requirements`` and ``tracking.api.progress_of``
   (timed, not part of the goal), and an incremental refresh of 1,000 people marked dirty.
3. The gap report for every grouping (department, job role, wave, manager, person) with the threats to six goals
   and the weekly trend, as a sponsor's request for the page (``GET /governance/gaps?by=...``, which catches up
   and refreshes first): one cold request, then the median of three. The figure is the slowest grouping's median.
4. On SQLite, the governance pack (``GET /governance/pack.pdf``, WeasyPrint): the median of two.

Goal: each report under 1 s on both databases, the pack under 10 s. The last line is exactly
``governance: people=N sqlite_report_s=A postgres_report_s=B pdf_s=C``.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEPARTMENTS, COURSES, PATHS = 40, 50, 12
ROLES = [("sales_rep", "Sales rep"), ("service_agent", "Service agent"), ("marketer", "Marketer"),
         ("sales_manager", "Sales manager"), ("service_manager", "Service manager")]
TEAM = 11
QUESTIONS = 5
DIMENSIONS = ("department", "job_role", "wave", "manager", "person")


def _app(url: str, folder: Path):
    os.environ["LMS_INSTANCE_PATH"] = str(folder)
    from lms import create_app

    return create_app({"LMS_ENV": "testing", "LMS_SECRET_KEY": "bench", "LMS_DATABASE_URL": url,
                       "LMS_BASE_URL": "https://rapport.example.com", "WTF_CSRF_ENABLED": False})


def _reset(app) -> None:
    from sqlalchemy import text

    from lms.extensions import db
    from lms.migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


class Loader:
    """Rows into tables at driver speed: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, db) -> None:
        self.db = db
        self.pg = db.engine.dialect.name == "postgresql"
        self.raw = db.session.connection().connection.driver_connection

    def time(self, moment: datetime):
        return moment if self.pg else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def put(self, table: str, columns: tuple[str, ...], rows) -> int:
        count, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) >= 50_000:
                count += self._write(table, columns, batch)
                batch = []
        if batch:
            count += self._write(table, columns, batch)
        return count

    def _write(self, table: str, columns: tuple[str, ...], rows: list) -> int:
        cursor = self.raw.cursor()
        if self.pg:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608
        return len(rows)


def _course_content(n: int) -> tuple[str, dict]:
    slug = f"course-{n:02d}"
    modules = []
    for m in range(2):
        items = [{"type": "lesson", "key": f"c{n}m{m}l{k}", "title": f"Lesson {m + 1}.{k + 1}", "html": "<p>…</p>",
                  "minutes": 5} for k in range(3)]
        items.append({"type": "quiz", "key": f"c{n}m{m}q", "title": f"Check {m + 1}", "pass_mark": 80,
                      "max_attempts": 3, "draw": None, "remedial": None,
                      "questions": [{"key": f"c{n}m{m}q{k}", "type": "single", "prompt": "?", "topic": "",
                                     "options": [{"text": "a", "correct": True}, {"text": "b", "correct": False}]}
                                    for k in range(QUESTIONS)]})
        modules.append({"slug": f"m{m}", "title": f"Module {m + 1}", "items": items})
    return slug, {"title": f"Course {n:02d}", "modules": modules}


def generate(app, people: int, seed: int = 2026) -> dict:
    """Bulk-insert the organisation, catalogue, assignments, enrolments and progress; return counts."""
    from lms.extensions import db
    from tracking import api as tracking_api

    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.date()
    counts: dict[str, int] = {}
    with app.app_context():
        load = Loader(db)
        counts["departments"] = load.put("department", ("id", "name"),
                                         ((d + 1, f"Department {d + 1:02d}") for d in range(DEPARTMENTS)))
        load.put("job_role", ("id", "code", "name"), ((i + 1, c, n) for i, (c, n) in enumerate(ROLES)))
        load.put("rollout_wave", ("id", "name", "go_live"),
                 ((w + 1, f"Wave {w + 1}", today + timedelta(days=45 * w)) for w in range(3)))
        # People: per department a head, first-line managers under them, teams of TEAM under each manager.
        person_rows, facts = [], []
        per_department = people // DEPARTMENTS
        pid = 0
        for d in range(DEPARTMENTS):
            head = None
            manager = None
            for k in range(per_department):
                pid += 1
                if k == 0:
                    head, role, boss = pid, 4, None
                elif (k - 1) % (TEAM + 1) == 0:
                    manager, role, boss = pid, 4 if d % 2 == 0 else 5, head
                else:
                    role, boss = (1 if d % 3 == 0 else 2 if d % 3 == 1 else 3), manager
                wave = 1 + (pid % 3)
                active = rng.random() > 0.02
                hired = today - timedelta(days=rng.randint(100, 3000))
                person_rows.append((pid, f"E{pid:06d}", f"p{pid}@example.com", f"Person {pid}", role, d + 1, boss,
                                    wave, hired, active, load.time(now), load.time(now)))
                facts.append((pid, role, d, wave, active))
        counts["people"] = load.put("person", ("id", "employee_id", "email", "name", "job_role_id", "department_id",
                                               "manager_id", "wave_id", "hire_date", "active", "created_at",
                                               "updated_at"), person_rows)
        del person_rows
        # Courses, their published versions, paths.
        contents = {n + 1: _course_content(n + 1) for n in range(COURSES)}
        load.put("course", ("id", "slug", "title", "kind", "summary", "estimated_minutes", "status", "created_at",
                            "updated_at"),
                 ((i, slug, c["title"], "crm_application", "", 60, "published", load.time(now), load.time(now))
                  for i, (slug, c) in contents.items()))
        import json

        load.put("course_version", ("id", "course_id", "number", "requires_recompletion", "published_at", "note",
                                    "content"),
                 ((i, i, 1, False, load.time(now), "", json.dumps(c)) for i, (_, c) in contents.items()))
        paths: dict[int, list[int]] = {}
        for p in range(10):  # a role path per group of departments: 5 courses, the first one shared by all
            paths[p + 1] = [1, *[2 + (p * 4 + k) % (COURSES - 1) for k in range(4)]]
        paths[11] = [1, COURSES]  # everyone: the welcome course (shared with every role path) and soft skills
        paths[12] = [COURSES - 1, COURSES]  # everyone: culture and soft skills (shared with path 11)
        load.put("learning_path", ("id", "slug", "title", "kind", "summary", "ordered", "due_days", "due_after",
                                   "recertify_months", "active"),
                 ((p, f"path-{p:02d}", f"Path {p:02d}", "crm_application", "", True, 45, "assignment", None, True)
                  for p in paths))
        load.put("path_course", ("path_id", "course_id", "position"),
                 ((p, c, i) for p, courses in paths.items() for i, c in enumerate(dict.fromkeys(courses))))
        site = {c: (tracking_api.course_activity(slug),
                    [[(tracking_api.lesson_activity(slug, it["key"]) if it["type"] == "lesson" else
                       tracking_api.quiz_activity(slug, it["key"]), it) for it in m["items"]]
                     for m in content["modules"]])
                for c, (slug, content) in contents.items()}
        db.session.commit()

        assignments, enrolments, progress = [], [], []
        aid = eid = prid = 0
        statements = 0
        base = app.config["LMS_BASE_URL"]
        for person, role, department, wave, active in facts:
            started = now - timedelta(weeks=10 - 3 * (wave - 1), hours=rng.randint(0, 72))
            held = [1 + (department + role) % 10, 11 + (person % 2)]
            courses: dict[int, int] = {}
            for path in held:
                aid += 1
                assignments.append((aid, path, person, load.time(started), started.date() + timedelta(days=45),
                                    "assigned", "rule"))
                for course in paths[path]:
                    courses.setdefault(course, aid)
            pace = rng.choice((0.0, 0.2, 0.5, 0.8, 1.0, 1.0)) * (0.4 if department % 10 == 3 else 1.0)
            if wave == 1:
                pace = max(pace, rng.choice((0.8, 1.0)))
            budget = round(len(courses) * 8 * pace)
            agent = f"account|{base}|E{person:06d}"
            span = (now - started) / (budget + 1)
            moment = started
            for course, assignment in courses.items():
                eid += 1
                course_activity, modules = site[course]
                items = [item for module in modules for item in module]
                done = min(budget, len(items)) if active else 0
                budget -= done
                first, stuck = None, False
                for activity, item in items[:done]:
                    moment += span * rng.uniform(0.5, 1.5)
                    when = min(moment, now)
                    first = first or when
                    if item["type"] == "lesson":
                        statements += 1 + rng.randint(1, 5)  # completed, after one to five views
                        prid += 1
                        progress.append((prid, agent, activity, person, "completed", None, 0, 0, 0,
                                         load.time(when), load.time(when), load.time(when)))
                    else:
                        tries = 1 if rng.random() < 0.8 else 2
                        passed = rng.random() < 0.9
                        statements += tries * (QUESTIONS + 1)
                        prid += 1
                        progress.append((prid, agent, activity, person, "passed" if passed else "failed",
                                         0.9 if passed else 0.4, tries, 0, tries, load.time(when), load.time(when),
                                         load.time(when) if passed else None))
                        for question in item["questions"]:
                            right = rng.random() < 0.85
                            prid += 1
                            progress.append((prid, agent, f"{activity}/question/{question['key']}", person,
                                             "passed" if right else "failed", None, tries, 0, tries,
                                             load.time(when), load.time(when), load.time(when) if right else None))
                        if not passed:  # stuck at a failed quiz: nothing after it, in any course
                            budget, stuck = 0, True
                            break
                complete = active and not stuck and done == len(items)
                if complete:
                    statements += 1
                    prid += 1
                    progress.append((prid, agent, course_activity, person, "completed", None, 0, 0, 0,
                                     load.time(moment), load.time(moment), load.time(min(moment, now))))
                status = "completed" if complete else "in_progress" if first else "assigned"
                enrolments.append((eid, person, course, course, assignment, str(uuid.UUID(int=rng.getrandbits(128),
                                                                                         version=4)),
                                   "path", status, load.time(started), started.date() + timedelta(days=45),
                                   load.time(first) if first else None,
                                   load.time(min(moment, now)) if complete else None))
            if len(progress) > 200_000:
                counts["progress"] = counts.get("progress", 0) + load.put(
                    "xapi_progress", ("id", "agent_key", "activity_id", "person_id", "status", "best_score",
                                      "attempts", "starts", "assessed", "first_at", "last_at", "completed_at"),
                    progress)
                progress = []
        counts["progress"] = counts.get("progress", 0) + load.put(
            "xapi_progress", ("id", "agent_key", "activity_id", "person_id", "status", "best_score", "attempts",
                              "starts", "assessed", "first_at", "last_at", "completed_at"), progress)
        counts["assignments"] = load.put("path_assignment", ("id", "path_id", "person_id", "assigned_at", "due_date",
                                                             "status", "source"), assignments)
        counts["enrolments"] = load.put("enrolment", ("id", "person_id", "course_id", "version_id", "assignment_id",
                                                      "registration", "source", "status", "assigned_at", "due_date",
                                                      "started_at", "completed_at"), enrolments)
        counts["statements"] = statements
        if load.pg:
            for table in ("person", "course", "course_version", "learning_path", "path_assignment", "enrolment",
                          "xapi_progress", "department", "job_role", "rollout_wave"):
                load.raw.cursor().execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
        db.session.commit()
        if load.pg:
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
    return counts


def _seed_governance(app, people: int) -> None:
    """Six goals linked to courses, paths, roles and departments; a sponsor with a seat; a meeting."""
    from governance import services_board as board
    from governance import services_goals as goals
    from governance import services_meetings as meetings
    from lms.auth.services import hash_password
    from lms.extensions import db
    from lms.people.models import Person, PersonPermission

    with app.app_context():
        today = date.today()
        sponsor = Person(email="sponsor@example.com", name="Sam Sponsor", active=True,
                         password_hash=hash_password("bench password"),
                         permission_rows=[PersonPermission(permission="sponsor")])
        db.session.add(sponsor)
        db.session.flush()
        seats = {role.code: role for role in board.ensure_default_roles()}
        board.assign(seats["executive_sponsor"], sponsor.id, actor_id=None)
        for n in range(6):
            goal = goals.save_goal(goals.GoalInfo(
                key=f"goal-{n}", title=f"Goal {n}", metric="share", unit="%", baseline=20, target=60,
                baseline_on=today - timedelta(days=150), deadline=today + timedelta(days=120),
                course_ids=(2 + n * 3, 3 + n * 3), path_ids=(1 + n,) if n % 2 else (),
                job_role_ids=(1 + n % 3,) if n < 3 else (),
                department_ids=tuple(range(1 + n, 40, 7)) if n >= 3 else ()),
                goal=None, actor_id=None)
            goals.record_values(goal, [goals.ValueInfo(today - timedelta(days=30 * k), 20 + 5 * (5 - k))
                                       for k in range(5)], source="api")
        meetings.schedule(today + timedelta(days=6), actor_id=None)
        db.session.commit()


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(app, label: str, *, pdf: bool) -> dict:
    from sqlalchemy import select

    from governance.models import DirtyPerson
    from governance.services_readmodel import rebuild
    from lms.extensions import db
    from lms.people.models import Person

    figures: dict = {}
    with app.app_context():
        figures["rebuild_s"] = _timed(rebuild)
        if db.engine.dialect.name == "postgresql":  # what autovacuum does soon after: statistics, visibility map
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE governance_requirement")
        ids = list(db.session.scalars(select(Person.id).limit(1000)))
        db.session.add_all([DirtyPerson(person_id=i) for i in ids])
        db.session.commit()
    client = app.test_client()
    with app.app_context():
        sponsor = db.session.scalar(select(Person).where(Person.email == "sponsor@example.com"))
        client.post("/auth/login", data={"email": sponsor.email, "password": "bench password"})
    figures["refresh_1000_s"] = _timed(lambda: _get(client, "/governance/gaps?by=department"))
    for dimension in DIMENSIONS:
        url = f"/governance/gaps?by={dimension}"
        cold = _timed(lambda url=url: _get(client, url))
        warm = [_timed(lambda url=url: _get(client, url)) for _ in range(3)]
        figures[dimension] = (cold, statistics.median(warm))
        print(f"  {label} {dimension:10} cold {cold:6.3f} s   median of 3 {statistics.median(warm):6.3f} s",
              flush=True)
    filtered = "/governance/gaps?by=person&department_id=5&course_id=3"
    figures["filtered"] = statistics.median([_timed(lambda: _get(client, filtered)) for _ in range(3)])
    figures["csv"] = statistics.median([_timed(lambda: _get(client, "/governance/gaps.csv?by=manager"))
                                        for _ in range(2)])
    figures["dashboard"] = statistics.median([_timed(lambda: _get(client, "/governance/")) for _ in range(2)])
    if pdf:
        figures["pdf"] = statistics.median([_timed(lambda: _get(client, "/governance/pack.pdf")) for _ in range(2)])
    return figures


def _get(client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.get_data(as_text=True)[:500]}")


def run(url: str, label: str, people: int, folder: Path, *, pdf: bool) -> dict:
    app = _app(url, folder)
    _reset(app)
    started = time.perf_counter()
    counts = generate(app, people)
    _seed_governance(app, people)
    print(f"  {label}: generated {counts['people']:,} people, {counts['enrolments']:,} enrolments, "
          f"{counts['progress']:,} progress rows (the projections of {counts['statements']:,} statements) "
          f"in {time.perf_counter() - started:.0f} s", flush=True)
    figures = measure(app, label, pdf=pdf)
    figures["counts"] = counts
    print(f"  {label}: read model rebuilt in {figures['rebuild_s']:.1f} s; 1,000 dirty people refreshed and the "
          f"department report served in {figures['refresh_1000_s']:.2f} s; filtered people report "
          f"{figures['filtered']:.3f} s; CSV by manager {figures['csv']:.3f} s; dashboard {figures['dashboard']:.3f} s"
          + (f"; pack {figures['pdf']:.2f} s" if pdf else ""), flush=True)
    from lms.extensions import db

    with app.app_context():
        db.engine.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "GOVERNANCE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test_governance"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite folder and print where it is")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="governance-bench-"))
    try:
        sqlite = run(f"sqlite:///{folder}/rapport.db", "sqlite", args.people, folder, pdf=True)
        postgres = None if args.no_postgres else run(args.postgres_url, "postgres", args.people, folder, pdf=False)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    worst = lambda figures: max(figures[d][1] for d in DIMENSIONS)  # noqa: E731
    people = sqlite["counts"]["people"]
    postgres_s = f"{worst(postgres):.3f}" if postgres else "n/a"
    print(f"goal: every report under 1 s, the pack under 10 s; slowest grouping: sqlite "
          f"{max(DIMENSIONS, key=lambda d: sqlite[d][1])}"
          + (f", postgres {max(DIMENSIONS, key=lambda d: postgres[d][1])}" if postgres else ""))
    print(f"governance: people={people} sqlite_report_s={worst(sqlite):.3f} postgres_report_s={postgres_s} "
          f"pdf_s={sqlite['pdf']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
