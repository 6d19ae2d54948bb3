"""Benchmark: ``flask --app wsgi lms people import`` on a large generated roster.

Run from the repository root with the virtualenv's python::

    python bench/roster_import.py            # 100,000 rows
    python bench/roster_import.py --rows 20000 --keep

It generates a roster CSV (employee_id,email,name,job_role,department,manager,hire_date,wave; managers named
by employee id, many of them on a later line than their reports), creates a fresh SQLite instance, and times
three runs of the real command as a subprocess (wall clock, peak RSS of that child):

1. first import: every row creates a person;
2. the same file again: every row is matched and unchanged (the update path);
3. a copy with one invalid email on line 5,000, into another fresh database: the command must exit non-zero,
   name line 5000, and leave the person count unchanged.

Target: under 60 s for 100,000 rows (first import). Prints its figures; asserts only on correctness.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0
BAD_LINE = 5000
HEADER = ["employee_id", "email", "name", "job_role", "department", "manager", "hire_date", "wave"]
JOB_ROLES = [
    ("sales_rep", "Sales rep"), ("service_agent", "Service agent"), ("sales_manager", "Sales manager"),
    ("service_manager", "Service manager"), ("marketer", "Marketer"),
]
# department -> (role of its people, role of its managers)
DEPARTMENTS = {
    "Sales North": ("sales_rep", "sales_manager"), "Sales South": ("sales_rep", "sales_manager"),
    "Inside Sales": ("sales_rep", "sales_manager"), "Key Accounts": ("sales_rep", "sales_manager"),
    "Customer Service": ("service_agent", "service_manager"),
    "Field Service": ("service_agent", "service_manager"),
    "Technical Support": ("service_agent", "service_manager"), "Marketing": ("marketer", "sales_manager"),
}
WAVES = ["Wave 1", "Wave 2", "Wave 3"]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Eva", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira", "Luca",
         "Maya", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Victor", "Wen", "Yusuf",
         "Zoe"]
LAST = ["Lopez", "Okafor", "Martin", "Sharma", "Novak", "Haddad", "Kim", "Berg", "Silva", "Weber", "Tanaka",
        "Rossi", "Dubois", "Jensen", "Costa", "Murphy", "Ivanova", "Nakamura", "Fischer", "Moreau"]
TEAM_SIZE = 12  # people per first-line manager
SENIOR_SPAN = 10  # first-line managers per senior manager

SETUP = """
from lms import create_app
from lms.extensions import db
from lms.people.models import JobRole
app = create_app()
with app.app_context():
    db.session.add_all([JobRole(code=code, name=name) for code, name in {roles!r}])
    db.session.commit()
"""


@dataclass
class Run:
    label: str
    rows: int
    seconds: float
    max_rss_kib: int
    returncode: int
    stdout: str
    stderr: str

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def generate(path: Path, rows: int, seed: int = 2026) -> int:
    """Write the roster; return how many rows name a manager whose own row comes later in the file.

    Shape, in blocks: a senior manager (no manager), SENIOR_SPAN first-line managers reporting to them, and
    TEAM_SIZE people under each first-line manager; each block is one department. Rows are then shuffled.
    """
    rng = random.Random(seed)
    departments = list(DEPARTMENTS)
    block = 1 + SENIOR_SPAN * (1 + TEAM_SIZE)
    start = date(2005, 1, 1)
    people = []
    for index in range(rows):
        n = index + 1
        number, offset = divmod(index, block)
        department = departments[number % len(departments)]
        worker_role, manager_role = DEPARTMENTS[department]
        team, place = divmod(offset - 1, 1 + TEAM_SIZE)  # place 0 is the team's manager
        if offset == 0:
            role, manager = manager_role, ""
        elif place == 0:
            role, manager = manager_role, f"E{number * block + 1:06d}"  # the block's senior manager
        else:
            role, manager = worker_role, f"E{number * block + 1 + team * (1 + TEAM_SIZE) + 1:06d}"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        hire = start + timedelta(days=rng.randrange(7600))
        people.append([f"E{n:06d}", f"{first}.{last}.{n}@example.com".lower(), f"{first} {last}", role,
                       department, manager, hire.isoformat(), WAVES[number % len(WAVES)]])
    rng.shuffle(people)  # managers land before or after their reports at random
    line_of = {p[0]: i for i, p in enumerate(people)}
    later = sum(1 for i, p in enumerate(people) if p[5] and line_of[p[5]] > i)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(people)
    return later


def with_bad_row(source: Path, target: Path, line: int) -> None:
    """Copy ``source`` with the email on ``line`` (1 = header) made invalid."""
    with open(source, newline="", encoding="utf-8") as src, \
            open(target, "w", newline="", encoding="utf-8") as dst:
        reader, writer = csv.reader(src), csv.writer(dst, lineterminator="\n")
        for number, cells in enumerate(reader, start=1):
            if number == line:
                cells[1] = "not-an-email"
            writer.writerow(cells)


def instance_env(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(LMS_INSTANCE_PATH=str(instance), LMS_ENV="development", PYTHONUNBUFFERED="1")
    return env


def fresh_instance(root: Path, name: str) -> dict[str, str]:
    """A new instance folder with the schema and the five job roles; returns the environment selecting it."""
    instance = root / name
    instance.mkdir()
    env = instance_env(instance)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "lms", "init"], cwd=REPO, env=env,
                   check=True, capture_output=True)
    subprocess.run([sys.executable, "-c", SETUP.format(roles=JOB_ROLES)], cwd=REPO, env=env, check=True)
    return env


def person_count(env: dict[str, str]) -> int:
    with sqlite3.connect(Path(env["LMS_INSTANCE_PATH"], "rapport.db")) as connection:
        return connection.execute("SELECT count(*) FROM person").fetchone()[0]


def timed_import(label: str, file: Path, rows: int, env: dict[str, str], workdir: Path) -> Run:
    """Run the import command as a child; wall clock and that child's own peak RSS (os.wait4)."""
    out_path, err_path = workdir / f"{label}.out", workdir / f"{label}.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "lms", "people", "import",
                                  str(file)], cwd=REPO, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; keep Popen consistent
    return Run(label, rows, seconds, usage.ru_maxrss, child.returncode,
               out_path.read_text(errors="replace"), err_path.read_text(errors="replace"))


