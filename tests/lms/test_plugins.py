"""Plugins come from the ``lms.plugins`` entry points and only the enabled ones exist in an app."""
from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from lms import plugins as plugin_module
from lms.plugins import PluginError
from tests.conftest import login


def _rules(app) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules()}


def test_all_five_plugins_are_installed_and_enabled_by_default(app):
    assert set(plugin_module.available_plugins()) >= {"courses", "tracking", "comms", "governance", "adoption"}
    assert app.extensions["lms"].enabled == {"courses", "tracking", "comms", "governance", "adoption"}
    assert {"/learning/", "/tracking/", "/comms/", "/governance/", "/adoption/"} <= _rules(app)


def test_disabled_plugin_has_no_routes_menu_or_commands(make_app, factory):
    app = make_app(LMS_PLUGINS=["courses", "tracking"])
    rules = _rules(app)
    assert "/learning/" in rules
    assert not any(r.startswith(("/comms", "/governance")) for r in rules)
    assert all(not item.endpoint.startswith(("comms.", "governance.")) for item in app.extensions["lms"].menu)
    lms_group = app.cli.get_command(None, "lms")
    assert "comms" not in lms_group.commands and "governance" not in lms_group.commands
    person = factory.person(permissions=["admin", "program_office", "sponsor", "learner"])
    client = app.test_client()
    with app.app_context():
        login(client, person)
        assert client.get("/comms/").status_code == 404
        page = client.get("/").get_data(as_text=True)
    assert "Communications" not in page and "Governance" not in page and "My learning" in page


def test_plugins_can_be_enabled_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("LMS_PLUGINS", "courses, tracking, governance")
    app = make_app()
    assert app.extensions["lms"].enabled == {"courses", "tracking", "governance"}


def test_unknown_plugin_stops_start_up_naming_it(make_app):
    with pytest.raises(PluginError, match="Plugin 'nonesuch' is enabled in LMS_PLUGINS but not installed"):
        make_app(LMS_PLUGINS=["courses", "nonesuch"])


def test_failing_plugin_stops_start_up_naming_it(make_app, monkeypatch):
    broken = EntryPoint(name="broken", value="tests.lms.broken_plugin:plugin", group="lms.plugins")
    found = plugin_module.available_plugins()
    monkeypatch.setattr(plugin_module, "available_plugins", lambda: {**found, "broken": broken})
    with pytest.raises(PluginError, match=r"Plugin 'broken' failed to load: RuntimeError: .*no database"):
        make_app(LMS_PLUGINS=["courses", "broken"])


def test_plugin_receivers_run_only_where_the_plugin_is_enabled(make_app):
    from lms import signals
    from lms.plugins import receiver

    calls = []

    @receiver(signals.people_deactivated, "governance")
    def on_deactivated(sender, **kwargs):
        calls.append(kwargs["person_ids"])

    try:
        for enabled, expected in ((["courses"], []), (["courses", "tracking", "governance"], [[7]])):
            app = make_app(LMS_PLUGINS=enabled)
            with app.app_context():
                signals.people_deactivated.send(None, person_ids=[7])
            assert calls == expected
    finally:
        signals.people_deactivated.disconnect(on_deactivated.connected)
