"""Storing statements (xAPI-Communication 2.1.1-2.1.2, xAPI-Data 2.2-2.4): what an LRS client sees."""
from __future__ import annotations

import copy
import json
import uuid

import pytest

from tests.tracking.conftest import ADL, SITE, agent_param, statement


def test_posted_statement_comes_back_with_the_properties_the_lrs_sets(lrs):
    sent = statement()
    response = lrs.post_statements(sent)
    assert response.status_code == 200 and response.json == [sent["id"]]
    got = lrs.get("statements", statementId=sent["id"])
    assert got.status_code == 200
    body = got.json
    assert body["actor"] == sent["actor"] and body["object"] == sent["object"]
    assert body["version"] == "1.0.0"
    assert body["stored"].endswith("Z") and body["timestamp"] == body["stored"]
    assert body["authority"]["account"]["name"] == lrs.key
    assert got.headers["X-Experience-API-Version"] == "1.0.3"
    assert "X-Experience-API-Consistent-Through" in got.headers
    assert got.headers["Last-Modified"]


def test_batch_returns_ids_in_order_and_assigns_missing_ones(lrs):
    first, second = statement(), statement(verb="completed")
    del second["id"]
    response = lrs.post_statements([first, second])
    assert response.status_code == 200
    ids = response.json
    assert ids[0] == first["id"] and uuid.UUID(ids[1]).version == 4
    assert lrs.get("statements", statementId=ids[1]).json["verb"]["id"] == ADL + "completed"


def test_put_stores_under_the_statement_id_parameter(lrs):
    sent = statement()
    statement_id = sent.pop("id")
    assert lrs.put_statement(sent, statement_id).status_code == 204
    assert lrs.get("statements", statementId=statement_id).json["id"] == statement_id


def test_put_refuses_a_mismatched_or_missing_statement_id(lrs):
    sent = statement()
    response = lrs.put_statement(sent, str(uuid.uuid4()))
    assert response.status_code == 400 and "differs from the statementId" in response.json["error"]
    response = lrs.request("PUT", "statements", json_body=statement())
    assert response.status_code == 400 and "statementId" in response.json["error"]


def test_same_id_same_content_is_a_no_op_and_different_content_a_conflict(lrs):
    sent = statement()
    assert lrs.post_statements(sent).status_code == 200
    stored = lrs.get("statements", statementId=sent["id"]).json["stored"]
    again = copy.deepcopy(sent)
    again["context"] = {"contextActivities": {"parent": [{"id": SITE + "course-1"}]}}
    assert lrs.put_statement(sent, sent["id"]).status_code == 204
    assert lrs.post_statements(sent).json == [sent["id"]]
    conflict = lrs.post_statements(again)
    assert conflict.status_code == 409 and "different content" in conflict.json["error"]
    after = lrs.get("statements", statementId=sent["id"]).json
    assert after["stored"] == stored and "context" not in after


def test_comparison_ignores_what_the_lrs_may_change(lrs):
    sent = statement(timestamp="2026-03-01T10:00:00+02:00",
                     context={"contextActivities": {"parent": {"id": SITE + "course-1"}}})
    assert lrs.post_statements(sent).status_code == 200
    same = copy.deepcopy(sent)
    same["timestamp"] = "2026-03-01T08:00:00.000Z"  # the same instant
    same["context"]["contextActivities"]["parent"] = [{"id": SITE + "course-1"}]
    same["version"] = "1.0.0"
    assert lrs.post_statements(same).status_code == 200
    stored = lrs.get("statements", statementId=sent["id"]).json
    assert stored["context"]["contextActivities"]["parent"] == [{"id": SITE + "course-1"}]


def test_a_batch_with_a_repeated_id_or_one_bad_statement_stores_nothing(lrs):
    good = statement()
    repeated = lrs.post_statements([good, copy.deepcopy(good)])
    assert repeated.status_code == 400 and "more than once" in repeated.json["error"]
    bad = statement()
    bad["verb"]["id"] = "not an iri"
    response = lrs.post_statements([good, bad])
    assert response.status_code == 400 and response.json["error"].startswith("statements[1].verb.id")
    assert lrs.get("statements", statementId=good["id"]).status_code == 404


