#!/usr/bin/env python3
"""One-command set-up for a fresh machine with Python 3.11+.

    python3 dev.py demo    install into .venv, create and seed a demo database, serve it on http://127.0.0.1:5000
                           (LMS_DEMO_PORT), with the mail worker and a local SMTP server whose mail lands in
                           instance/demo-mail and on Admin > Demo mailbox; Ctrl+C stops all three
    python3 dev.py serve   the same without seeding (serve the database as it is)
    python3 dev.py test    install into .venv (with test tools) and run the whole test suite; extra args go to pytest

Uses only the standard library, so it runs before anything is installed.
"""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_env() -> dict[str, str]:
    """The demo's environment: development mode, every link on the port served, mail to the demo's own server."""
    port = os.environ.get("LMS_DEMO_PORT", "5000")
    instance = Path(os.environ.get("LMS_INSTANCE_PATH") or ROOT / "instance")
    return {
        **os.environ,
        "LMS_ENV": os.environ.get("LMS_ENV", "development"),
        "LMS_DEMO_PORT": port,
        # Mail links and xAPI activity ids name the address the demo is served on.
        "LMS_BASE_URL": os.environ.get("LMS_BASE_URL") or f"http://127.0.0.1:{port}",
        "LMS_SMTP_HOST": "127.0.0.1",
        "LMS_SMTP_PORT": os.environ.get("LMS_DEMO_SMTP_PORT") or str(_free_port()),
        "LMS_SMTP_SECURITY": "none",
        "LMS_DEMO_MAILBOX": str(instance / "demo-mail"),
    }


def serve(env: dict[str, str]) -> int:
    """Run the demo's SMTP server, the worker and ``flask run`` until Ctrl+C (or SIGTERM); then stop all three."""
    port = env["LMS_DEMO_PORT"]
    started: list[subprocess.Popen] = []
    stopping = False
    status = 0

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)  # Ctrl+C reaches the children too: whoever ends first, this is a stop
    try:
        started.append(subprocess.Popen([PYTHON, "-m", "lms.mail.demo_mailbox", "--port", env["LMS_SMTP_PORT"],
                                         "--folder", env["LMS_DEMO_MAILBOX"]], cwd=ROOT, env=env))
        started.append(subprocess.Popen([PYTHON, "-m", "flask", "--app", "wsgi", "lms", "worker", "--interval", "2"],
                                        cwd=ROOT, env=env))
        started.append(subprocess.Popen([PYTHON, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1",
                                         "--port", port], cwd=ROOT, env=env))
        print(f"Serving the demo on http://127.0.0.1:{port}; its mail is delivered to {env['LMS_DEMO_MAILBOX']} "
              "(Admin > Demo mailbox). Ctrl+C stops the server, the worker and the mail server.", flush=True)
        while not stopping and all(p.poll() is None for p in started):
            time.sleep(0.2)
        names = ("the mail server", "the worker", "flask run")
        for name, process in zip(names, started, strict=True):
            # -2 / 130: ended by the same Ctrl+C, seen before this process handled its own
            if process.poll() is not None and not stopping and process.returncode not in (-signal.SIGINT, 130):
                print(f"{name} stopped (exit code {process.returncode}); stopping the demo.", file=sys.stderr)
                status = 1
    except KeyboardInterrupt:
        pass
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for process in started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return status


def demo() -> int:
    ensure_installed()
    env = demo_env()
    flask("lms", "demo", env=env)
    return serve(env)


def test(args: list[str]) -> int:
    ensure_installed()
    return subprocess.run([PYTHON, "-m", "pytest", *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "serve", "test"}:
        print(__doc__.strip())
        return 2
    if argv[0] == "serve":
        ensure_installed()
        return serve(demo_env())
    return demo() if argv[0] == "demo" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
