"""Configuration: defaults, then the instance folder's ``config.py``, then ``LMS_*`` environment variables.

Every setting Rapport reads is listed in :data:`DEFAULTS`; the README's configuration table mirrors it.
"""
from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # "development", "production" or "testing".
    "LMS_ENV": "production",
    "LMS_DATABASE_URL": None,  # None: SQLite file ``rapport.db`` in the instance folder
    "LMS_PLUGINS": ["courses", "tracking", "comms", "governance", "adoption"],
    "LMS_BASE_URL": None,  # None: http://127.0.0.1:5000, outside production
    "LMS_SITE_NAME": "Rapport",
    "LMS_MAIL_SENDER": "Rapport <no-reply@rapport.invalid>",
    "LMS_SMTP_HOST": "127.0.0.1",
    "LMS_SMTP_PORT": 25,
    "LMS_SMTP_USERNAME": None,
    "LMS_SMTP_PASSWORD": None,
    "LMS_SMTP_STARTTLS": False,  # same as LMS_SMTP_SECURITY=starttls (kept for older configurations)
    "LMS_SMTP_SECURITY": "none",  # none | starttls | tls (implicit TLS, usually port 465)
    "LMS_SMTP_CA_FILE": None,  # a CA bundle to trust for the relay's certificate (default: the system's)
    "LMS_SMTP_TIMEOUT": 10,
    "LMS_SMTP_CONNECTIONS": 4,  # sessions each worker sends over at once
    "LMS_MAIL_SENDERS": 1,  # threads of a worker sharing those sessions (more for a distant relay: see the README)
    "LMS_MAIL_RATE": 0.0,  # messages per second per worker process (0: as fast as the relay takes them)
    "LMS_MAIL_BATCH": 200,  # rows a worker claims at a time
    "LMS_MAIL_LEASE": 60.0,  # seconds a claim holds before another worker may take the rows over
    "LMS_MAIL_RETRY_BASE": 30.0,  # seconds before the first retry of a temporary failure; doubled each time
    "LMS_MAIL_MAX_ATTEMPTS": 8,  # temporary failures before a mail is given up
    "LMS_PASSWORD_RESET_MAX_AGE": 3600,  # seconds a reset link stays valid
    "LMS_INVITATION_MAX_AGE": 7 * 24 * 3600,  # seconds an invitation's set-a-password link stays valid
    "LMS_RESET_WINDOW": 3600,  # seconds over which the two limits below count
    "LMS_RESET_MAX_PER_TARGET": 3,  # reset mails to one address per window
    "LMS_RESET_MAX_PER_CLIENT": 20,  # reset requests acted on per client address per window
    # Sign-in throttling (lms.auth.throttle): past these, a right password mails a one-time sign-in link.
    "LMS_LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
    "LMS_LOGIN_MAX_ACCOUNTS_PER_ADDRESS": 30,  # accounts tried without success from one address
    "LMS_LOGIN_FAILURE_WINDOW": 900,  # seconds
    "LMS_LOGIN_MAX_DELAY": 30,  # seconds between password checks on a throttled account, at most
    "LMS_REMEMBER_DAYS": 30,  # "keep me signed in" lasts this long
    "LMS_CSRF_TIME_LIMIT": 4 * 3600,  # seconds a form stays valid after the page was loaded
    # Reverse proxies: how many stand in front of Rapport (0: none, X-Forwarded-* are ignored), and the addresses
    # (or networks) allowed to be the nearest one. Their X-Forwarded-For/-Proto/-Host/-Port are believed.
    "LMS_PROXY_FIX": 0,
    "LMS_TRUSTED_PROXIES": ["127.0.0.1", "::1"],
    "LMS_MAX_UPLOAD_BYTES": 64 * 1024 * 1024,
    "LMS_SECRET_KEY": None,
    # A folder of .eml files that the demo's own SMTP server writes (dev.py demo sets it): Admin > Demo mailbox
    # shows them. Ignored in production.
    "LMS_DEMO_MAILBOX": None,
    # Send cookies only over HTTPS. Default: on in production, off otherwise.
    "LMS_SECURE_COOKIES": None,
}

