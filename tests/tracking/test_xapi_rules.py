"""The last xAPI 1.0.3 rules of issue 13, each test named after its spec section (xAPI-Data, xAPI-Communication)."""
from __future__ import annotations

import hashlib
import json

import pytest

from lms.config import ConfigError
from tests.tracking.conftest import SITE, agent_param, statement
from tests.tracking.test_attachments import _header, _multipart, _post

ANN = agent_param("ann@example.com")
BOB = {"objectType": "Agent", "mbox": "mailto:bob@example.com"}
CAROL = {"objectType": "Agent", "mbox": "mailto:carol@example.com"}
DAN = {"objectType": "Agent", "mbox": "mailto:dan@example.com"}


# --- Data 2.4.9: authority ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("authority", "message"), [
    ({"objectType": "Group", "member": [BOB]}, "exactly two Agents"),
    ({"objectType": "Group", "member": [BOB, CAROL, DAN]}, "exactly two Agents"),
    ({"objectType": "Group", "mbox": "mailto:team@example.com", "member": [BOB, CAROL]}, "not an identified Group"),
    ({"objectType": "Group", "mbox": "mailto:team@example.com"}, "not an identified Group"),
])
def test_data_2_4_9_authority_groups_other_than_two_agents_are_refused(lrs, authority, message):
    response = lrs.post_statements(statement(authority=authority))
    assert response.status_code == 400 and message in response.json["error"], response.json
    assert "statement.authority" in response.json["error"]


def test_data_2_4_9_an_agent_or_an_anonymous_group_of_two_agents_is_accepted(lrs):
    for authority in (BOB, {"objectType": "Group", "member": [BOB, CAROL]}):
        sent = statement(authority=authority)
        assert lrs.post_statements(sent).status_code == 200
        stored = lrs.get("statements", statementId=sent["id"]).json
        assert stored["authority"]["account"]["name"] == lrs.key  # the LRS records its own authority


def test_data_2_4_9_the_authority_follows_lms_base_url(make_app):
    from lms.extensions import db
    from tests.tracking.conftest import Xapi, make_client

    app = make_app(LMS_BASE_URL="https://lms.example.com/")
    with app.app_context():
        lrs = Xapi(app.test_client(), *make_client())
        sent = statement()
        lrs.post_statements(sent)
        stored = lrs.get("statements", statementId=sent["id"]).json
        assert stored["authority"]["account"] == {"homePage": "https://lms.example.com/xapi/clients",
                                                  "name": lrs.key}
        db.session.remove()


def test_production_refuses_to_start_without_lms_base_url(tmp_path, monkeypatch):
    from lms import config

    monkeypatch.delenv("LMS_BASE_URL", raising=False)
    settings: dict = {}
    with pytest.raises(ConfigError, match="LMS_BASE_URL is not set"):
        config.load(settings, str(tmp_path), {"LMS_ENV": "production", "LMS_SECRET_KEY": "x" * 40})
    config.load(settings, str(tmp_path), {"LMS_ENV": "production", "LMS_SECRET_KEY": "x" * 40,
                                          "LMS_BASE_URL": "https://lms.example.com"})
    config.load(settings, str(tmp_path), {"LMS_ENV": "development"})  # the default serves the demo


# --- Data 2.4.10, Communication 3.3: version -------------------------------------------------------------------
def test_data_2_4_10_communication_3_3_version_1_0_is_taken_as_1_0_0(lrs):
    sent = statement(version="1.0")
    assert lrs.post_statements(sent).status_code == 200
    assert lrs.get("statements", statementId=sent["id"]).json["version"] == "1.0.0"
    for refused in ("1", "1.1.0", "2.0.0", "1.0.", "1.0.x"):
        response = lrs.post_statements(statement(version=refused))
        assert response.status_code == 400 and "statement.version" in response.json["error"], refused


# --- Communication 2.1.3: format=ids ----------------------------------------------------------------------------
def test_communication_2_1_3_ids_format_gives_activities_as_their_id_alone(lrs):
    inner = {"objectType": "SubStatement", "actor": BOB, "verb": {"id": "http://example.com/verbs/planned"},
             "object": {"objectType": "Activity", "id": SITE + "inner",
                        "definition": {"name": {"en-US": "Inner"}}},
             "context": {"contextActivities": {"parent": [{"objectType": "Activity", "id": SITE + "course"}]}}}
    sub = statement()
    sub["object"] = inner
    plain = statement(context={"contextActivities": {"grouping": [{"id": SITE + "path",
                                                                   "definition": {"name": {"en-US": "Path"}}}]}})
    lrs.post_statements([sub, plain])
    got = lrs.get("statements", statementId=sub["id"], format="ids").json
    assert got["object"]["object"] == {"id": SITE + "inner"}
    assert got["object"]["context"]["contextActivities"]["parent"] == [{"id": SITE + "course"}]
    got = lrs.get("statements", statementId=plain["id"], format="ids").json
    assert got["object"] == {"id": SITE + "lesson-1"}
    assert got["context"]["contextActivities"]["grouping"] == [{"id": SITE + "path"}]
    page = lrs.get("statements", format="ids").json["statements"]
    assert all("objectType" not in s["object"] for s in page if "definition" not in s["object"]
               and s["object"].get("objectType") != "SubStatement")


