"""GET statements (xAPI-Communication 2.1.3, xAPI-Data 2.5): filters, paging, formats."""
from __future__ import annotations

import json
import time
import uuid

from tests.tracking.conftest import ADL, SITE, agent_param, statement


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [s["id"] for s in response.json["statements"]]


def test_no_match_is_an_empty_result_not_an_error(lrs):
    response = lrs.get("statements", verb=ADL + "nothing")
    assert response.status_code == 200 and response.json == {"statements": [], "more": ""}


def test_agent_matches_actor_object_and_group_members_and_related_agents_widen_it(lrs):
    as_actor = statement(email="ann@example.com")
    as_object = statement(email="coach@example.com", verb="mentored")
    as_object["object"] = {"objectType": "Agent", "mbox": "mailto:ann@example.com"}
    in_group = statement(actor={"objectType": "Group", "member": [{"mbox": "mailto:ann@example.com"},
                                                                  {"mbox": "mailto:bo@example.com"}]})
    as_instructor = statement(email="cy@example.com", context={"instructor": {"mbox": "mailto:ann@example.com"}})
    unrelated = statement(email="dee@example.com")
    lrs.post_statements([as_actor, as_object, in_group, as_instructor, unrelated])
    ann = agent_param("ann@example.com")
    assert set(_ids(lrs.get("statements", agent=ann))) == {as_actor["id"], as_object["id"], in_group["id"]}
    related = set(_ids(lrs.get("statements", agent=ann, related_agents="true")))
    assert related == {as_actor["id"], as_object["id"], in_group["id"], as_instructor["id"]}


def test_related_agents_include_the_authority(lrs):
    sent = statement()
    lrs.post_statements(sent)
    authority = json.dumps({"account": {"homePage": "http://localhost/xapi/clients", "name": lrs.key}})
    assert _ids(lrs.get("statements", agent=authority)) == []
    assert _ids(lrs.get("statements", agent=authority, related_agents="true")) == [sent["id"]]


def test_verb_activity_registration_filters_and_related_activities(lrs):
    registration = str(uuid.uuid4())
    quiz = statement(verb="passed", activity="quiz-1",
                     context={"registration": registration,
                              "contextActivities": {"parent": [{"id": SITE + "course-1"}]}})
    lesson = statement(verb="completed", activity="lesson-1")
    course = statement(verb="completed", activity="course-1")
    lrs.post_statements([quiz, lesson, course])
    assert _ids(lrs.get("statements", verb=ADL + "passed")) == [quiz["id"]]
    assert _ids(lrs.get("statements", activity=SITE + "course-1")) == [course["id"]]
    assert set(_ids(lrs.get("statements", activity=SITE + "course-1", related_activities="true"))) == {
        quiz["id"], course["id"]}
    assert _ids(lrs.get("statements", registration=registration)) == [quiz["id"]]
    assert _ids(lrs.get("statements", verb=ADL + "completed", agent=agent_param("ann@example.com"),
                        activity=SITE + "lesson-1")) == [lesson["id"]]


def test_statement_refs_match_the_filters_of_their_target(lrs):
    original = statement(email="ben@example.com", verb="passed", activity="explosives")
    follow_up = statement(email="andrew@example.com", verb="confirmed")
    follow_up["verb"]["id"] = "http://example.com/verbs/confirmed"
    follow_up["object"] = {"objectType": "StatementRef", "id": original["id"]}
    lrs.post_statements(original)
    lrs.post_statements(follow_up)
    assert set(_ids(lrs.get("statements", agent=agent_param("ben@example.com")))) == {original["id"],
                                                                                     follow_up["id"]}
    assert set(_ids(lrs.get("statements", activity=SITE + "explosives"))) == {original["id"], follow_up["id"]}


def test_since_is_exclusive_until_inclusive_and_order_is_by_stored(lrs):
    first = statement()
    lrs.post_statements(first)
    time.sleep(0.01)
    second = statement()
    lrs.post_statements(second)
    stored_first = lrs.get("statements", statementId=first["id"]).json["stored"]
    assert _ids(lrs.get("statements", since=stored_first)) == [second["id"]]
    assert _ids(lrs.get("statements", until=stored_first)) == [first["id"]]
    assert _ids(lrs.get("statements")) == [second["id"], first["id"]]
    assert _ids(lrs.get("statements", ascending="true")) == [first["id"], second["id"]]


