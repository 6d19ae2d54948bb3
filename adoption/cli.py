"""``flask --app wsgi lms adoption ...``"""
from __future__ import annotations

from pathlib import Path

import click

from lms.extensions import db


@click.group("adoption")
def group() -> None:
    """CRM usage, the adoption read model, digests and badges."""


@group.command("import-usage")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_usage(csv_file: Path) -> None:
    """Import daily CRM usage per person from CSV_FILE (person, date, kind, count). Nothing is written when any
    line has a problem; each problem is listed with its line number."""
    from adoption.usage import UsageCsvError, import_csv

    try:
        count = import_csv(csv_file.read_bytes())
    except UsageCsvError as error:
        db.session.rollback()
        raise click.ClickException("nothing was imported:\n" + "\n".join(
            f"{csv_file.name}:{p.line}: {p.message}" for p in error.problems)) from None
    db.session.commit()
    click.echo(f"Imported {count} day(s) of usage from {csv_file.name}.")


@group.command("refresh")
@click.option("--everyone", is_flag=True, help="Recompute every active person, not only those queued.")
def refresh(everyone: bool) -> None:
    """Bring the adoption read model up to date (what the worker does), then award badges now due."""
    from sqlalchemy import select

    from adoption import incentives, readmodel
    from adoption.usage import mark_dirty
    from lms.people.models import Person

    if everyone:
        mark_dirty(db.session.scalars(select(Person.id).where(Person.active.is_(True))))
    done = readmodel.bring_up_to_date()
    awarded = incentives.award_due()
    db.session.commit()
    click.echo(f"Refreshed {len(done)} people; awarded {awarded} badge(s).")


@group.command("send-digests")
def send_digests() -> None:
    """Send this week's coaching digests now (each manager gets at most one per week)."""
    from adoption.coaching import send_digests as send

    click.echo(send() or "No digest was due.")
