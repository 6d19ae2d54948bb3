"""xAPI 1.0.3 rules of the document resources (State, Activity Profile, Agent Profile) and of the Activities,
Agents and About resources (xAPI-Communication.md).

Each test is named after the rule it checks and quotes it: the version header on every response, alternate request
syntax (including If-Match as a form parameter), HEAD, validation of the since, agent and registration parameters,
unknown parameters, and merging JSON documents.
"""
from __future__ import annotations

import json
import uuid

from tests.tracking.conftest import SITE, agent_param

ANN = agent_param("ann@example.com")
LESSON = SITE + "lesson-1"
IDENTIFIED_GROUP = json.dumps({"objectType": "Group", "name": "Team", "mbox": "mailto:team@example.com"})


def _state_params(**extra) -> dict:
    return {"activityId": LESSON, "agent": ANN, "stateId": "bookmark", **extra}


def _alternate_form(lrs, **fields) -> dict:
    """Form fields of an alternate-syntax request: the headers travel as form parameters (1.3)."""
    return {"X-Experience-API-Version": "1.0.3", "Authorization": lrs.headers()["Authorization"], **fields}


# --- 3.3 Versioning: the version header on every response ----------------------------------------------------
def test_version_header_on_every_response_including_405(lrs):
    # xAPI-Communication 3.3 (3.3.s3.b1): "The LRS MUST include the "X-Experience-API-Version" header in every
    # response."  The conformance suite sends PUT/POST/DELETE to /activities and /agents expecting 405 (3.2).
    for method, path, params in (("PUT", "activities", {"activityId": LESSON}),
                                 ("POST", "agents", {"agent": ANN}),
                                 ("PATCH", "activities/state", _state_params())):
        response = lrs.request(method, path, params=params, data="{}", content_type="application/json")
        assert response.status_code == 405, (method, path)
        assert response.headers.get("X-Experience-API-Version") == "1.0.3", (method, path)


def test_version_header_on_every_response_including_404_for_unknown_resource(lrs):
    # xAPI-Communication 3.3 (3.3.s3.b1): "The LRS MUST include the "X-Experience-API-Version" header in every
    # response."
    response = lrs.get("activities/profiles", activityId=LESSON)  # a typo of activities/profile
    assert response.status_code == 404
    assert response.headers.get("X-Experience-API-Version") == "1.0.3"


# --- 1.3 Alternate Request Syntax on the GET-only resources --------------------------------------------------
def test_alternate_request_syntax_is_supported_by_the_activities_resource(lrs):
    # xAPI-Communication 1.3 (1.3.s3.b1): "All xAPI requests issued MUST be POST."  (1.3.s3.b2) "The intended xAPI
    # method MUST be included as the value of the "method" query string parameter."  (1.3.s3.b15) "The LRS MUST
    # support the syntax above."
    response = lrs.client.post("/xapi/activities?method=GET", data=_alternate_form(lrs, activityId=LESSON))
    assert response.status_code == 200, response.data
    assert response.json == {"objectType": "Activity", "id": LESSON}


def test_alternate_request_syntax_is_supported_by_the_agents_resource(lrs):
    # xAPI-Communication 1.3 (1.3.s3.b1): "All xAPI requests issued MUST be POST."  (1.3.s3.b15) "The LRS MUST
    # support the syntax above."  (1.3.s3.b14) "The LRS MUST treat any form parameters other than "content" or the
    # header parameters listed above as query string parameters."
    response = lrs.client.post("/xapi/agents?method=GET", data=_alternate_form(lrs, agent=ANN))
    assert response.status_code == 200, response.data
    assert response.json == {"objectType": "Person", "mbox": ["mailto:ann@example.com"]}


def test_alternate_request_syntax_is_supported_by_the_about_resource(client):
    # xAPI-Communication 1.3 (1.3.s3.b1): "All xAPI requests issued MUST be POST."  (1.3.s3.b15) "The LRS MUST
    # support the syntax above."
    response = client.post("/xapi/about?method=GET", data={"X-Experience-API-Version": "1.0.3"})
    assert response.status_code == 200, response.data
    assert "1.0.3" in response.json["version"]