_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which setting and why."""


def _parse_env(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        try:
            return _BOOLEANS[raw.strip().lower()]
        except KeyError:
            raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a number") from None
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if isinstance(default, list):
        if raw.strip().startswith("["):
            value = json.loads(raw)
            if not isinstance(value, list):
                raise ConfigError(f"{name} must be a list")
            return [str(v) for v in value]
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def load(config: dict[str, Any], instance_path: str, overrides: dict[str, Any] | None) -> None:
    """Fill ``config`` in order: defaults, instance ``config.py``, ``LMS_*`` environment, ``overrides``."""
    config.update(DEFAULTS)
    instance_file = Path(instance_path, "config.py")
    if instance_file.is_file():
        namespace: dict[str, Any] = {}
        exec(compile(instance_file.read_text(), str(instance_file), "exec"), namespace)  # noqa: S102
        config.update({k: v for k, v in namespace.items() if k.isupper()})
    for name, default in DEFAULTS.items():
        if name in os.environ:
            config[name] = _parse_env(name, os.environ[name], default)
    if overrides:
        config.update(overrides)

    if not config["LMS_DATABASE_URL"]:
        config["LMS_DATABASE_URL"] = "sqlite:///" + str(Path(instance_path, "rapport.db"))
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["LMS_DATABASE_URL"])
    config["SECRET_KEY"] = config["LMS_SECRET_KEY"] or _development_secret(config, instance_path)
    if not config["LMS_BASE_URL"]:
        if config["LMS_ENV"] == "production":
            # Mail links, activity ids and the authority of every statement the LRS stores name this address.
            raise ConfigError("LMS_BASE_URL is not set. In production Rapport refuses to start without it: set it "
                              "to the public address people and LRS clients use, e.g. https://lms.example.com.")
        config["LMS_BASE_URL"] = "http://127.0.0.1:5000"
    config["MAX_CONTENT_LENGTH"] = config["LMS_MAX_UPLOAD_BYTES"]
    config["TESTING"] = config["LMS_ENV"] == "testing" or config.get("TESTING", False)
    secure = config["LMS_SECURE_COOKIES"]
    if isinstance(secure, str):
        secure = _parse_env("LMS_SECURE_COOKIES", secure, False)
    if secure is None:
        secure = config["LMS_ENV"] == "production"
    # Over HTTPS the cookies take the __Host- prefix: the browser then only accepts them Secure, for the whole
    # site (Path=/) and from this host alone (no Domain), so a sibling subdomain cannot set or shadow them.
    prefix = "__Host-" if secure else ""
    config.update(
        SESSION_COOKIE_NAME=prefix + "session",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        REMEMBER_COOKIE_NAME=prefix + "remember_token",
        REMEMBER_COOKIE_PATH="/",
        REMEMBER_COOKIE_DOMAIN=None,
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        REMEMBER_COOKIE_DURATION=timedelta(days=config["LMS_REMEMBER_DAYS"]),
        # A form's token is signed with the time it was made and refused after this (the "form expired" page);
        # signing in starts a new session, so a token from before sign-in is refused too.
        WTF_CSRF_TIME_LIMIT=config["LMS_CSRF_TIME_LIMIT"],
    )


def add_plugin_defaults(config: dict[str, Any], defaults: dict[str, Any]) -> None:
    """A plugin's settings: its default, unless the instance file set it; the environment beats both."""
    for name, default in defaults.items():
        if name in os.environ:
            config[name] = _parse_env(name, os.environ[name], default)
        else:
            config.setdefault(name, default)


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _development_secret(config: dict[str, Any], instance_path: str) -> str:
    if config["LMS_ENV"] == "production":
        raise ConfigError(
            "LMS_SECRET_KEY is not set. In production Rapport refuses to start without it: "
            "set LMS_SECRET_KEY to a long random value (python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    key_file = Path(instance_path, "secret_key")
    if key_file.is_file():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key
