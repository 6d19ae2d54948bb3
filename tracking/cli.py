"""``flask --app wsgi lms tracking ...`` and ``flask --app wsgi lms lrs-client ...``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from lms.errors import DomainError
from lms.extensions import db


@click.group("tracking", cls=AppGroup)
def group() -> None:
    """xAPI tracking: progress projections and forwarding to the external LRS."""


@group.command("rebuild")
def rebuild() -> None:
    """Recompute every progress projection from the statement log."""
    from tracking.services_derive import catch_up, derive_failures, retry_failures
    from tracking.services_progress import rebuild as rebuild_progress

    retried = retry_failures()  # statements that could not be derived get another go
    db.session.commit()
    catch_up(most=None)
    count = rebuild_progress()
    db.session.commit()
    click.echo(f"Rebuilt {count} progress row(s) from the statement log.")
    failed, _ = derive_failures()
    if retried or failed:
        click.echo(f"{failed} of {retried} statement(s) that could not be derived still cannot be (see the log).")


@group.command("forward")
@click.option("--once", is_flag=True, help="Deliver what is due, then exit.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls when idle.")
def forward(once: bool, interval: float) -> None:
    """Deliver queued statements to the external LRS (LMS_LRS_FORWARD_URL) until stopped."""
    from tracking.services_forward import run_forwarder

    run_forwarder(once=once, interval=interval, echo=click.echo)


@click.group("lrs-client", cls=AppGroup)
def lrs_client() -> None:
    """Credentials other tools use to send statements to Rapport's LRS (HTTP Basic)."""


@lrs_client.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(["read", "write"]),
              help="read: fetch statements and documents; write: store them. Default: both.")
def create(name: str, scopes: tuple[str, ...]) -> None:
    """Create an LRS client and print its key and secret (the secret is shown only now)."""
    from tracking.services_clients import create_client

    try:
        new = create_client(name, list(scopes) or ["read", "write"])
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created LRS client {new.client.name!r} with scopes: {', '.join(sorted(new.client.scopes))}.")
    click.echo(f"key:    {new.client.key}")
    click.echo(f"secret: {new.secret}")
    click.echo("Store the secret now: Rapport keeps only a hash of it.")


@lrs_client.command("list")
def list_command() -> None:
    """List LRS clients with their key, scopes and status."""
    from tracking.services_clients import list_clients

    clients = list_clients()
    if not clients:
        click.echo("No LRS clients yet: create one with `flask --app wsgi lms lrs-client create NAME`.")
    for client in clients:
        status = "active" if client.active else f"revoked {client.revoked_at:%Y-%m-%d %H:%M}"
        click.echo(f"{client.key}  {client.name:30}  {' '.join(sorted(client.scopes)):12}  {status}")


@lrs_client.command("revoke")
@click.argument("key")
def revoke(key: str) -> None:
    """Revoke an LRS client: its credentials are refused from now on."""
    from tracking.services_clients import revoke_client

    try:
        client = revoke_client(key)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Revoked LRS client {client.name!r} ({client.key}).")