# --- 2.3 / 2.6 "since" is a Timestamp: a malformed one is a 400, whether or not an id is given ------------------
def test_state_get_rejects_a_since_that_is_not_a_timestamp_even_with_a_state_id(lrs):
    # xAPI-Communication 2.3 (2.3.s4.table1.row4): since - Type "Timestamp" - "Only ids of states stored since the
    # specified Timestamp (exclusive) are returned."  3.2 (3.2.s2.b1): "400 Bad Request - Indicates an error
    # condition caused by an invalid or missing argument."  (3.2.s3.b7) "The LRS MUST reject with 400 Bad Request
    # status any requests that use any parameters which the LRS does not recognize in their intended context".
    # ADL's conformance suite (2.3, "rejects a GET request with "since" as a parameter if it is not a TimeStamp")
    # sends exactly this: stateId plus since=not a timestamp, expecting 400.
    assert lrs.request("PUT", "activities/state", params=_state_params(), data='{"page": 3}',
                       content_type="application/json").status_code == 204
    response = lrs.request("GET", "activities/state", params=_state_params(since="not a timestamp"))
    assert response.status_code == 400, (response.status_code, response.data)


def test_agent_profile_get_rejects_a_since_that_is_not_a_timestamp_even_with_a_profile_id(lrs):
    # xAPI-Communication 2.6 (2.6.s4.table1.row2): since - Type "Timestamp".  3.2 (3.2.s2.b1): "400 Bad Request -
    # Indicates an error condition caused by an invalid or missing argument."  (3.2.s3.b7) "The LRS MUST reject
    # with 400 Bad Request status any requests that use any parameters which the LRS does not recognize in their
    # intended context".
    params = {"agent": ANN, "profileId": "preferences"}
    assert lrs.request("PUT", "agents/profile", params=params, data='{"lang": "fr"}', content_type="application/json",
                       headers={"If-None-Match": "*"}).status_code == 204
    response = lrs.request("GET", "agents/profile", params={**params, "since": "yesterday"})
    assert response.status_code == 400, (response.status_code, response.data)


# --- 2.6 / 2.3 the "agent" parameter is an Agent, not a Group -------------------------------------------------
def test_agent_profile_agent_parameter_must_be_an_agent_not_a_group(lrs):
    # xAPI-Communication 2.6 (Note under 2.6.s3): "The "agent" parameter is an Agent Object and not a Group.
    # Learning Record Providers wishing to store data against an Identified Group can use the Identified Group's
    # identifier within an Agent Object."  3.2 (3.2.s2.b1): "The term "invalid arguments" includes malformed JSON or
    # invalid Object structures."
    put = lrs.request("PUT", "agents/profile", params={"agent": IDENTIFIED_GROUP, "profileId": "p"}, data="{}",
                      content_type="application/json", headers={"If-None-Match": "*"})
    assert put.status_code == 400, put.status_code
    listing = lrs.request("GET", "agents/profile", params={"agent": IDENTIFIED_GROUP})
    assert listing.status_code == 400, listing.status_code


def test_state_agent_parameter_must_be_an_agent_not_a_group(lrs):
    # xAPI-Communication 2.3 (2.3.s3.table1.row2): agent - Type "Agent Object (JSON)" - "The Agent associated with
    # this state."  (Same wording as the Agent Profile resource, whose note says "The "agent" parameter is an Agent
    # Object and not a Group.")  3.2 (3.2.s2.b1): "invalid arguments" includes "invalid Object structures".
    response = lrs.request("PUT", "activities/state", params=_state_params(agent=IDENTIFIED_GROUP), data="{}",
                           content_type="application/json")
    assert response.status_code == 400, response.status_code


# --- 3.2 unknown parameters -----------------------------------------------------------------------------------
def test_about_rejects_parameters_it_does_not_recognise(client):
    # xAPI-Communication 3.2 (3.2.s3.b7): "The LRS MUST reject with 400 Bad Request status any requests that use
    # any parameters which the LRS does not recognize in their intended context in this specification."
    # (2.8.s5.b4 only exempts About from version-header rejection, not from this rule.)
    response = client.get("/xapi/about", query_string={"foo": "bar"},
                          headers={"X-Experience-API-Version": "1.0.3"})
    assert response.status_code == 400, response.status_code
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


