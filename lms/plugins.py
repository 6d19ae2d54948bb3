"""The plugin API: everything a plugin can give the host fits in :class:`Plugin`.

A plugin is a package exposing a ``Plugin`` in the ``lms.plugins`` entry-point group. Only the plugins named
in ``LMS_PLUGINS`` are loaded; a plugin that is not enabled has no routes, no menu items, no CLI commands,
no receivers. Everything is named by import string and imported when the plugin is enabled, never at import time.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
from flask import Flask

from lms.config import add_plugin_defaults
from lms.permissions import AnyOf, Permission

ENTRY_POINT_GROUP = "lms.plugins"


class PluginError(RuntimeError):
    """A plugin could not be loaded; the message names it."""


@dataclass(frozen=True)
class MenuItem:
    label: str
    endpoint: str
    permission: Permission | AnyOf | None  # None: anyone signed in; AnyOf: see lms.permissions.requires_any
    order: int = 50
    replaces: str | None = None  # the endpoint of a host item this one stands in for (e.g. "home.team")


@dataclass(frozen=True)
class Plugin:
    """What a plugin contributes. All references are ``"module:attribute"`` or module import strings."""

    name: str
    title: str
    blueprints: tuple[str, ...] = ()  # "courses.views:bp"
    cli: str | tuple[str, ...] | None = None  # "courses.cli:group", each mounted as ``flask lms <group name>``
    # Callables ``flask lms worker`` runs in its loop, e.g. "tracking.services_forward:forward_due". Each does one
    # batch of background work, commits it, and returns something truthy (printed) when it did anything.
    workers: tuple[str, ...] = ()
    receivers: str | None = None  # "courses.receivers", imported to connect signal receivers
    # Outbox sources whose mail the plugin renders when it is sent, e.g. {"campaign": "comms.mailer:render"}: a
    # callable taking a list of lms.mail.rendering.MailToRender, returning {row id: RenderedMail | NotSent}.
    mail_renderers: dict[str, str] = field(default_factory=dict)
    models: str | None = None  # "courses.models", imported so Alembic and the ORM see the tables
    menu: tuple[MenuItem, ...] = ()
    # Panels on the home page: "governance.panels:warnings", callables taking the signed-in person and returning
    # Markup to show (a warning, a summary) or None; each is shown in the plugin's order, above the menu cards.
    home_panels: tuple[str, ...] = ()
    migrations: str | None = None  # package holding Alembic revisions: "courses.migrations"
    dependencies: tuple[str, ...] = field(default=())
    config: dict[str, Any] = field(default_factory=dict)  # the plugin's settings and their defaults

    def migrations_path(self) -> str | None:
        if not self.migrations:
            return None
        module = importlib.import_module(self.migrations)
        return str(Path(module.__file__).parent)


def _resolve(reference: str):
    module_name, _, attribute = reference.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def available_plugins() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_plugins(app: Flask, names: list[str]) -> list[Plugin]:
    """Load, check and register the enabled plugins in order; raise :class:`PluginError` naming the culprit."""
    found = available_plugins()
    loaded: list[Plugin] = []
    for name in names:
        if name not in found:
            known = ", ".join(sorted(found)) or "none installed"
            raise PluginError(f"Plugin {name!r} is enabled in LMS_PLUGINS but not installed (available: {known}).")
        try:
            plugin = found[name].load()
            if not isinstance(plugin, Plugin) or plugin.name != name:
                raise TypeError(f"entry point must name a Plugin called {name!r}, got {plugin!r}")
            missing = [d for d in plugin.dependencies if d not in names]
            if missing:
                raise PluginError(f"it needs plugin(s) {', '.join(missing)} enabled too")
            _register(app, plugin)
        except Exception as exc:
            raise PluginError(f"Plugin {name!r} failed to load: {type(exc).__name__}: {exc}") from exc
        loaded.append(plugin)
    return loaded


def _register(app: Flask, plugin: Plugin) -> None:
    add_plugin_defaults(app.config, plugin.config)
    if plugin.models:
        importlib.import_module(plugin.models)
    for reference in plugin.blueprints:
        app.register_blueprint(_resolve(reference))
    if plugin.receivers:
        importlib.import_module(plugin.receivers)
    for reference in (plugin.cli,) if isinstance(plugin.cli, str) else plugin.cli or ():
        group = _resolve(reference)
        if not isinstance(group, click.Command):
            raise TypeError(f"{reference} is not a click command")
        app.extensions["lms"].cli.add_command(group)
    for reference in plugin.workers:
        app.extensions["lms"].workers.append((plugin.name, _resolve(reference)))
    for source, reference in plugin.mail_renderers.items():
        app.extensions["lms"].mail_renderers[source] = _resolve(reference)
    app.extensions["lms"].menu.extend(plugin.menu)
    for reference in plugin.home_panels:
        app.extensions["lms"].home_panels.append((plugin.name, _resolve(reference)))


def receiver(signal, plugin_name: str):
    """Connect a receiver that runs only in apps where ``plugin_name`` is enabled.

    Signals are process-wide, apps are not: two apps in one process (tests, or a worker beside the web app)
    may enable different plugins.
    """
    from flask import current_app

    def decorate(function):
        def guarded(sender, **kwargs):
            state = current_app.extensions.get("lms")
            if state is not None and plugin_name in state.enabled:
                return function(sender, **kwargs)
            return None

        signal.connect(guarded, weak=False)
        function.connected = guarded
        return function

    return decorate
