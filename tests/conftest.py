"""Fixtures: a real database (SQLite, or PostgreSQL when LMS_TEST_DATABASE_URL is set), a real SMTP server,
factories for people and organisation, and helpers that sign in and post forms with their CSRF token."""
from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy import create_engine, inspect, make_url, select, text
from sqlalchemy.pool import NullPool

from lms import create_app
from lms.extensions import db
from lms.people.models import Department, JobRole, Person, PersonPermission, RolloutWave
from lms.permissions import Permission

PASSWORD = "correct horse battery"
SHM = "/dev/shm"  # noqa: S108 (a folder made with mkdtemp, not a fixed file)
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """Collects every mail the real SMTP server receives. ``rcpt_reply(address)`` may answer a RCPT with a refusal
    (e.g. ``"550 5.1.1 No such user"`` or ``"451 4.3.0 Try later"``); ``on_data(count)`` runs as each message is
    accepted (after it is stored, before the 250 goes back)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.rcpt_reply = None
        self.on_data = None
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        refusal = self.rcpt_reply(address) if self.rcpt_reply else None
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's handler name)
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            count = len(self.messages)
        if self.on_data:
            self.on_data(count)
        return "250 Message accepted for delivery"

    def text(self, index: int = -1) -> str:
        """The plain-text body of a received mail."""
        return self.messages[index].get_body(("plain",)).get_content()

    def html(self, index: int = -1) -> str:
        return self.messages[index].get_body(("html",)).get_content()

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Message]:
        """Wait until at least ``count`` mails arrived (mail is sent after the response, in the background)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, f"expected {count} mail(s), received {len(self.messages)}"
        return self.messages

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.envelopes.clear()
        self.rcpt_reply = None
        self.on_data = None


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture()
def inbox(smtp_server) -> Inbox:
    smtp_server[1].clear()
    return smtp_server[1]


