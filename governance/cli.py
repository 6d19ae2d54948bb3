"""``flask --app wsgi lms governance ...``"""
from __future__ import annotations

import time
from pathlib import Path

import click

from lms.extensions import db


@click.group("governance")
def group() -> None:
    """The governance board, the gap report's read model and the governance pack."""


@group.command("rebuild")
def rebuild_command() -> None:
    """Recompute the gap report's read model for everyone (after a restore, or to check it)."""
    from governance.services_readmodel import rebuild
    from tracking import api as tracking_api

    tracking_api.catch_up()
    started = time.perf_counter()
    rows = rebuild()
    click.echo(f"Rebuilt the gap report's read model: {rows} requirement(s) in {time.perf_counter() - started:.1f} s.")


@group.command("refresh")
def refresh_command() -> None:
    """Recompute the people marked as changed (what the worker does in the background)."""
    from governance.services_readmodel import bring_up_to_date

    left = bring_up_to_date(None)
    click.echo("The gap report's read model is up to date." if not left else f"{left} people still wait.")


@group.command("pack")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def pack_command(out: Path) -> None:
    """Write the governance pack (PDF) to OUT."""
    from governance.pack import PackUnavailable, render_pack

    try:
        pdf = render_pack()
    except PackUnavailable as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    out.write_bytes(pdf)
    db.session.commit()
    click.echo(f"Wrote the governance pack to {out} ({len(pdf) // 1024} kB).")