def _broken(change):
    body = statement()
    change(body)
    return body


INVALID = [
    ("no actor", lambda s: s.pop("actor"), "property 'actor' is required"),
    ("two identifiers", lambda s: s["actor"].update(openid="http://openid.example.com/ann"), "more than one"),
    ("mbox without mailto", lambda s: s["actor"].update(mbox="ann@example.com"), "is not a mailto IRI"),
    ("verb not an IRI", lambda s: s["verb"].update(id="completed"), "not an absolute IRI"),
    ("null value", lambda s: s.update(result={"response": None}), "must not be null"),
    ("number as string", lambda s: s.update(result={"score": {"raw": "10"}}), "must be a number"),
    ("boolean as string", lambda s: s.update(result={"success": "true"}), "must be true or false"),
    ("bad id", lambda s: s.update(id="1234"), "is not a UUID"),
    ("bad timestamp", lambda s: s.update(timestamp="yesterday"), "is not an ISO 8601 timestamp"),
    ("unknown property", lambda s: s.update(grade="A"), "property 'grade' is not allowed"),
    ("key in wrong case", lambda s: s.update(Result={}), "property 'Result' is not allowed"),
    ("version 2", lambda s: s.update(version="2.0.0"), "version 1.0.x"),
    ("bad duration", lambda s: s.update(result={"duration": "90 seconds"}), "is not an ISO 8601 duration"),
    ("bad language tag", lambda s: s["verb"].update(display={"english!": "x"}), "is not an RFC 5646"),
    ("scaled out of range", lambda s: s.update(result={"score": {"scaled": 1.5}}), "between -1 and 1"),
    ("raw above max", lambda s: s.update(result={"score": {"raw": 11, "min": 0, "max": 10}}), "between min and max"),
    ("bad context kind", lambda s: s.update(context={"contextActivities": {"sibling": []}}), "'sibling' is not"),
    ("platform on agent object", lambda s: s.update(object={"objectType": "Agent", "mbox": "mailto:b@example.com"},
                                                    context={"platform": "web"}), "only be used when the object"),
    ("agent object without objectType", lambda s: s.update(object={"mbox": "mailto:b@example.com"}),
     "property 'mbox' is not allowed"),
    ("nested substatement", lambda s: s.update(object={
        "objectType": "SubStatement", "actor": s["actor"], "verb": s["verb"],
        "object": {"objectType": "SubStatement", "actor": s["actor"], "verb": s["verb"], "object": s["object"]}}),
     "cannot contain another SubStatement"),
    ("substatement with id", lambda s: s.update(object={
        "objectType": "SubStatement", "id": str(uuid.uuid4()), "actor": s["actor"], "verb": s["verb"],
        "object": {"id": SITE + "x"}}), "property 'id' is not allowed"),
    ("anonymous group without members", lambda s: s.update(actor={"objectType": "Group"}), "needs a 'member'"),
    ("bad interaction type", lambda s: s["object"]["definition"].update(interactionType="essay"),
     "'essay' is not one of"),
    ("voiding without StatementRef", lambda s: s["verb"].update(id=ADL + "voided"), "must be a StatementRef"),
]


