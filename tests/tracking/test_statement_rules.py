"""xAPI 1.0.3 rules of the Statements resource (xAPI-Data.md, xAPI-Communication.md).

Each test is named after the rule it checks and quotes it: contextActivities normalisation and the ``ids`` and
``canonical`` formats (also inside a SubStatement), StatementRef filter matching (recursive), timestamp and language
tag validation, parameter errors, the headers on every response, and attachment parts.
"""
from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from tests.tracking.conftest import ADL, SITE, agent_param, statement
from tests.tracking.test_attachments import _header, _multipart, _post


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {s["id"] for s in response.json["statements"]}


def _with_substatement(**sub_extra) -> dict:
    sent = statement()
    sub = {"objectType": "SubStatement", "actor": {"objectType": "Agent", "mbox": "mailto:sub@example.com"},
           "verb": {"id": ADL + "attempted"}, "object": {"id": SITE + "sub-activity"}}
    sub.update(sub_extra)
    sent["object"] = sub
    return sent


# --- xAPI-Data 2.4.6.2: contextActivities normalisation, also inside a SubStatement -------------------------------

def test_lrs_must_return_every_context_activities_value_as_an_array_also_in_a_substatement(lrs):
    # xAPI-Data 2.4.6.2.s4.b3: "The LRS MUST return every value in the contextActivities Object as an array, even if
    # it arrived as a single Activity Object."  2.4.6.2.s4.b4: "The LRS MUST return single Activity Objects as an
    # array of length one containing the same Activity."  2.4.4.3.s8.b2: "A SubStatement MUST be validated as a
    # Statement in addition to other SubStatement requirements." -- so a SubStatement's context is normalised too.
    sent = _with_substatement(context={"contextActivities": {"parent": {"id": SITE + "course-1"}}})
    assert lrs.post_statements(sent).status_code == 200
    got = lrs.get("statements", statementId=sent["id"])
    assert got.status_code == 200
    assert got.json["object"]["context"]["contextActivities"]["parent"] == [{"id": SITE + "course-1"}]


@pytest.mark.parametrize("fmt", ["ids", "canonical"])
def test_format_ids_and_canonical_must_answer_200_for_a_substatement_with_a_single_context_activity(lrs, fmt):
    # xAPI-Communication 2.1.3 (format parameter): "If ids, only include minimum information necessary in Agent,
    # Activity, Verb and Group Objects to identify them." / "If canonical, return Activity Objects and Verbs populated
    # with the canonical definition ..."; 2.1.3 Returns: "200 OK, Statement or Statement Result".
    # xAPI-Data 2.4.6.2.s4.b2: "Every value in the contextActivities Object MUST be either a single Activity Object or
    # an array of Activity Objects." -- so this statement is valid; the ADL conformance suite stores exactly such a
    # SubStatement (contexts.category) and then GETs ?format=ids.
    sent = _with_substatement(context={"contextActivities": {"category": {"id": SITE + "category-1"}}})
    assert lrs.post_statements(sent).status_code == 200
    single = lrs.get("statements", statementId=sent["id"], format=fmt)
    assert single.status_code == 200, single.get_data(as_text=True)[:300]
    listed = lrs.get("statements", format=fmt)
    assert listed.status_code == 200, listed.get_data(as_text=True)[:300]


# --- xAPI-Communication 2.1.3.s4: canonical format, one language per map incl. interaction components ---------------

def test_canonical_format_must_return_only_one_language_in_interaction_component_maps(lrs):
    # xAPI-Communication 2.1.3.s4.b1: "Activity Objects contain Language Map Objects within their "name",
    # "description" and various interaction components. The LRS MUST return only one language in each of these maps."
    sent = statement()
    sent["object"]["definition"] = {
        "name": {"en-US": "Question 1", "fr": "Question un"},
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "interactionType": "choice", "correctResponsesPattern": ["yes"],
        "choices": [{"id": "yes", "description": {"en-US": "Yes", "fr": "Oui"}},
                    {"id": "no", "description": {"en-US": "No", "fr": "Non"}}]}
    assert lrs.post_statements(sent).status_code == 200
    got = lrs.request("GET", "statements", params={"statementId": sent["id"], "format": "canonical"},
                      headers={"Accept-Language": "fr"})
    assert got.status_code == 200
    definition = got.json["object"]["definition"]
    assert definition["name"] == {"fr": "Question un"}
    assert [c["description"] for c in definition["choices"]] == [{"fr": "Oui"}, {"fr": "Non"}]


