"""State, Activity Profile and Agent Profile documents and their concurrency rules (xAPI-Communication 2.2-2.7, 3.1)."""
from __future__ import annotations

import hashlib
import json
import uuid

from tests.tracking.conftest import SITE, agent_param

ANN = agent_param("ann@example.com")
LESSON = SITE + "lesson-1"


def _state(lrs, method, state_id="bookmark", body=None, headers=None, **params):
    params = {"activityId": LESSON, "agent": ANN, **({"stateId": state_id} if state_id else {}), **params}
    data = json.dumps(body) if isinstance(body, dict) else body
    return lrs.request(method, "activities/state", data=data, params=params, headers=headers,
                       content_type="application/json" if isinstance(body, dict) else "text/plain")


def test_state_put_get_with_etag_and_delete(lrs):
    assert _state(lrs, "PUT", body={"page": 3}).status_code == 204
    got = _state(lrs, "GET")
    assert got.status_code == 200 and got.json == {"page": 3}
    etag = hashlib.sha1(got.data).hexdigest()  # noqa: S324 - the spec fixes SHA-1 for document ETags
    assert got.headers["ETag"] == f'"{etag}"'
    assert got.headers["Last-Modified"]
    assert _state(lrs, "DELETE").status_code == 204
    assert _state(lrs, "GET").status_code == 404


def test_state_post_merges_json_top_level_properties(lrs):
    _state(lrs, "PUT", body={"x": "foo", "y": "bar"})
    assert _state(lrs, "POST", body={"x": "bash", "z": "faz"}).status_code == 204
    assert _state(lrs, "GET").json == {"x": "bash", "y": "bar", "z": "faz"}


def test_merge_of_non_json_documents_is_refused_and_changes_nothing(lrs):
    _state(lrs, "PUT", body="plain text")
    response = _state(lrs, "POST", body={"x": 1})
    assert response.status_code == 400 and "cannot be merged" in response.json["error"]
    assert _state(lrs, "GET").data == b"plain text"


def test_state_ids_per_registration_and_since(lrs):
    registration = str(uuid.uuid4())
    _state(lrs, "PUT", "a", body={"n": 1})
    _state(lrs, "PUT", "b", body={"n": 2}, registration=registration)
    assert _state(lrs, "GET", None).json == ["a", "b"]
    assert _state(lrs, "GET", None, registration=registration).json == ["b"]
    assert _state(lrs, "GET", "a", registration=registration).status_code == 404
    assert _state(lrs, "GET", None, since="2999-01-01T00:00:00Z").json == []
    assert _state(lrs, "DELETE", None, registration=registration).status_code == 204
    assert _state(lrs, "GET", None).json == ["a"]


def _profile(lrs, method, body=None, headers=None, profile_id="settings"):
    params = {"activityId": LESSON}
    if profile_id:
        params["profileId"] = profile_id
    return lrs.request(method, "activities/profile", data=json.dumps(body) if body is not None else None,
                       params=params, headers=headers, content_type="application/json")


def test_profile_put_needs_a_precondition_once_the_document_exists(lrs):
    assert _profile(lrs, "PUT", {"v": 1}, {"If-None-Match": "*"}).status_code == 204
    assert _profile(lrs, "PUT", {"v": 2}, {"If-None-Match": "*"}).status_code == 412
    conflict = _profile(lrs, "PUT", {"v": 2})
    assert conflict.status_code == 409 and "If-Match" in conflict.json["error"]
    etag = _profile(lrs, "GET").headers["ETag"]
    assert _profile(lrs, "PUT", {"v": 2}, {"If-Match": '"0000"'}).status_code == 412
    assert _profile(lrs, "PUT", {"v": 2}, {"If-Match": etag}).status_code == 204
    assert _profile(lrs, "GET").json == {"v": 2}
    assert _profile(lrs, "DELETE", headers={"If-Match": etag}).status_code == 412
    assert _profile(lrs, "GET", profile_id=None).json == ["settings"]


def test_agent_profile_is_kept_per_agent(lrs):
    params = {"agent": ANN, "profileId": "preferences"}
    response = lrs.request("PUT", "agents/profile", data='{"lang": "fr"}', params=params,
                           content_type="application/json", headers={"If-None-Match": "*"})
    assert response.status_code == 204
    assert lrs.request("GET", "agents/profile", params=params).json == {"lang": "fr"}
    other = {"agent": agent_param("ben@example.com"), "profileId": "preferences"}
    assert lrs.request("GET", "agents/profile", params=other).status_code == 404


def test_document_parameters_are_checked(lrs):
    missing = lrs.request("GET", "activities/state", params={"agent": ANN, "stateId": "x"})
    assert missing.status_code == 400 and "activityId" in missing.json["error"]
    bad_agent = lrs.request("GET", "activities/state", params={"activityId": LESSON, "agent": '{"name": "x"}'})
    assert bad_agent.status_code == 400 and "needs one identifier" in bad_agent.json["error"]


def test_agents_resource_returns_a_person_object(lrs):
    person = lrs.get("agents", agent=json.dumps({"mbox": "mailto:ann@example.com", "name": "Ann"})).json
    assert person == {"objectType": "Person", "name": ["Ann"], "mbox": ["mailto:ann@example.com"]}


def test_activities_resource_answers_even_for_unknown_activities(lrs):
    assert lrs.get("activities", activityId=SITE + "never-seen").json == {"objectType": "Activity",
                                                                          "id": SITE + "never-seen"}