@contextmanager
def _sqlite_folder(tmp_path_factory, name: str) -> Iterator[Path]:
    """A folder for a test SQLite database: in memory-backed /dev/shm where there is one with room (the same SQLite,
    WAL and FULL sync, but a commit costs microseconds instead of a disk flush), else under pytest's temporary folder
    (a container's /dev/shm may be as small as 64 MB; the two databases take a few tens of MB)."""
    if not (os.path.isdir(SHM) and os.access(SHM, os.W_OK) and shutil.disk_usage(SHM).free > 512 * 2**20):
        yield tmp_path_factory.mktemp(name)
        return
    folder = Path(tempfile.mkdtemp(prefix=f"rapport-{name}-", dir=SHM))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _no_flush_per_commit(url: str) -> str:
    """PostgreSQL with ``synchronous_commit=off`` for the test connections: a commit is visible to every other
    connection at once, as ever, but does not wait for its WAL flush (only a server crash could lose the last ones,
    which a test database does not mind). Left as it is when the URL sets ``options`` itself."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres") or "options" in parsed.query:
        return url
    return parsed.update_query_dict({"options": "-c synchronous_commit=off"}).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    if os.environ.get("LMS_TEST_DATABASE_URL"):
        yield _no_flush_per_commit(os.environ["LMS_TEST_DATABASE_URL"])
        return
    with _sqlite_folder(tmp_path_factory, "db") as folder:
        yield "sqlite:///" + str(folder / "test.db")


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def base_config(database_url, instance_path, smtp_server) -> dict:
    return {
        "LMS_ENV": "testing",
        "LMS_SECRET_KEY": "test-secret-key-not-for-production",
        "LMS_DATABASE_URL": database_url,
        "LMS_SMTP_HOST": "127.0.0.1",
        "LMS_SMTP_PORT": smtp_server[0].port,
        "LMS_BASE_URL": "http://localhost",
        "LMS_INSTANCE_PATH": instance_path,
        # Deriving in a background thread would race the tests that look at what is pending; tests that are about
        # it turn it on (tests/tracking/test_background_derive.py).
        "LMS_XAPI_BACKGROUND_DERIVE": False,
    }


@functools.cache
def password_hash(password: str) -> str:
    """The argon2 hash of a password, made once per session: argon2 takes a good part of a second per hash by
    design, and the tests make people by the hundred. People made with the same password share its hash; each
    still signs in through the real verification."""
    from lms.auth.services import hash_password

    return hash_password(password)


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production: its own ``g`` and database session,
    even while the test itself holds an app context (pytest-flask pushes one)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
            self._context_stack.close()  # contexts Flask preserved for `with client:` blocks, unused here
        return response


def _make_app(config: dict):
    os.environ["LMS_INSTANCE_PATH"] = config["LMS_INSTANCE_PATH"]
    try:
        app = create_app({k: v for k, v in config.items() if k != "LMS_INSTANCE_PATH"})
    finally:
        del os.environ["LMS_INSTANCE_PATH"]
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def _schema(base_config) -> None:
    """Start from an empty database and apply every migration once per test session."""
    app = _make_app(base_config)
    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            else:
                tables = connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).scalars()
                connection.execute(text("PRAGMA foreign_keys=OFF"))
                for table in list(tables):
                    connection.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
        from lms.migrate import upgrade

        upgrade()
        db.engine.dispose()


def _empty_tables() -> None:
    existing = set(inspect(db.engine).get_table_names())  # a disabled plugin's tables may not exist
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name in existing]
    with db.engine.begin() as connection:
        # DELETE, children first, on PostgreSQL too: TRUNCATE of some 90 tables takes about a second there (it makes
        # new files for each), DELETE of a test's few rows a few milliseconds. Then the sequences start again at 1,
        # as TRUNCATE ... RESTART IDENTITY did (and as SQLite's rowids do once a table is empty).
        for table in tables:
            connection.execute(text(f'DELETE FROM "{table}"'))
        if db.engine.dialect.name == "postgresql":
            for schema, sequence in connection.execute(text(
                    "SELECT schemaname, sequencename FROM pg_sequences WHERE last_value IS NOT NULL")):
                connection.execute(text(f'ALTER SEQUENCE "{schema}"."{sequence}" RESTART'))


@pytest.fixture()
def make_app(base_config, _schema):
    """Build an app with config overrides; its tables are emptied after the test."""
    apps = []

    def factory(**overrides):
        app = _make_app({**base_config, **overrides})
        apps.append(app)
        return app

    yield factory
    from lms.mail import kicker

    for built in apps:  # mail still being sent in the background must not outlive the test's rows
        kicker.drain(built)
    if apps:
        with apps[0].app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


@pytest.fixture()
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()


DEMO_PASSWORD = "demo password 1"


@dataclass(frozen=True)
class DemoSeed:
    """The demo organisation, seeded once per session into a database of its own (never used by a test directly:
    each test gets a copy through ``demo_app``)."""

    url: str
    output: str  # what ``flask lms demo --password ...`` printed


def _postgres_server(url: str):
    """An engine on the server's maintenance database, for CREATE/DROP DATABASE (which cannot run in a transaction)."""
    url = make_url(url).set(drivername="postgresql+psycopg", database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _recreate_postgres(url: str, database: str, template: str | None = None) -> str:
    server = _postgres_server(url)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{database}"' + (f' TEMPLATE "{template}"' if template else "")))
    server.dispose()
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _drop_postgres(url: str) -> None:
    server = _postgres_server(url)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def demo_seed(base_config, database_url, tmp_path_factory) -> Iterator[DemoSeed]:
    """``flask lms demo`` once per session (it takes a while), on the test database's engine (SQLite or PostgreSQL)."""
    with ExitStack() as cleanup:
        if database_url.startswith("sqlite"):
            url = "sqlite:///" + str(cleanup.enter_context(_sqlite_folder(tmp_path_factory, "demo")) / "demo.db")
        else:
            url = _recreate_postgres(database_url, make_url(database_url).database + "_demo")
            cleanup.callback(_drop_postgres, url)
        app = _make_app({**base_config, "LMS_DATABASE_URL": url})
        with app.app_context():  # as the app fixture has one
            result = app.test_cli_runner().invoke(args=["lms", "demo", "--password", DEMO_PASSWORD])
            assert result.exit_code == 0, result.output
            assert "Demo organisation seeded" in result.output, result.output
            from lms.mail import kicker

            kicker.drain(app)
            db.session.remove()
            db.engine.dispose()  # no connection left open on the template
        yield DemoSeed(url=url, output=result.output)


@pytest.fixture()
def demo_app(base_config, demo_seed, tmp_path):
    """An app on a fresh copy of the seeded demo database, inside an app context (as ``app`` is); the copy is the
    test's to change. Use it in a module as ``app``: ``@pytest.fixture() def app(demo_app): return demo_app``."""
    if demo_seed.url.startswith("sqlite"):
        url = "sqlite:///" + str(tmp_path / "demo.db")
        source, copy = sqlite3.connect(make_url(demo_seed.url).database), sqlite3.connect(make_url(url).database)
        try:
            source.backup(copy)  # consistent whatever is still in the write-ahead log
        finally:
            source.close()
            copy.close()
    else:
        url = _recreate_postgres(demo_seed.url, make_url(demo_seed.url).database + "_copy",
                                 template=make_url(demo_seed.url).database)
    app = _make_app({**base_config, "LMS_DATABASE_URL": url})
    with app.app_context():
        yield app
        db.session.remove()
    from lms.mail import kicker

    kicker.drain(app)
    with app.app_context():
        db.engine.dispose()
    if not url.startswith("sqlite"):
        _drop_postgres(url)


@dataclass
class Factory:
    """Makes people and organisation rows (committed, so the app's requests see them)."""

    counter: int = 0
    roles: dict = field(default_factory=dict)

    def job_role(self, code: str) -> JobRole:
        role = db.session.scalar(select(JobRole).where(JobRole.code == code))
        if role is None:
            role = JobRole(code=code, name=code.replace("_", " ").capitalize())
            db.session.add(role)
            db.session.flush()
        return role

    def _named(self, model, name: str):
        row = db.session.scalar(select(model).where(model.name == name))
        if row is None:
            row = model(name=name)
            db.session.add(row)
            db.session.flush()
        return row

    def department(self, name: str) -> Department:
        return self._named(Department, name)

    def wave(self, name: str) -> RolloutWave:
        return self._named(RolloutWave, name)

    def person(self, *, role: str | None = "sales_rep", permissions=(Permission.LEARNER,),
               password: str | None = PASSWORD,
               department: str | None = "Sales", wave: str | None = None, manager: Person | None = None,
               email: str | None = None, name: str | None = None, employee_id: str | None = None,
               hire_date: date | None = None, active: bool = True) -> Person:
        self.counter += 1
        person = Person(
            email=email or f"person{self.counter}@example.com", name=name or f"Person {self.counter}",
            employee_id=employee_id or f"T{self.counter:05d}", job_role=self.job_role(role) if role else None,
            department=self.department(department) if department else None,
            wave=self.wave(wave) if wave else None, manager=manager, hire_date=hire_date, active=active,
            password_hash=password_hash(password) if password else None,
            permission_rows=[PersonPermission(permission=Permission(p).value) for p in permissions],
        )
        db.session.add(person)
        db.session.commit()
        return person


@pytest.fixture()
def factory(app) -> Factory:
    return Factory()


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {page.status_code})"
    return match.group(1) or match.group(2)


def post_form(client, url: str, data: dict, *, form_url: str | None = None, **kwargs):
    """Post ``data`` to ``url`` with the CSRF token from the page at ``form_url`` (default: ``url``)."""
    if client.application.config.get("WTF_CSRF_ENABLED", True):
        data = {"csrf_token": csrf_token(client, form_url or url), **data}
    return client.post(url, data=data, **kwargs)


def login(client, person: Person, password: str = PASSWORD):
    response = post_form(client, "/auth/login", {"email": person.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture()
def as_person(client):
    """Sign the test client in as a person: ``as_person(factory.person(...))``."""

    def sign_in(person: Person):
        login(client, person)
        return client

    return sign_in
