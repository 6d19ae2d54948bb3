"""``flask --app wsgi lms ...``: the host's commands. Enabled plugins add their groups to it."""
from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lms.errors import DomainError
from lms.extensions import db


def make_cli() -> click.Group:
    """A fresh ``lms`` group per app, so one app's plugins never leak commands into another's."""
    group = AppGroup("lms", help="Rapport: set up, seed and run the LMS.")
    group.add_command(init)
    group.add_command(demo)
    group.add_command(worker)
    group.add_command(people)
    return group


@click.command()
def init() -> None:
    """Create the database schema, or upgrade it to the latest version."""
    from lms.migrate import upgrade

    upgrade()
    click.echo("Schema is up to date.")


@click.command()
@click.option("--password", envvar="LMS_DEMO_PASSWORD", default="rapport-demo",
              show_default=True, help="Password for every demo login.")
def demo(password: str) -> None:
    """Create the schema and seed the demo organisation (does nothing if it is already there)."""
    from lms.demo import seed_demo
    from lms.migrate import upgrade

    upgrade()
    created = seed_demo(password)
    db.session.commit()
    if created:
        click.echo("Demo organisation seeded. Sign in with any of these (password "
                   f"{password!r}):")
        for email, permission in created:
            click.echo(f"  {email:40} {permission}")
    else:
        click.echo("The demo organisation is already there; nothing changed.")


@click.command()
@click.option("--once", is_flag=True, help="Do one round (the plugins' steps, then mail), then exit.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
def worker(once: bool, interval: float) -> None:
    """Run every enabled plugin's background work (e.g. xAPI forwarding, starting scheduled campaigns), then deliver
    queued mail (what those steps queued included), round after round until stopped.

    Any number of workers may run at once, on any host: each claims its rows before working on them.
    """
    from flask import current_app

    from lms.auth.throttle import forget_old
    from lms.mail.delivery import deliver

    while True:
        busy = False
        try:
            forget_old()  # sign-in throttling older than its window
            db.session.commit()
        except Exception:  # the next round tries again
            db.session.rollback()
            current_app.logger.exception("forgetting old sign-in throttling failed")
        # The plugins' steps first: mail they queue (a scheduled campaign started, today's automatic messages)
        # goes out in this same round.
        for name, work in current_app.extensions["lms"].workers:
            try:
                result = work()
            except Exception as exc:  # one plugin's failure must not stop the others; retried next round
                db.session.rollback()
                current_app.logger.exception("worker step of plugin %s failed", name)
                click.echo(f"{name}: failed: {type(exc).__name__}: {exc}", err=True)
                continue
            if result:
                busy = True
                click.echo(f"{name}: {result}")
        try:
            report = deliver()
        except Exception as exc:  # the database went away, say: log, and try again next round
            db.session.rollback()
            current_app.logger.exception("sending mail failed")
            click.echo(f"mail: failed: {type(exc).__name__}: {exc}", err=True)
        else:
            if report:
                busy = True
                click.echo(f"mail: {report}")
            elif report.relay_down:
                click.echo(f"mail: {report}", err=True)
        db.session.remove()
        if once:
            return
        if not busy:
            time.sleep(interval)


@click.group()
def people() -> None:
    """People and roster commands."""


@people.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Check the file and report what would change; save nothing.")
@click.option("--invite", is_flag=True, help="Mail each person the file adds an invitation to set a password.")
def import_people(file: str, dry_run: bool, invite: bool) -> None:
    """Import a CSV roster: upsert by employee id or email; nothing is written if any row is invalid."""
    from lms.people.roster import import_roster

    with click.open_file(file, "rb") as stream:
        total = _count_records(file)
        with click.progressbar(length=total, label="Checking rows", file=sys.stderr) as bar:
            report = import_roster(stream, actor_id=None, dry_run=dry_run, on_progress=bar.update)
    if not report.ok:
        db.session.rollback()
        for error in report.errors[:200]:
            click.echo(f"{file}:{error.line}: {error.message}", err=True)
        if report.problem_count > 200:
            click.echo(f"... and {report.problem_count - 200:,} more problems.", err=True)
        raise click.ClickException(f"{report.problem_count:,} problem(s); nothing was imported.")
    if dry_run:
        db.session.rollback()
        click.echo("Dry run, nothing saved: " + report.summary())
        return
    invited = None
    if invite:
        from lms.auth.invitations import invite as send_invitations

        invited = send_invitations(report.joined, actor_id=None)
    db.session.commit()
    click.echo("Imported: " + report.summary() + (f"; {invited.summary()}" if invited else ""))


@people.command("invite")
@click.argument("emails", nargs=-1, required=True)
def invite_people(emails: tuple[str, ...]) -> None:
    """Mail these people an invitation to set their password (again: the older link stops working)."""
    from lms.auth.invitations import invite as send_invitations
    from lms.people.models import Person

    wanted = [e.strip().lower() for e in emails]
    found = {e: i for e, i in db.session.execute(select(Person.email, Person.id).where(Person.email.in_(wanted)))}
    unknown = [e for e in wanted if e not in found]
    if unknown:
        raise click.ClickException(f"No person has the email {', '.join(unknown)}; nobody was invited.")
    result = send_invitations(list(found.values()), actor_id=None)
    db.session.commit()
    click.echo(result.summary() + " (the worker sends them).")


def _count_records(file: str) -> int:
    if file == "-":
        return 0
    with open(file, "rb") as raw:
        return max(sum(1 for _ in raw) - 1, 0)


@people.command("set-password")
@click.argument("email")
@click.password_option()
def set_password(email: str, password: str) -> None:
    """Set a person's password (for the first admin, or when mail is not set up)."""
    from lms.auth.services import set_password as set_pw
    from lms.people.models import Person

    person = db.session.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None:
        raise click.ClickException(f"No person has the email {email}.")
    try:
        set_pw(person, password, reason="password set on the command line")
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Password set for {person.email}.")


@people.command("grant")
@click.argument("email")
@click.argument("permission")
def grant(email: str, permission: str) -> None:
    """Give a person a permission (learner, manager, trainer, program_office, sponsor, admin)."""
    from lms.audit.services import record
    from lms.people.models import Person, PersonPermission
    from lms.permissions import Permission

    try:
        perm = Permission(permission)
    except ValueError:
        raise click.ClickException(
            f"Unknown permission {permission!r}; use one of {', '.join(p.value for p in Permission)}.") from None
    person = db.session.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None:
        raise click.ClickException(f"No person has the email {email}.")
    if perm not in person.permissions:
        person.permission_rows.append(PersonPermission(permission=perm.value))
        record(None, "person.grant", person.email, permission=perm.value)
    db.session.commit()
    click.echo(f"{person.email} holds: {', '.join(sorted(p.value for p in person.permissions))}.")
