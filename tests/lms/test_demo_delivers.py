"""``python3 dev.py demo`` delivers: it runs the worker and an SMTP server of its own beside ``flask run``, every
link names the port served, the mail is readable in instance/demo-mail and on Admin > Demo mailbox, and Ctrl+C
stops all three. Started here as dev.py starts them (``dev.py serve`` is ``dev.py demo`` without seeding)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lms.auth import invitations
from lms.extensions import db
from lms.permissions import Permission
from tests.conftest import PASSWORD, free_port

ROOT = Path(__file__).resolve().parents[2]
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _csrf(client: httpx.Client, url: str) -> str:
    match = _CSRF.search(client.get(url).text)
    assert match, url
    return match.group(1)


def _wait_for_mail(folder: Path, needle: str, timeout: float = 120.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml")) if folder.is_dir() else []:
            content = path.read_text(errors="replace")
            if needle in content:
                return content
        time.sleep(0.2)
    raise AssertionError(f"no mail with {needle!r} arrived in {folder}")


@pytest.fixture()
def demo_processes(app, database_url, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(LMS_DATABASE_URL=database_url, LMS_INSTANCE_PATH=str(tmp_path), LMS_DEMO_PORT=str(port),
               LMS_SECRET_KEY=app.config["SECRET_KEY"], LMS_XAPI_BACKGROUND_DERIVE="false")
    log = open(tmp_path / "demo.log", "wb")  # noqa: SIM115 (closed below; a pipe nobody reads could fill up)
    process = subprocess.Popen([sys.executable, "dev.py", "serve"], cwd=ROOT, env=env, start_new_session=True,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # generous: a loaded CI machine starts three processes
    while True:
        try:
            if httpx.get(base + "/auth/login", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            output = (tmp_path / "demo.log").read_text(errors="replace")
            raise AssertionError(f"the demo did not start: {output}")
        time.sleep(0.3)
    try:
        yield process, base, tmp_path / "demo-mail", port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_the_demo_delivers_mail_to_its_own_mailbox_with_links_on_the_port_served(app, factory, demo_processes):
    process, base, folder, port = demo_processes
    admin = factory.person(permissions=[Permission.ADMIN, Permission.LEARNER], email="admin@example.com")
    newcomer = factory.person(password=None, email="newcomer@example.com")

    # A password reset (sent by the web process right after the response) lands in the folder.
    client = httpx.Client(base_url=base, timeout=10)
    token = _csrf(client, "/auth/forgot")
    assert client.post("/auth/forgot", data={"csrf_token": token, "email": admin.email}).status_code == 302
    reset = _wait_for_mail(folder, "Reset your Rapport password")
    assert f"http://127.0.0.1:{port}/auth/reset/" in reset
    assert "http://127.0.0.1:5000" not in reset

    # An invitation queued outside any request is sent by the demo's worker.
    invitations.invite([newcomer.id], actor_id=admin.id)
    db.session.commit()
    welcome = _wait_for_mail(folder, "set your password")
    assert f"http://127.0.0.1:{port}/auth/welcome/" in welcome

    # Admin > Demo mailbox lists both and shows one: its links, its HTML in a sandboxed frame, its text part.
    token = _csrf(client, "/auth/login")
    assert client.post("/auth/login", data={"csrf_token": token, "email": admin.email,
                                            "password": PASSWORD}).status_code == 302
    listing = client.get("/admin/demo-mailbox")
    assert listing.status_code == 200
    assert "Reset your Rapport password" in listing.text and "You are invited to Rapport" in listing.text
    assert "Demo mailbox" in client.get("/admin/people").text  # in the admin's menu
    name = re.search(r'href="/admin/demo-mailbox/([^"/]+)">Reset your', listing.text).group(1)
    page = client.get(f"/admin/demo-mailbox/{name}")
    assert f"http://127.0.0.1:{port}/auth/reset/" in page.text
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page.text
    assert "Text part" in page.text
    frame = client.get(f"/admin/demo-mailbox/{name}/html")
    assert frame.headers["Content-Security-Policy"].startswith("sandbox")
    assert "Set a new password" in frame.text
    link = re.search(rf"http://127.0.0.1:{port}(/auth/reset/\S+)", page.text).group(1).split('"')[0]
    assert "Set a new password" in httpx.get(base + link).text
    assert client.get("/admin/demo-mailbox/..%2Fsecret_key").status_code == 404

    # Ctrl+C (SIGINT to the terminal's process group) stops the server, the worker and the mail server.
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) == 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("a process of the demo is still running after Ctrl+C")


def test_the_demo_mailbox_is_not_there_outside_the_demo(make_app, factory, tmp_path):
    from tests.conftest import login

    app = make_app(LMS_DEMO_MAILBOX=str(tmp_path))
    admin = factory.person(permissions=[Permission.ADMIN])
    client = app.test_client()
    with app.app_context():
        login(client, admin)
        assert client.get("/admin/demo-mailbox").status_code == 200
    production = make_app(LMS_DEMO_MAILBOX=None)
    client = production.test_client()
    with production.app_context():
        login(client, admin)
        assert client.get("/admin/demo-mailbox").status_code == 404
        assert "Demo mailbox" not in client.get("/admin/people").get_data(as_text=True)
