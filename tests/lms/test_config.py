"""Configuration order, secret key handling, and the app factory doing no I/O at import."""
from __future__ import annotations

import subprocess
import sys

import pytest

from lms import create_app
from lms.config import ConfigError


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="LMS_SECRET_KEY is not set"):
        create_app({"LMS_ENV": "production"})


def test_development_generates_a_secret_key_once(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    first = create_app({"LMS_ENV": "development"}).config["SECRET_KEY"]
    second = create_app({"LMS_ENV": "development"}).config["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_instance_file_then_environment_override_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text("LMS_SITE_NAME = 'From instance'\nLMS_SMTP_PORT = 2525\n")
    monkeypatch.setenv("LMS_SMTP_PORT", "2626")
    monkeypatch.setenv("LMS_SECRET_KEY", "from-env")
    monkeypatch.setenv("LMS_DATABASE_URL", "postgresql://u@db/rapport")
    monkeypatch.setenv("LMS_BASE_URL", "https://lms.example.com")
    app = create_app()
    assert app.config["LMS_SITE_NAME"] == "From instance"
    assert app.config["LMS_SMTP_PORT"] == 2626
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/rapport"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_bad_environment_value_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LMS_SMTP_PORT", "twenty-five")
    with pytest.raises(ConfigError, match="LMS_SMTP_PORT='twenty-five' is not a whole number"):
        create_app({"LMS_ENV": "development"})


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("LMS_DATABASE_URL", raising=False)
    app = create_app({"LMS_ENV": "development"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/rapport.db"
    assert not (tmp_path / "rapport.db").exists()  # the factory connects to nothing


def test_importing_wsgi_modules_opens_no_database(tmp_path):
    code = ("import sqlalchemy.engine.base as b\n"
            "b.Connection.__init__ = lambda *a, **k: (_ for _ in ()).throw(SystemExit('connected'))\n"
            "import lms, lms.models, courses, tracking, comms, governance\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_plugin_settings_have_defaults_and_follow_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    app = create_app({"LMS_ENV": "development", "LMS_PLUGINS": ["courses"]})
    assert app.config["LMS_NEW_HIRE_DAYS"] == 90
    monkeypatch.setenv("LMS_NEW_HIRE_DAYS", "30")
    app = create_app({"LMS_ENV": "development", "LMS_PLUGINS": ["courses"]})
    assert app.config["LMS_NEW_HIRE_DAYS"] == 30