# --- Communication 3.1: concurrency on profile documents --------------------------------------------------------
@pytest.mark.parametrize(("resource", "params"), [
    ("activities/profile", {"activityId": SITE + "lesson-1", "profileId": "prefs"}),
    ("agents/profile", {"agent": ANN, "profileId": "prefs"}),
])
def test_communication_3_1_a_new_profile_document_put_without_a_precondition_is_refused(lrs, resource, params):
    response = lrs.request("PUT", resource, params=params, json_body={"theme": "dark"})
    assert response.status_code == 400 and "If-None-Match header is missing" in response.json["error"]
    assert lrs.request("GET", resource, params=params).status_code == 404  # nothing stored
    response = lrs.request("PUT", resource, params=params, json_body={"theme": "dark"},
                           headers={"If-None-Match": "*"})
    assert response.status_code == 204
    response = lrs.request("PUT", resource, params=params, json_body={"theme": "light"})
    assert response.status_code == 409  # an existing one: a conflict, as before
    # State documents have no such rule.
    state = {"activityId": SITE + "lesson-1", "agent": ANN, "stateId": "s"}
    assert lrs.request("PUT", "activities/state", params=state, json_body={"a": 1}).status_code == 204


# --- Communication 2.2.8: POST of a JSON document that is not an object -----------------------------------------
@pytest.mark.parametrize(("resource", "params"), [
    ("activities/state", {"activityId": SITE + "lesson-1", "agent": ANN, "stateId": "bookmark"}),
    ("activities/profile", {"activityId": SITE + "lesson-1", "profileId": "prefs"}),
    ("agents/profile", {"agent": ANN, "profileId": "prefs"}),
])
@pytest.mark.parametrize("body", ['{"a": 1}[', "[1, 2]", '"text"', "12"])
def test_communication_2_2_8_posting_json_that_is_not_an_object_to_a_new_document_is_refused(lrs, resource, params,
                                                                                           body):
    response = lrs.request("POST", resource, params=params, data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert lrs.request("GET", resource, params=params).status_code == 404
    # Other types are stored as they are, and a JSON object is fine.
    assert lrs.request("POST", resource, params=params, data=body, content_type="text/plain").status_code == 204
    lrs.request("DELETE", resource, params=params, headers={"If-Match": "*"})
    response = lrs.request("POST", resource, params=params, json_body={"a": 1})
    assert response.status_code == 204


# --- Communication 1.5.2: attachments are matched by SHA-2, not by length ---------------------------------------
def test_communication_1_5_2_a_declared_length_that_differs_from_the_part_is_accepted(lrs):
    data = b"certificate of completion"
    sent = statement(attachments=[{**_header(data), "length": len(data) + 100}])
    response = _post(lrs, _multipart(sent, [("text/plain", data)]))
    assert response.status_code == 200, response.get_data(as_text=True)
    full = lrs.get("statements", statementId=sent["id"], attachments="true")
    assert data in full.data
    assert full.data.count(b"X-Experience-API-Hash: " + hashlib.sha256(data).hexdigest().encode()) == 1
    # The hash is still checked.
    other = statement(attachments=[_header(data)])
    response = _post(lrs, _multipart(other, [("text/plain", data + b"!")],
                                     hashes={0: hashlib.sha256(data).hexdigest()}))
    assert response.status_code == 400 and "does not hash" in response.json["error"]


# --- Documents served back from Rapport's origin (Communication 2.2: any content type) -------------------------
def test_communication_2_2_documents_are_served_as_attachments_in_a_sandbox(lrs):
    params = {"activityId": SITE + "lesson-1", "agent": ANN, "stateId": "page"}
    html = b"<script>alert(document.cookie)</script>"
    assert lrs.request("PUT", "activities/state", params=params, data=html,
                       content_type="text/html").status_code == 204
    got = lrs.request("GET", "activities/state", params=params)
    assert got.data == html and got.content_type.startswith("text/html")  # served back as stored (the spec)
    assert got.headers["Content-Disposition"] == "attachment"
    assert got.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert json.loads(lrs.request("GET", "activities/state",
                                  params={k: v for k, v in params.items() if k != "stateId"}).data) == ["page"]
