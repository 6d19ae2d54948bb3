"""The documented production setup, started for real: gunicorn with ``gunicorn.conf.py`` behind nginx with
``deploy/nginx/rapport.conf`` (TLS with a self-signed certificate), on free ports, with a fresh SQLite instance.

Only ports, file paths and the certificate differ from the shipped files (each substitution is checked, so a change
to them shows here). Used by tests/lms/test_production.py and bench/slowloris.py.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
EMAIL = "ops@example.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def _certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def _substitute(text: str, old: str, new: str) -> str:
    if old not in text:
        raise AssertionError(f"deploy/nginx/rapport.conf no longer has {old!r}; update tests/lms/production.py")
    return text.replace(old, new)


def _nginx_config(folder: Path, port: int, upstream: int) -> Path:
    cert, key = folder / "cert.pem", folder / "key.pem"
    site = (ROOT / "deploy" / "nginx" / "rapport.conf").read_text()
    site = _substitute(site, "server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    site = _substitute(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
    site = _substitute(site, "listen [::]:443 ssl http2;", "")
    site = _substitute(site, "/etc/ssl/certs/lms.example.com.pem", str(cert))
    site = _substitute(site, "/etc/ssl/private/lms.example.com.key", str(key))
    (folder / "rapport.conf").write_text(site)
    temp = {kind: folder / kind for kind in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    main = "\n".join([
        "user root;" if os.geteuid() == 0 else "",
        "worker_processes 1;", f"pid {folder}/nginx.pid;", f"error_log {folder}/error.log warn;",
        "events { worker_connections 1024; }",
        "http {",
        "    access_log off;",
        *(f"    {kind}_temp_path {path};" for kind, path in
          (("client_body", temp["body"]), ("proxy", temp["proxy"]), ("fastcgi", temp["fastcgi"]),
           ("uwsgi", temp["uwsgi"]), ("scgi", temp["scgi"]))),
        f"    include {folder}/rapport.conf;",
        "}",
    ])
    config = folder / "nginx.conf"
    config.write_text(main + "\n")
    return config


def _prepare_instance(folder: Path) -> dict[str, str]:
    """A fresh instance with the schema and one person who can sign in; returns the environment to serve it."""
    instance = folder / "instance"
    instance.mkdir()
    env = {**os.environ, "LMS_INSTANCE_PATH": str(instance), "LMS_ENV": "production",
           "LMS_SECRET_KEY": "production-test-secret-" + "x" * 20,
           "LMS_DATABASE_URL": f"sqlite:///{folder / 'rapport.db'}", "LMS_PROXY_FIX": "1",
           "LMS_BASE_URL": "https://127.0.0.1",
           "LMS_SMTP_PORT": str(free_port())}
    env.pop("LMS_TEST_DATABASE_URL", None)
    script = (
        "from lms import create_app\n"
        "from lms.extensions import db\n"
        "from lms.migrate import upgrade\n"
        "from lms.people.models import Person\n"
        "from lms.auth.services import hash_password\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    upgrade()\n"
        f"    db.session.add(Person(email={EMAIL!r}, name='Ops', password_hash=hash_password({PASSWORD!r})))\n"
        "    db.session.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    return env


def _wait(port: int, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"{what} does not listen on {port}")


@dataclass
class Site:
    url: str
    port: int
    upstream_port: int
    certificate: Path | None = None  # the self-signed one nginx serves, to verify against

    @property
    def verify(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=str(self.certificate)) if self.certificate else True


@contextmanager
def production_site(folder: Path, *, nginx: bool = True, gunicorn_args: tuple[str, ...] = (),
                    workers: int = 2) -> Iterator[Site]:
    """gunicorn (gunicorn.conf.py, ``workers`` workers) behind nginx; with ``nginx=False`` gunicorn alone on
    plain HTTP, as the README's production command used to be (for bench/slowloris.py's comparison)."""
    env = _prepare_instance(folder)
    upstream = free_port()
    port = free_port() if nginx else upstream
    scheme = "https" if nginx else "http"
    env.update(GUNICORN_BIND=f"127.0.0.1:{upstream}", WEB_CONCURRENCY=str(workers),
               LMS_BASE_URL=f"{scheme}://127.0.0.1:{port}")
    if not nginx:
        env["LMS_SECURE_COOKIES"] = "false"
    log = (folder / "gunicorn.log").open("wb")
    processes: list[subprocess.Popen] = []
    try:
        gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                     *gunicorn_args, "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log)
        processes.append(gunicorn)
        _wait(upstream, gunicorn, "gunicorn")
        if nginx:
            binary = nginx_binary()
            if binary is None:
                raise RuntimeError("nginx is not installed")
            _certificate(folder)
            config = _nginx_config(folder, port, upstream)
            server = subprocess.Popen([binary, "-p", str(folder), "-c", str(config), "-g", "daemon off;"],
                                      cwd=folder, stdout=log, stderr=log)
            processes.append(server)
            _wait(port, server, "nginx")
        site = Site(f"{scheme}://127.0.0.1:{port}", port, upstream, folder / "cert.pem" if nginx else None)
        with httpx.Client(base_url=site.url, verify=site.verify, timeout=30) as client:
            deadline = time.monotonic() + 60
            while client.get("/auth/login").status_code != 200:
                if time.monotonic() > deadline:
                    raise TimeoutError("the site does not answer")
                time.sleep(0.1)
        yield site
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        log.close()


def half_sent(site: Site, *, body: bool = False) -> socket.socket:
    """A connection that sends the start of a request and then nothing (slowloris), TLS included when served so.
    With ``body``, the headers are whole and the body is what never comes (a slow POST)."""
    raw = socket.create_connection(("127.0.0.1", site.port), timeout=10)
    if site.certificate:
        raw = site.verify.wrap_socket(raw, server_hostname="127.0.0.1")
    if body:
        raw.sendall(b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
                    b"\r\nContent-Length: 100000\r\n\r\nemail=")
    else:
        raw.sendall(b"GET /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return raw


def sign_in(site: Site, timeout: float = 30) -> tuple[float, httpx.Response]:
    """Load the sign-in page and sign in: (seconds it took, the response to the sign-in)."""
    import re

    started = time.perf_counter()
    with httpx.Client(base_url=site.url, verify=site.verify, timeout=timeout) as client:
        page = client.get("/auth/login")
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)
        response = client.post("/auth/login", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD},
                               headers={"Referer": site.url + "/auth/login"})  # as a browser sends (CSRF over https)
        home = client.get("/")
    elapsed = time.perf_counter() - started
    response.home_status = home.status_code  # type: ignore[attr-defined]
    return elapsed, response
