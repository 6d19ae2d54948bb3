"""``flask --app wsgi lms courses ...``"""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from courses import enrolment, library, packs
from courses.models import Course
from lms.extensions import db


@click.group("courses")
def group() -> None:
    """Course packs, learning paths and assignments."""


def _fail(error: packs.PackError) -> None:
    db.session.rollback()
    for problem in error.problems:
        click.echo(problem, err=True)
    raise click.ClickException(error.message)


@group.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--draft", is_flag=True, help="Import as a draft; do not publish a new version.")
def import_command(path: Path, draft: bool) -> None:
    """Import a course pack (folder or .zip), or a library folder with packs/ and paths.yaml."""
    try:
        if library.is_library(path):
            summary = library.import_library(path, actor_id=None, publish=not draft)
            message = (f"Imported {len(summary['courses'])} course(s) ({len(summary['published'])} newly published) "
                       f"and {len(summary['paths'])} learning path(s).")
        else:
            files = packs.read_zip(path.read_bytes()) if path.suffix == ".zip" else packs.read_folder(path)
            course, published = packs.import_pack(files, actor_id=None, publish=not draft)
            version = course.latest_version
            state = f"published as version {version.number}" if published else (
                "unchanged" if version else "saved as a draft")
            message = f"Imported {course.slug}: {state}."
    except packs.PackError as error:
        _fail(error)
        return
    db.session.commit()
    click.echo(message)


@group.command("import-paths")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_paths_command(file: Path) -> None:
    """Create or update learning paths from a paths.yaml file."""
    try:
        slugs = library.import_paths(file.read_bytes(), name=file.name)
    except packs.PackError as error:
        _fail(error)
        return
    db.session.commit()
    click.echo(f"Saved {len(slugs)} learning path(s): {', '.join(slugs)}.")


@group.command("export")
@click.argument("slug")
@click.argument("target", type=click.Path(path_type=Path))
def export_command(slug: str, target: Path) -> None:
    """Export a course's draft as a pack folder (or TARGET.zip)."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"No course has the slug {slug}.")
    files = packs.export_pack(course)
    if target.suffix == ".zip":
        target.write_bytes(packs.zip_bytes(files, course.slug))
    else:
        packs.write_folder(files, target)
    click.echo(f"Exported {slug} ({len(files)} files) to {target}.")


@group.command("assign")
def assign_command() -> None:
    """Apply every learning path's rules to everyone (after changing rules or importing paths)."""
    from lms.people.models import Person

    made = enrolment.assign_paths(list(db.session.scalars(select(Person.id))))
    db.session.commit()
    click.echo(f"Made {made} new path assignment(s).")


@group.command("recertify")
def recertify_command() -> None:
    """Expire completed paths past their recertification date and assign them again (run daily)."""
    expired = enrolment.expire_certifications()
    db.session.commit()
    click.echo(f"{expired} certification(s) expired and re-assigned.")
