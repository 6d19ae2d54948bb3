"""Who may talk to the LRS: LRS clients (HTTP Basic) with scopes, the version header, About, the CLI."""
from __future__ import annotations

import re

from sqlalchemy import select

from lms.extensions import db
from tests.conftest import login
from tests.tracking.conftest import Xapi, make_client, statement
from tracking.models import LrsClient


def test_about_is_public_and_names_the_version(client):
    response = client.get("/xapi/about")
    assert response.status_code == 200 and response.json["version"] == ["1.0.3"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_requests_without_credentials_get_a_basic_challenge(client, app):
    response = client.get("/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"})
    assert response.status_code == 401 and response.is_json
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_a_signed_in_admin_session_is_not_an_lrs_client(client, factory):
    login(client, factory.person(permissions=["admin"]))
    assert client.get("/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"}).status_code == 401


def test_wrong_secret_and_revoked_clients_are_refused(lrs, app):
    assert Xapi(lrs.client, lrs.key, lrs.secret + "x").get("statements").status_code == 401
    assert Xapi(lrs.client, "no-such-key", lrs.secret).get("statements").status_code == 401
    assert lrs.get("statements").status_code == 200
    result = app.test_cli_runner().invoke(args=["lms", "lrs-client", "revoke", lrs.key])
    assert result.exit_code == 0, result.output
    assert lrs.get("statements").status_code == 401


def test_scopes_limit_what_a_client_may_do(client, app):
    reader = Xapi(client, *make_client(["read"], name="Dashboard"))
    response = reader.post_statements(statement())
    assert response.status_code == 403 and "'write'" in response.json["error"]
    assert reader.get("statements").status_code == 200
    writer = Xapi(client, *make_client(["write"], name="CRM"))
    assert writer.post_statements(statement()).status_code == 200
    assert writer.get("statements").status_code == 403


def test_a_read_sent_with_the_alternate_syntax_needs_only_the_read_scope(client):
    reader = Xapi(client, *make_client(["read"], name="Dashboard"))
    form = {"X-Experience-API-Version": "1.0.3", "Authorization": reader.headers()["Authorization"]}
    assert client.post("/xapi/statements?method=GET", data=form).status_code == 200
    state = {**form, "activityId": "http://example.com/a", "agent": '{"mbox": "mailto:ann@example.com"}',
             "stateId": "bookmark"}
    assert client.post("/xapi/activities/state?method=GET", data=state).status_code == 404  # allowed; none stored
    put = client.post("/xapi/activities/state?method=PUT", data={**state, "content": "{}"})
    assert put.status_code == 403 and "'write'" in put.json["error"]


def test_version_header_is_required_and_must_be_1_0_x(lrs):
    for version, status in ((None, 400), ("0.95", 400), ("1.1.0", 400), ("1.0", 200), ("1.0.1", 200)):
        lrs.version = version
        response = lrs.get("statements")
        assert response.status_code == status, version
        if status == 400:
            assert "X-Experience-API-Version" in response.json["error"]


def test_cli_creates_lists_and_revokes_clients_storing_only_a_hash(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "lrs-client", "create", "Authoring tool", "--scope", "write"])
    assert result.exit_code == 0, result.output
    key = re.search(r"key:\s+(\S+)", result.output).group(1)
    secret = re.search(r"secret:\s+(\S+)", result.output).group(1)
    row = db.session.scalar(select(LrsClient).where(LrsClient.key == key))
    assert row.scopes == {"write"} and secret not in (row.secret_hash, row.salt)
    xapi = Xapi(client, key, secret)
    assert xapi.post_statements(statement()).status_code == 200
    listing = runner.invoke(args=["lms", "lrs-client", "list"])
    assert key in listing.output and "Authoring tool" in listing.output and "active" in listing.output
    assert runner.invoke(args=["lms", "lrs-client", "revoke", key]).exit_code == 0
    assert "revoked" in runner.invoke(args=["lms", "lrs-client", "list"]).output
    unknown = runner.invoke(args=["lms", "lrs-client", "revoke", "nope"])
    assert unknown.exit_code != 0 and "No LRS client has the key nope" in unknown.output


def test_without_the_tracking_plugin_there_is_no_lrs(make_app):
    app = make_app(LMS_PLUGINS=["courses"])
    assert app.test_client().get("/xapi/about").status_code == 404
    assert "lrs-client" not in app.cli.get_command(None, "lms").commands
