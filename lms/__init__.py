"""Rapport's host application: app factory, people and organisation, auth, plugins."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from flask import Flask

from lms import config as config_module
from lms.extensions import csrf, db, login_manager
from lms.plugins import MenuItem, Plugin, load_plugins


@dataclass
class LmsState:
    """What the host keeps per app: the CLI group, the menu and the enabled plugins."""

    cli: click.Group
    menu: list[MenuItem] = field(default_factory=list)
    plugins: list[Plugin] = field(default_factory=list)
    workers: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)  # (plugin name, one batch of work)
    home_panels: list[tuple[str, Callable[[Any], Any]]] = field(default_factory=list)  # (plugin name, panel)
    mail_renderers: dict[str, Callable[[list], dict]] = field(default_factory=dict)  # outbox source -> renderer

    @property
    def enabled(self) -> set[str]:
        return {p.name for p in self.plugins}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Assemble the app: config, extensions, host blueprints, enabled plugins. Connects to nothing."""
    app = Flask(__name__, instance_path=os.environ.get("LMS_INSTANCE_PATH") or None,
                instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    config_module.load(app.config, app.instance_path, test_config)

    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    import lms.models  # noqa: F401  (registers the host tables)
    from lms.cli import make_cli

    state = LmsState(cli=make_cli())
    app.extensions["lms"] = state
    app.cli.add_command(state.cli)

    from lms import web
    from lms.auth.invitations import render_invitation_mails
    from lms.auth.services import render_reset_mails

    state.mail_renderers["password_reset"] = render_reset_mails  # plugins may add or replace renderers
    state.mail_renderers["invitation"] = render_invitation_mails
    web.init_app(app)
    state.plugins = load_plugins(app, list(app.config["LMS_PLUGINS"]))
    state.menu.sort(key=lambda item: (item.order, item.label))
    return app


__all__ = ["create_app", "db"]