@pytest.mark.parametrize(("change", "message"), [case[1:] for case in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_statements_are_refused_with_the_reason(lrs, change, message):
    response = lrs.post_statements(_broken(change))
    assert response.status_code == 400
    assert response.is_json and message in response.json["error"], response.json


def test_identifiers_longer_than_the_lrs_stores_are_refused_not_crashed_on(lrs):
    response = lrs.post_statements(statement(activity="x" * 700))
    assert response.status_code == 400 and "600 characters" in response.json["error"]


def test_extensions_may_hold_any_value_including_null(lrs):
    sent = statement(result={"extensions": {"http://example.com/ext/notes": None}},
                     context={"extensions": {"http://example.com/ext/crm": {"opportunity": 42, "open": None}}})
    assert lrs.post_statements(sent).status_code == 200
    assert lrs.get("statements", statementId=sent["id"]).json["context"]["extensions"] == \
        sent["context"]["extensions"]


def test_statements_from_outside_about_crm_activity_are_stored(lrs):
    sent = statement(verb="interacted", activity="crm/opportunity/create",
                     actor={"objectType": "Agent", "account": {"homePage": "https://crm.example.com",
                                                               "name": "E1001"}})
    assert lrs.post_statements(sent).status_code == 200
    found = lrs.get("statements", agent='{"account":{"homePage":"https://crm.example.com","name":"E1001"}}').json
    assert [s["id"] for s in found["statements"]] == [sent["id"]]


def test_authority_sent_by_the_client_is_replaced_by_the_clients_own(lrs):
    sent = statement(authority={"objectType": "Agent", "mbox": "mailto:boss@example.com"})
    lrs.post_statements(sent)
    assert lrs.get("statements", statementId=sent["id"]).json["authority"]["account"]["name"] == lrs.key


def test_voiding_hides_the_statement_except_by_voided_statement_id(lrs):
    target = statement(email="ben@example.com", verb="passed")
    lrs.post_statements(target)
    voiding = statement(email="admin@example.com", verb="voided")
    voiding["object"] = {"objectType": "StatementRef", "id": target["id"]}
    assert lrs.post_statements(voiding).status_code == 200
    missing = lrs.get("statements", statementId=target["id"])
    assert missing.status_code == 404 and "voidedStatementId" in missing.json["error"]
    assert lrs.get("statements", voidedStatementId=target["id"]).json["id"] == target["id"]
    listed = [s["id"] for s in lrs.get("statements", agent=agent_param("ben@example.com")).json["statements"]]
    assert listed == [voiding["id"]]  # the voiding statement targets Ben's, so it matches his filter
    assert lrs.get("statements", voidedStatementId=voiding["id"]).status_code == 404


def test_a_voiding_statement_cannot_be_voided(lrs):
    target = statement()
    voiding = statement(verb="voided")
    voiding["object"] = {"objectType": "StatementRef", "id": target["id"]}
    lrs.post_statements([target, voiding])
    again = statement(verb="voided")
    again["object"] = {"objectType": "StatementRef", "id": voiding["id"]}
    response = lrs.post_statements(again)
    assert response.status_code == 400 and "cannot be voided" in response.json["error"]
    assert lrs.get("statements", statementId=voiding["id"]).status_code == 200


def test_a_statement_arriving_after_its_voiding_statement_is_voided(lrs):
    late = statement()
    voiding = statement(verb="voided")
    voiding["object"] = {"objectType": "StatementRef", "id": late["id"]}
    assert lrs.post_statements(voiding).status_code == 200
    assert lrs.post_statements(late).status_code == 200
    assert lrs.get("statements", statementId=late["id"]).status_code == 404
    assert lrs.get("statements", voidedStatementId=late["id"]).status_code == 200


def test_integers_beyond_64_bits_are_kept_exactly_and_nan_is_refused(lrs):
    sent = statement(result={"extensions": {"http://example.com/ext/big": 123456789012345678901234567890}})
    assert lrs.post_statements(sent).status_code == 200
    got = lrs.get("statements", statementId=sent["id"])
    assert b"123456789012345678901234567890" in got.data
    assert got.json["result"]["extensions"]["http://example.com/ext/big"] == 123456789012345678901234567890
    body = json.dumps(statement(result={"score": {"raw": 5}}))
    for number in ("NaN", "Infinity"):  # what Python's json accepts and JSON does not
        for padding in ("", ' "id": "12345678901234567890123",'):  # short or long digits: both parsers refuse
            text = body.replace('"raw": 5', f'"raw": {number}').replace("{", "{" + padding, 1)
            response = lrs.request("POST", "statements", data=text, content_type="application/json")
            assert response.status_code == 400 and "not valid JSON" in response.json["error"], (number, padding)
