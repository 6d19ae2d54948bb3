"""Shared by the LRS benchmarks: generated statements, a fresh Rapport instance and an LRS client for it."""
from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = ["experienced", "attempted", "completed", "passed", "failed", "answered", "launched", "initialized",
         "progressed", "interacted", "commented", "shared", "asked", "responded", "scored", "mastered",
         "registered", "terminated", "suspended", "resumed"]
SITE = "https://rapport.example.com/xapi/activities/"


def statements(count: int, *, agents: int = 5000, activities: int = 2000, courses: int = 50, seed: int = 1):
    """``count`` varied, valid statements: agents as mbox, ADL verbs, activities under courses, results."""
    rng = random.Random(seed)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    for _ in range(count):
        activity = rng.randrange(activities)
        verb = rng.choice(VERBS)
        body = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {"objectType": "Agent", "name": f"Learner {rng.randrange(agents)}",
                      "mbox": f"mailto:learner{rng.randrange(agents)}@example.com"},
            "verb": {"id": ADL + verb, "display": {"en-US": verb}},
            "object": {"objectType": "Activity", "id": f"{SITE}lesson/{activity}",
                       "definition": {"name": {"en-US": f"Lesson {activity}"},
                                      "type": "http://adlnet.gov/expapi/activities/lesson"}},
            "context": {"registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        "contextActivities": {"parent": [{"id": f"{SITE}course/{activity % courses}"}]},
                        "platform": "Rapport", "language": "en-US"},
            "timestamp": (start + timedelta(seconds=rng.randrange(90 * 86400))).isoformat(),
        }
        if verb in ("passed", "failed", "scored"):
            body["result"] = {"score": {"scaled": round(rng.random(), 2)}, "success": verb != "failed",
                              "duration": f"PT{rng.randrange(60, 900)}S"}
        yield body


def instance_env(folder: Path, database_url: str | None = None) -> dict[str, str]:
    return {**os.environ, "LMS_ENV": "development", "LMS_SECRET_KEY": "bench-secret-key",
            "LMS_INSTANCE_PATH": str(folder),
            "LMS_DATABASE_URL": database_url or f"sqlite:///{folder}/rapport.db", "PYTHONPATH": str(REPO)}


def flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "lms", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, check=True)
    return result.stdout


def new_instance(folder: Path, database_url: str | None = None) -> tuple[dict[str, str], str, str]:
    """Create the schema and an LRS client; return the environment, key and secret."""
    env = instance_env(folder, database_url)
    flask(env, "init")
    output = flask(env, "lrs-client", "create", "bench")
    key = re.search(r"key:\s+(\S+)", output).group(1)
    secret = re.search(r"secret:\s+(\S+)", output).group(1)
    return env, key, secret


def wait_for_workers(ready: Path, workers: int, timeout: float = 60) -> None:
    """Wait until every gunicorn worker has loaded the app (see gunicorn_ready.py)."""
    deadline = time.monotonic() + timeout
    while len(list(ready.iterdir())) < workers:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(list(ready.iterdir()))} of {workers} gunicorn workers started")
        time.sleep(0.05)