def test_more_pages_through_everything_once_while_statements_keep_arriving(lrs):
    sent = [statement(activity=f"lesson-{n}") for n in range(7)]
    for item in sent:
        lrs.post_statements(item)
    seen = []
    page = lrs.get("statements", limit="3")
    while True:
        seen += _ids(page)
        lrs.post_statements(statement(activity="arrived-meanwhile"))
        more = page.json["more"]
        if not more:
            break
        assert more.startswith("/xapi/statements/more/")
        page = lrs.client.get(more, headers=lrs.headers())
    assert seen == [s["id"] for s in reversed(sent)]


def test_ascending_pages_stop_at_the_first_pages_time(lrs):
    sent = [statement(activity=f"lesson-{n}") for n in range(4)]
    for item in sent:
        lrs.post_statements(item)
    page = lrs.get("statements", limit="2", ascending="true")
    lrs.post_statements(statement(activity="later"))
    rest = lrs.client.get(page.json["more"], headers=lrs.headers())
    assert _ids(page) + _ids(rest) == [s["id"] for s in sent] and rest.json["more"] == ""


def test_ids_format_keeps_only_identifiers(lrs):
    sent = statement()
    lrs.post_statements(sent)
    body = lrs.get("statements", statementId=sent["id"], format="ids").json
    assert body["actor"] == {"objectType": "Agent", "mbox": "mailto:ann@example.com"}
    assert body["verb"] == {"id": ADL + "experienced"}
    assert body["object"] == {"id": SITE + "lesson-1"}  # Communication 2.1.3: no objectType for an Activity


def test_canonical_format_uses_the_latest_definition_in_one_language(lrs):
    first = statement()
    first["object"]["definition"] = {"name": {"en-US": "Lesson one", "fr": "Leçon un"}}
    later = statement()
    later["object"]["definition"] = {"name": {"en-US": "Lesson 1: qualifying leads"}}
    lrs.post_statements([first, later])
    response = lrs.request("GET", "statements", params={"statementId": first["id"], "format": "canonical"},
                           headers={"Accept-Language": "en-US"})
    assert response.json["object"]["definition"]["name"] == {"en-US": "Lesson 1: qualifying leads"}
    french = lrs.request("GET", "statements", params={"statementId": first["id"], "format": "canonical"},
                         headers={"Accept-Language": "fr"})
    assert french.json["object"]["definition"]["name"] == {"fr": "Leçon un"}
    exact = lrs.get("statements", statementId=first["id"]).json
    assert exact["object"]["definition"]["name"] == {"en-US": "Lesson one", "fr": "Leçon un"}
    activity = lrs.get("activities", activityId=SITE + "lesson-1").json
    assert activity["definition"]["name"]["en-US"] == "Lesson 1: qualifying leads"


def test_bad_parameters_are_refused(lrs):
    cases = [
        ({"Verb": ADL + "passed"}, "did you mean 'verb'"),
        ({"colour": "red"}, "Unknown parameter 'colour'"),
        ({"statementId": str(uuid.uuid4()), "voidedStatementId": str(uuid.uuid4())}, "not both"),
        ({"statementId": str(uuid.uuid4()), "verb": ADL + "passed"}, "Unknown parameter 'verb'"),
        ({"agent": "ann@example.com"}, "not valid JSON"),
        ({"since": "last week"}, "not an ISO 8601 timestamp"),
        ({"limit": "-1"}, "whole number"),
        ({"format": "full"}, "format"),
        ({"ascending": "yes"}, "true or false"),
    ]
    for params, message in cases:
        response = lrs.get("statements", **params)
        assert response.status_code == 400 and message in response.json["error"], (params, response.json)
    broken = lrs.client.get("/xapi/statements/more/not-a-token", headers=lrs.headers())
    assert broken.status_code == 400


def test_alternate_request_syntax_gets_statements_with_form_fields(lrs):
    sent = statement(verb="passed")
    lrs.post_statements(sent)
    response = lrs.client.post("/xapi/statements?method=GET", data={
        "verb": ADL + "passed", "X-Experience-API-Version": "1.0.3",
        "Authorization": lrs.headers()["Authorization"]})
    assert _ids(response) == [sent["id"]]
