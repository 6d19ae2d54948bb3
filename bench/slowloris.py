"""Benchmark: signing in while 50 half-sent requests are open (slowloris), with and without nginx in front.

Run from the repository root with the virtualenv's python (needs nginx for the first setup)::

    python bench/slowloris.py [--connections 50] [--timeout 40]

Each setup is started as tests/lms/production.py does it (a fresh SQLite instance, one person, gunicorn with
``gunicorn.conf.py`` and 2 workers):

1. **README's production setup**: gunicorn behind nginx (``deploy/nginx/rapport.conf``, TLS);
2. **gunicorn alone, sync workers** (the old README command, ``gunicorn -w 2 wsgi:app`` on a public port);
3. **gunicorn alone, gthread workers** (``--worker-class gthread --threads 4``): threads read requests too.

For each: the time to load the sign-in page and sign in with no slow connection, then with ``--connections``
half-sent ones open: first half a header (``GET ... X-Slow: `` and then nothing), then half a body (a POST's whole
header with ``Content-Length: 100000`` and six bytes of it). A sign-in that takes longer than ``--timeout``
seconds is reported as such.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.lms.production import half_sent, nginx_binary, production_site, sign_in  # noqa: E402

SETUPS = [
    ("gunicorn behind nginx (README)", {"nginx": True}),
    ("gunicorn alone, 2 sync workers", {"nginx": False}),
    ("gunicorn alone, 2 gthread workers x 4 threads", {"nginx": False,
                                                        "gunicorn_args": ("--worker-class", "gthread",
                                                                          "--threads", "4")}),
]


def measure(name: str, options: dict, connections: int, timeout: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="rapport-slowloris-"))
    try:
        with production_site(folder, **options) as site:
            quiet, response = sign_in(site, timeout=timeout)
            assert response.status_code == 302, response.status_code
            outcomes = []
            for body in (False, True):
                slow = [half_sent(site, body=body) for _ in range(connections)]
                try:
                    busy, response = sign_in(site, timeout=timeout)
                    outcomes.append(f"{busy:7.2f} s (HTTP {response.status_code})")
                except httpx.TimeoutException:
                    outcomes.append(f"> {timeout:.0f} s (timed out)")
                finally:
                    for connection in slow:
                        connection.close()
        print(f"{name:48} {quiet:7.2f} s   {outcomes[0]:>20}   {outcomes[1]:>20}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=40.0)
    args = parser.parse_args()
    print(f"{'':48} {'':9}   with {args.connections} connections open, sending")
    print(f"{'setup':48} {'sign-in':>9}   {'half a header':>20}   {'half a body':>20}")
    for name, options in SETUPS:
        if options["nginx"] and nginx_binary() is None:
            print(f"{name:48} (nginx is not installed)")
            continue
        measure(name, options, args.connections, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