# --- xAPI-Communication 2.1.3.s3: StatementRef filter matching applies recursively -------------------------------

def _chain():
    """c: Ben did something; b targets c; a targets b."""
    c = statement(email="ben@example.com", verb="passed", activity="explosives")
    b = statement(email="andrew@example.com", verb="confirmed")
    b["object"] = {"objectType": "StatementRef", "id": c["id"]}
    a = statement(email="cy@example.com", verb="commented")
    a["object"] = {"objectType": "StatementRef", "id": b["id"]}
    return a, b, c


def test_statement_ref_filter_rule_applies_recursively_when_posted_together(lrs):
    # xAPI-Communication 2.1.3.s3: "For filter parameters which are not time or sequence based ..., Statements which
    # target another Statement (by using a StatementRef as the Object of the Statement) will meet the filter condition
    # if the targeted Statement meets the filter condition. ... This rule applies recursively, so that "Statement a"
    # is a match when a targets b which targets c and the filter conditions described above match for "Statement c"."
    # Here c, b and a arrive in one batch, so a matches through b what b inherits from c.
    a, b, c = _chain()
    assert lrs.post_statements([c, b, a]).status_code == 200
    assert _ids(lrs.get("statements", agent=agent_param("ben@example.com"))) == {a["id"], b["id"], c["id"]}
    assert _ids(lrs.get("statements", activity=SITE + "explosives")) == {a["id"], b["id"], c["id"]}


def test_statement_ref_filter_rule_applies_recursively_when_the_chain_arrives_in_reverse(lrs):
    # xAPI-Communication 2.1.3.s3 (as above): "This rule applies recursively, so that "Statement a" is a match when a
    # targets b which targets c ...".  Here a, b and c arrive in that order, each derived (by a read) before the next
    # arrives: what c brings must reach a, which only refers to it through b.
    a, b, c = _chain()
    for item in (a, b, c):
        assert lrs.post_statements(item).status_code == 200
        assert lrs.get("statements").status_code == 200  # a reader derives what is pending
    assert _ids(lrs.get("statements", agent=agent_param("ben@example.com"))) == {a["id"], b["id"], c["id"]}


def test_statement_ref_filter_rule_applies_along_a_long_chain_posted_in_one_batch(lrs):
    # xAPI-Communication 2.1.3.s3 (as above): "This rule applies recursively ...".  A batch of 1,500 statements,
    # each targeting the one before it and the first targeting an activity statement stored earlier: the chain is
    # deeper than Python's recursion limit and spans several deriving chunks, and every link matches the activity.
    first = statement(activity="long-chain")
    assert lrs.post_statements(first).status_code == 200
    chain, target = [], first["id"]
    for _ in range(1500):
        link = {"id": str(uuid.uuid4()), "actor": {"objectType": "Agent", "mbox": "mailto:andrew@example.com"},
                "verb": {"id": ADL + "commented"}, "object": {"objectType": "StatementRef", "id": target}}
        chain.append(link)
        target = link["id"]
    assert lrs.post_statements(chain).status_code == 200
    seen = []
    page = lrs.get("statements", activity=SITE + "long-chain", limit="0")
    while True:
        assert page.status_code == 200, page.get_data(as_text=True)[:300]
        seen += [s["id"] for s in page.json["statements"]]
        if not page.json["more"]:
            break
        page = lrs.client.get(page.json["more"], headers=lrs.headers())
    assert len(seen) == 1501
    assert set(seen) == {first["id"]} | {link["id"] for link in chain}


# --- xAPI-Data 4.5: timestamps; xAPI-Data 2.2.s4.b4: parameters validated like statement values ---------------------

@pytest.mark.parametrize("value", ["2008-09-15T15:53:00.601-00:00", "2008-09-15T15:53:00.601-00",
                                   "2008-09-15T15:53:00.601-0000"])
def test_timestamp_must_be_iso_8601_so_a_negative_zero_offset_is_rejected(lrs, value):
    # xAPI-Data 4.5.s1.b1: "A Timestamp MUST be formatted according to ISO 8601." ISO 8601 writes a zero UTC offset
    # with "+" (minus only for negative offsets); "-00:00" is RFC 3339's "unknown local offset".
    # xAPI-Data 2.2.s4.b1.b4: the LRS MUST reject "any non-format-following key or value ... where a string with a
    # particular format ... is required". The ADL conformance suite (configs/timestamps.js) expects 400 for each.
    response = lrs.post_statements(statement(timestamp=value))
    assert response.status_code == 400, value


