"""``flask lms comms ...``: the comms plugin's commands."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from lms.extensions import db


@click.group("comms", cls=AppGroup)
def group() -> None:
    """Communications: automatic messages."""


@group.command("tick")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Act as if today were this date (YYYY-MM-DD); default: today (UTC).")
def tick(day) -> None:
    """Send today's automatic messages (welcome, reminders, overdue notices, managers' digests, congratulations):
    at most one mail per person per day, never the same item twice. For cron; the worker does it too."""
    from comms.automatic import tick as run

    today: date | None = day.date() if day else None
    report = run(today)
    db.session.commit()
    click.echo(f"comms tick: {report} (the worker sends them).")
