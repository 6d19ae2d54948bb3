#!/usr/bin/env python3
"""One-command set-up for a fresh machine with Python 3.11+.

    python3 dev.py demo    install into .venv, create and seed a demo database, serve it on http://127.0.0.1:5000
    python3 dev.py test    install into .venv (with test tools) and run the whole test suite; extra args go to pytest

Uses only the standard library, so it runs before anything is installed.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".rapport-installed"


def ensure_installed() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Rapport needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing Rapport and its dependencies ...", flush=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def flask(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True)


def demo() -> int:
    ensure_installed()
    env = {**os.environ, "LMS_ENV": os.environ.get("LMS_ENV", "development")}
    flask("lms", "demo", env=env)
    port = os.environ.get("LMS_DEMO_PORT", "5000")
    print(f"Serving the demo on http://127.0.0.1:{port} (Ctrl+C to stop).", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        flask("run", "--host", "127.0.0.1", "--port", port, env=env)
    return 0


def test(args: list[str]) -> int:
    ensure_installed()
    return subprocess.run([PYTHON, "-m", "pytest", *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test"}:
        print(__doc__.strip())
        return 2
    return demo() if argv[0] == "demo" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
