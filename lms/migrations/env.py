"""Alembic environment: runs inside the Flask app context set up by :mod:`lms.migrate`."""
from __future__ import annotations

from alembic import context
from flask import current_app

from lms.extensions import db

config = context.config


def run_migrations() -> None:
    engine = db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `flask --app wsgi lms init`.")
current_app.logger.debug("running migrations on %s", db.engine.url.render_as_string(hide_password=True))
run_migrations()
