"""Browser fixtures: the app served for real on 127.0.0.1 from a thread, and Debian's Chromium driven by
Playwright. Without /usr/bin/chromium the browser tests are skipped, or fail when LMS_REQUIRE_BROWSER=1."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _unavailable(reason: str) -> None:
    if os.environ.get("LMS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (LMS_REQUIRE_BROWSER=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; each test gets its own context (cookies, storage)."""
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture()
def app_server(app) -> Iterator[str]:
    """Serve the test app (the ``app`` fixture, on the test database) over real HTTP; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="app-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@dataclass
class Problems:
    """Console errors and uncaught page errors seen by a page (a CSP violation shows up as one)."""

    console: list[str] = field(default_factory=list)
    page: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return self.console + self.page


@pytest.fixture()
def page(browser, app_server):
    """A fresh browser page whose relative URLs go to the app server; ``page.problems`` collects errors."""
    context = browser.new_context(base_url=app_server)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = Problems()
    page.on("console", lambda msg: problems.console.append(f"{msg.type}: {msg.text} ({msg.location})")
            if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.page.append(str(error)))
    page.problems = problems
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/ at the repository root (gitignored): screenshots for humans."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    from playwright.sync_api import expect

    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