def test_since_parameter_is_validated_like_a_statement_timestamp(lrs):
    # xAPI-Data 2.2.s4.b4: "The LRS MUST validate parameter values to the same standards required for values of the
    # same types in Statements." (since: Timestamp, xAPI-Communication 2.1.3 table row 9)
    assert lrs.get("statements", since="2008-09-15T15:53:00.601-00:00").status_code == 400
    assert lrs.get("statements", since="2008-09-15T15:53:00.601-0000").status_code == 400


# --- xAPI-Data 2.2.s4.b2: language map keys must have RFC 5646 token lengths -------------------------------------

@pytest.mark.parametrize("tag", ["de-419-DE", "e-US", "en-a"])
def test_lrs_must_validate_the_token_lengths_of_language_map_keys(lrs, tag):
    # xAPI-Data 2.2.s4.b2: "The LRS MUST at least validate that the sequence of token lengths for language map keys
    # matches the RFC 5646 standard."  RFC 5646: language = 2-8 letters (a 1-letter first subtag is only the
    # "x"/"i" singleton); after a region (2 letters or 3 digits) only a variant (5-8, or digit + 3) or a singleton may
    # follow; a singleton needs at least one 2-8 character subtag after it.
    # "de-419-DE" is the ADL conformance suite's own invalid example (configs/formatting.js).
    sent = statement()
    sent["verb"]["display"] = {"en-US": "experienced", tag: "x"}
    response = lrs.post_statements(sent)
    assert response.status_code == 400, tag


# --- xAPI-Communication 3.2: a bad parameter value is a 400, not a 500 -------------------------------------------

def test_limit_that_is_not_a_nonnegative_integer_is_a_400_not_a_server_error(lrs):
    # xAPI-Communication 2.1.3: limit is a "Nonnegative Integer"; 3.2.s2.b1: "400 Bad Request - Indicates an error
    # condition caused by an invalid or missing argument."; 3.2.s3.b1: "An LRS MUST return the error code most
    # appropriate to the error condition from the list above."  "²" is a Unicode digit but not an integer.
    response = lrs.get("statements", limit="²")
    assert response.status_code == 400


# --- Headers on every Statements response ------------------------------------------------------------------------

def test_every_statements_response_carries_version_and_consistent_through_even_a_405(lrs):
    # xAPI-Communication 3.3.s3.b1: "The LRS MUST include the "X-Experience-API-Version" header in every response."
    # 2.1.3.s2.b5: "The LRS MUST include the header "X-Experience-API-Consistent-Through" ... on all responses to
    # Statements Resource requests".  DELETE, which the resource does not support, checks an error response too.
    response = lrs.request("DELETE", "statements")
    assert response.status_code in (400, 405)
    assert response.headers.get("X-Experience-API-Version") == "1.0.3"
    assert "X-Experience-API-Consistent-Through" in response.headers


# --- xAPI-Communication 1.5.2: attachments ------------------------------------------------------------------------

def test_attachment_part_content_type_must_match_the_attachment_object(lrs):
    # xAPI-Communication 1.5.2.s2.b2.b7: "Where parameters have a corresponding property within the attachment Object
    # (outlined in the table above), and both the parameter and property are specified for a given Attachment, the
    # value of these parameters and properties MUST match." (contentType <-> Content-Type, xAPI-Data 2.4.11 table).
    # A request breaking it is refused as 3.2 "400 Bad Request ... invalid Object structures".
    data = b"certificate"
    sent = statement(attachments=[_header(data, content_type="text/plain")])
    response = _post(lrs, _multipart(sent, [("image/png", data)]))
    assert response.status_code == 400


def test_substatement_attachment_without_file_url_or_part_is_rejected(lrs):
    # xAPI-Communication 1.5.2.s2.b1: a request with Attachments "MUST be of type application/json and include a
    # fileUrl for every Attachment"; 1.5.2.s3.b5: the LRS "MUST reject batches of Statements having Attachments that
    # neither contain a fileUrl nor match a received Attachment part based on their hash."  A SubStatement's
    # attachments are held to the same rule as the Statement's own.
    header = {"usageType": "http://example.com/attachment-usage/certificate", "display": {"en-US": "certificate"},
              "contentType": "text/plain", "length": 3, "sha2": hashlib.sha256(b"abc").hexdigest()}
    sent = _with_substatement(attachments=[header])
    response = lrs.request("POST", "statements", data=json.dumps(sent), content_type="application/json")
    assert response.status_code == 400
