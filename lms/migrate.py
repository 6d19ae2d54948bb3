"""Schema management with Alembic: the host's revisions plus those of every enabled plugin.

Each plugin keeps its revisions in its own package (``Plugin.migrations``) on a branch labelled with the
plugin's name whose first revision ``depends_on`` the host's ``lms`` branch; ``upgrade("heads")`` applies all.
"""
from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from lms.extensions import db

HERE = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    locations = [str(HERE / "versions")]
    for plugin in current_app.extensions["lms"].plugins:
        path = plugin.migrations_path()
        if path:
            locations.append(path)
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    return cfg


def upgrade() -> None:
    """Create the schema, or bring it up to date."""
    command.upgrade(alembic_config(), "heads")


def revision(message: str, branch: str, *, autogenerate: bool = True) -> None:
    """Write a new revision on ``branch`` (``lms`` or a plugin name) for developers."""
    command.revision(alembic_config(), message=message, autogenerate=autogenerate, head=f"{branch}@head")


def is_current() -> bool:
    """True when every migration has been applied."""
    script = ScriptDirectory.from_config(alembic_config())
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    # A branch head that another branch depends on is not kept in the version table; count ancestors too.
    applied = {rev.revision for rev in script.revision_map.iterate_revisions(current, "base", inclusive=True)}
    return set(script.get_heads()) <= applied