# --- 1.1 HEAD, 1.3 header form parameters, 2.3 registration, 2.2 merging JSON documents --------------------------
def test_head_is_answered_like_get_without_a_body_on_every_get_resource(lrs):
    # xAPI-Communication 1.1 (1.1.s3.b1): "The LRS MUST respond to any HTTP HEAD request as it would have responded
    # to an otherwise identical HTTP GET request except: The message-body MUST be omitted."
    lrs.request("PUT", "activities/state", params=_state_params(), data='{"page": 3}', content_type="application/json")
    get = lrs.request("GET", "activities/state", params=_state_params())
    head = lrs.request("HEAD", "activities/state", params=_state_params())
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"] and head.headers["Last-Modified"]
    for path, params in (("agents", {"agent": ANN}), ("activities", {"activityId": LESSON}),
                         ("activities/profile", {"activityId": LESSON}), ("agents/profile", {"agent": ANN})):
        response = lrs.request("HEAD", path, params=params)
        assert response.status_code == 200 and response.data == b"", path


def test_alternate_syntax_if_match_form_parameter_is_treated_as_the_header(lrs):
    # xAPI-Communication 1.3 (1.3.s3.b6/b7): header parameters "Authorization, X-Experience-API-Version,
    # Content-Type, Content-Length, If-Match and If-None-Match" may be sent as form parameters; "The LRS MUST treat
    # the form parameters listed above as header parameters."
    params = {"activityId": LESSON, "profileId": "settings"}
    lrs.request("PUT", "activities/profile", params=params, data='{"v": 1}', content_type="application/json",
                headers={"If-None-Match": "*"})
    etag = lrs.request("GET", "activities/profile", params=params).headers["ETag"]
    fields = {"content": '{"v": 2}', "Content-Type": "application/json", **params}
    stale = lrs.client.post("/xapi/activities/profile?method=PUT",
                            data=_alternate_form(lrs, **{"If-Match": '"' + "0" * 40 + '"'}, **fields))
    assert stale.status_code == 412
    fresh = lrs.client.post("/xapi/activities/profile?method=PUT", data=_alternate_form(lrs, **{"If-Match": etag},
                                                                                         **fields))
    assert fresh.status_code == 204
    assert lrs.request("GET", "activities/profile", params=params).json == {"v": 2}


def test_state_registration_must_be_a_uuid(lrs):
    # xAPI-Communication 2.3 (2.3.s3.table1.row3): registration - Type "UUID".  3.2 (3.2.s2.b1): "400 Bad Request -
    # Indicates an error condition caused by an invalid or missing argument."
    for method in ("GET", "PUT", "POST", "DELETE"):
        for bad in ("not UUID", "true", "1"):
            response = lrs.request(method, "activities/state", params=_state_params(registration=bad), data="{}",
                                   content_type="application/json")
            assert response.status_code == 400, (method, bad)
    ok = lrs.request("PUT", "activities/state", params=_state_params(registration=str(uuid.uuid4())), data="{}",
                     content_type="application/json")
    assert ok.status_code == 204


def test_merge_refuses_json_that_is_not_an_object_and_leaves_the_document_alone(lrs):
    # xAPI-Communication 2.2 (2.2.s8.b1): "If the document being posted or any existing document does not have a
    # Content-Type of application/json, or if either document cannot be parsed as a JSON Object, the LRS MUST
    # respond with HTTP status code 400 Bad Request, and MUST NOT update the target document as a result of the
    # request."
    lrs.request("PUT", "activities/state", params=_state_params(), data='{"a": 1}', content_type="application/json")
    for body in ("[1]", '{"a":', "3"):
        response = lrs.request("POST", "activities/state", params=_state_params(), data=body,
                               content_type="application/json")
        assert response.status_code == 400, body
    assert lrs.request("GET", "activities/state", params=_state_params()).json == {"a": 1}