def report(run: Run) -> None:
    verdict = ""
    if run.label == "first import":
        met = "met" if run.seconds < TARGET_SECONDS else "MISSED"
        verdict = f"  (target < {TARGET_SECONDS:.0f} s: {met})"
    print(f"{run.label:<24} {run.rows:>9,} rows {run.seconds:>9.2f} s {run.rows_per_second:>11,.0f} rows/s "
          f"{run.max_rss_kib / 1024:>8.1f} MiB peak RSS  exit {run.returncode}{verdict}")


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="roster rows to generate (default 100000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print where it is")
    parser.add_argument("--with-paths", action="store_true",
                        help="import the starter courses and learning paths first, so the import also assigns "
                             "every new person their paths and enrolments (the realistic case)")
    args = parser.parse_args()
    if args.rows < BAD_LINE:
        parser.error(f"--rows must be at least {BAD_LINE} (the invalid row goes on line {BAD_LINE})")

    root = Path(tempfile.mkdtemp(prefix="rapport-bench-"))
    failures = []
    try:
        roster = root / "roster.csv"
        started = time.perf_counter()
        later = generate(roster, args.rows)
        print(f"roster: {args.rows:,} rows, {roster.stat().st_size / 1e6:.1f} MB, {later:,} rows name a "
              f"manager whose row comes later; generated in {time.perf_counter() - started:.1f} s")
        print(f"python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, "
              f"temp folder {root}")
        print()

        env = fresh_instance(root, "instance")
        if args.with_paths:
            subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "lms", "courses", "import",
                            str(REPO / "courses" / "content")], cwd=REPO, env=env, check=True, capture_output=True)
            print("starter courses and learning paths imported: the import also assigns paths")
        first = timed_import("first import", roster, args.rows, env, root)
        report(first)
        if args.with_paths:
            with sqlite3.connect(Path(env["LMS_INSTANCE_PATH"], "rapport.db")) as connection:
                assignments = connection.execute("SELECT count(*) FROM path_assignment").fetchone()[0]
                enrolments = connection.execute("SELECT count(*) FROM enrolment").fetchone()[0]
            print(f"{'':24} {assignments:,} path assignments and {enrolments:,} enrolments made")
        count = person_count(env)
        if first.returncode != 0 or count != args.rows:
            failures.append(f"first import: exit {first.returncode}; {count:,} of {args.rows:,} people")
        print(f"{'':24} {last_line(first.stdout)}")

        again = timed_import("re-import (unchanged)", roster, args.rows, env, root)
        report(again)
        unchanged = f"unchanged {args.rows}" in again.stdout
        if again.returncode != 0 or person_count(env) != args.rows or not unchanged:
            failures.append(f"re-import: exit {again.returncode}: {last_line(again.stdout or again.stderr)}")
        print(f"{'':24} {last_line(again.stdout)}")

        bad = root / "roster-bad-line.csv"
        with_bad_row(roster, bad, BAD_LINE)
        bad_env = fresh_instance(root, "instance-bad")
        before = person_count(bad_env)
        rejected = timed_import("invalid row (rejected)", bad, args.rows, bad_env, root)
        report(rejected)
        after = person_count(bad_env)
        output = rejected.stdout + rejected.stderr
        names_line = f":{BAD_LINE}: " in output
        ok = rejected.returncode != 0 and names_line and after == before
        print(f"{'':24} exit {rejected.returncode} (non-zero: {'yes' if rejected.returncode else 'NO'}); "
              f"names line {BAD_LINE}: {'yes' if names_line else 'NO'}; people {before} -> {after} "
              f"(unchanged: {'yes' if after == before else 'NO'})")
        for line in output.splitlines():
            if f":{BAD_LINE}: " in line:
                print(f"{'':24} {line.replace(str(root), '$TMP')}")
        if not ok:
            failures.append("the invalid-row run did not behave: " + last_line(output))
    finally:
        if args.keep:
            print(f"\nkept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    print()
    if failures:
        for failure in failures:
            print("FAILED:", failure)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
