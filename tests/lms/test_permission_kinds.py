"""The host's other ways to declare a view's permission: any of several permissions or a predicate
(``requires_any``), a bearer API token (``requires_api_token``); and plugins' home-page panels."""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from lms.extensions import csrf
from lms.permissions import (
    API_TOKEN_PREFIX,
    TOKEN_AUTHENTICATOR,
    AnyOf,
    Permission,
    allowed,
    declared_permission,
    requires_any,
    requires_api_token,
)
from tests.conftest import login


def _app_with_views(make_app, predicate):
    app = make_app()

    @app.route("/either")
    @requires_any(Permission.TRAINER, Permission.SPONSOR, or_if=predicate)
    def either():
        return "served"

    @dataclass(frozen=True)
    class Principal:
        scopes: frozenset

    app.extensions[TOKEN_AUTHENTICATOR] = lambda token: {
        "good": Principal(frozenset({"goals"})), "other": Principal(frozenset({"reports"}))}.get(token)

    @app.route("/tokened", methods=["POST"])
    @requires_api_token("goals")
    def tokened():
        return {"ok": True}

    csrf.exempt(tokened)  # called by systems with a token, not by browsers with a session

    return app


def test_requires_any_serves_any_named_permission_or_the_predicate(make_app, factory):
    chosen = set()
    app = _app_with_views(make_app, lambda person: person.id in chosen)
    trainer = factory.person(permissions=["trainer"])
    learner = factory.person(permissions=["learner"])
    special = factory.person(permissions=["learner"])
    chosen.add(special.id)
    client = app.test_client()
    with app.app_context():
        assert client.get("/either").status_code == 302  # anonymous: to sign in
        for person, status in ((trainer, 200), (learner, 403), (special, 200)):
            login(client, person)
            assert client.get("/either").status_code == status, person
            client.delete_cookie("session")
    declared = declared_permission(app.view_functions["either"])
    assert isinstance(declared, AnyOf) and declared.permissions == {Permission.TRAINER, Permission.SPONSOR}


def test_a_predicate_named_by_import_string_is_resolved_when_asked(factory, app):
    person = factory.person(permissions=["learner"])
    spec = AnyOf(frozenset({Permission.ADMIN}), "tests.lms.test_permission_kinds:_is_person_one")
    assert allowed(spec, person) is (person.id == 1)
    assert allowed(None, person) and allowed(Permission.LEARNER, person) and not allowed(Permission.ADMIN, person)


def _is_person_one(person) -> bool:
    return person.id == 1


def test_api_token_views_answer_401_bearer_json_without_a_valid_token(make_app):
    app = _app_with_views(make_app, None)
    client = app.test_client()
    missing = client.post("/tokened")
    assert missing.status_code == 401 and missing.is_json
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="Rapport"'
    wrong = client.post("/tokened", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    basic = client.post("/tokened", headers={"Authorization": "Basic Z29vZDp4"})
    assert basic.status_code == 401
    assert client.post("/tokened", headers={"Authorization": "Bearer other"}).status_code == 403
    ok = client.post("/tokened", headers={"Authorization": "Bearer good"})
    assert ok.status_code == 200 and ok.json == {"ok": True}
    assert declared_permission(app.view_functions["tokened"]) == API_TOKEN_PREFIX + "goals"


def test_home_panels_show_what_plugins_return_and_survive_a_broken_one(make_app, factory):
    app = make_app()
    person = factory.person(permissions=["learner"])

    def broken(person):
        raise RuntimeError("boom")

    app.extensions["lms"].home_panels[:] = [
        ("one", lambda p: Markup("<p id='panel'>Hello {}</p>").format(p.name)), ("two", broken),
        ("three", lambda p: None)]
    client = app.test_client()
    with app.app_context():
        login(client, person)
        page = client.get("/")
    assert page.status_code == 200
    assert f"<p id='panel'>Hello {person.name}</p>" in page.get_data(as_text=True)
