"""Learning Locker's xAPI service (npm ``xapi-statements``), installed on demand into ``.cache/node`` and started
as a real external LRS. Used by the integration test and by ``bench/lrs_ingest.py``."""
from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import free_port
from tests.tracking.peer import wait_for_port

PACKAGE = "xapi-statements@5.0.1"
ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "node"
ENTRY = CACHE / "node_modules" / "xapi-statements" / "dist" / "index.js"


class Unavailable(RuntimeError):
    """Node or npm is missing, or the package could not be installed; the message says which."""


def install() -> Path:
    """Install the package once into the repository's cache folder (git ignores node_modules)."""
    if ENTRY.exists():
        return ENTRY
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        raise Unavailable("node and npm are needed to run Learning Locker's xapi-statements (apt-get install npm)")
    CACHE.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([npm, "install", "--prefix", str(CACHE), "--no-save", "--no-package-lock",
                             "--no-audit", "--no-fund", PACKAGE], capture_output=True, text=True, timeout=600)
    if result.returncode != 0 or not ENTRY.exists():
        raise Unavailable(f"npm install {PACKAGE} failed: {result.stderr[-2000:]}")
    return ENTRY


@contextmanager
def learning_locker(log_path: Path | None = None):
    """Start the service on a free port; yield its xAPI endpoint (``http://127.0.0.1:PORT/xAPI``)."""
    entry = install()
    port = free_port()
    env = {**os.environ, "AUTH_REPO": "test", "MODELS_REPO": "memory", "STORAGE_REPO": "local",
           "EVENTS_REPO": "test", "EXPRESS_PORT": str(port)}
    log = open(log_path or os.devnull, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen([shutil.which("node"), str(entry)], cwd=CACHE, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}/xAPI"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
