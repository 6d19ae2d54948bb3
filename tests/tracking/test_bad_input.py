"""Bad input to /xapi/ gets a 4xx with a JSON body naming the problem: never a 500, a hang, or a partial write.

Bad timestamps, numbers, text, nesting, signatures, more tokens, document headers, batch sizes and identifiers: each is
refused up front, or (for a query's bounds and limit) taken as the nearest value the LRS can serve.
"""
from __future__ import annotations

import base64
import datetime
import json
import time
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.tracking.conftest import SITE, agent_param, statement
from tests.tracking.test_attachments import SIGNATURE, _header, _multipart, _post

STATE = {"activityId": SITE + "a", "agent": agent_param("ann@example.com")}


def _assert_4xx_json(response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.is_json and "error" in response.json, response.get_data(as_text=True)[:300]


def _assert_refused(response, status: int, words: str) -> None:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.is_json and words in response.json.get("error", ""), response.get_data(as_text=True)[:300]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _nest(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


# --- Timestamps: statements dated outside the years 1000-9999 are refused; query bounds beyond them are clamped -------

@pytest.mark.parametrize("case", ["statement.timestamp", "substatement.timestamp"])
@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59"])
def test_timestamp_whose_offset_moves_it_outside_the_stored_years_is_400(lrs, case, moment):
    if case == "statement.timestamp":
        response = lrs.post_statements(statement(timestamp=moment))
    else:
        sub = statement()
        sub.pop("id")
        response = lrs.post_statements(statement(object={**sub, "objectType": "SubStatement", "timestamp": moment}))
    _assert_refused(response, 400, "outside the years 1000 to 9999")


def test_statement_dated_before_year_1000_is_400(lrs):
    sent = statement(timestamp="0999-06-01T00:00:00Z")
    _assert_refused(lrs.post_statements(sent), 400, "outside the years 1000 to 9999")
    assert lrs.get("statements", statementId=sent["id"]).status_code == 404


@pytest.mark.parametrize("case", ["since", "until", "state since"])
@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59"])
def test_a_query_bound_beyond_the_stored_years_means_from_or_to_the_end(lrs, case, moment):
    sent = statement()
    lrs.post_statements(sent)
    if case == "state since":
        lrs.request("PUT", "activities/state", params={**STATE, "stateId": "bookmark"}, data=b"x",
                    content_type="text/plain")
        response = lrs.request("GET", "activities/state", params={**STATE, "since": moment})
        assert response.status_code == 200 and response.json == (["bookmark"] if moment < "5" else [])
        return
    response = lrs.get("statements", **{case: moment})
    assert response.status_code == 200
    found = [s["id"] for s in response.json["statements"]]
    early = moment < "5"  # since the beginning, or until the end: everything; the other way round: nothing
    assert found == ([sent["id"]] if early == (case == "since") else [])


# --- Scores: a score.max too large for a floating-point number is refused ---------------------------------------------

def test_score_max_beyond_float_range_is_400(lrs):
    sent = statement(result={"score": {"raw": 0.5, "max": 10**400}})
    _assert_4xx_json(lrs.request("POST", "statements", data=json.dumps(sent), content_type="application/json"))


# --- Unicode: a lone surrogate, which no UTF-8 text can hold, is refused in a body or a parameter ---------------------

def test_lone_surrogate_in_a_body_that_holds_a_long_number_is_400(lrs):
    sent = statement(result={"response": "SURROGATE", "extensions": {"http://example.com/n": 1234567890123456789}})
    body = json.dumps(sent).replace("SURROGATE", "\\ud800")  # an escaped lone high surrogate
    _assert_4xx_json(lrs.request("POST", "statements", data=body, content_type="application/json"))


def test_agent_parameter_with_lone_surrogate_is_400(lrs):
    _assert_4xx_json(lrs.get("statements", agent='{"openid": "http://example.com/\\ud800"}'))


# --- Nesting: JSON nested thousands of levels deep is refused wherever it arrives -------------------------------------

@pytest.mark.parametrize("where", ["statements body", "agent parameter", "agents resource", "state POST merge",
                                   "more token"])
def test_deeply_nested_json_is_400(lrs, where):
    deep = _nest(5000)
    if where == "statements body":  # around a 19-digit number, which the LRS reads along another path
        response = lrs.request("POST", "statements", data="[" * 5000 + "1234567890123456789" + "]" * 5000,
                               content_type="application/json")
    elif where == "agent parameter":
        response = lrs.get("statements", agent=deep)
    elif where == "agents resource":
        response = lrs.get("agents", agent=deep)
    elif where == "state POST merge":  # merged into an existing JSON document
        assert lrs.request("PUT", "activities/state", params={**STATE, "stateId": "s"}, data='{"a": 1}',
                           content_type="application/json").status_code == 204
        response = lrs.request("POST", "activities/state", params={**STATE, "stateId": "s"}, data=deep,
                               content_type="application/json")
    else:
        response = lrs.get("statements/more/" + _b64(json.dumps({"p": {"agent": deep}, "c": [
            "2026-01-01T00:00:00+00:00", 1]}).encode()))
    _assert_4xx_json(response)


# --- Extensions: values nested more than 32 levels deep are refused, and nothing is stored ----------------------------

@pytest.mark.parametrize("depth", [32, 600, 1015], ids=["33 levels", "601 levels", "just under the parser's limit"])
def test_extension_values_nested_deeper_than_32_levels_are_400(lrs, depth):
    sent = statement(result={"extensions": {"http://example.com/deep": "DEEP"}})
    body = json.dumps(sent).replace('"DEEP"', _nest(depth))
    response = lrs.request("POST", "statements", data=body, content_type="application/json")
    _assert_refused(response, 400, "nest at most 32 levels deep")
    assert lrs.get("statements", statementId=sent["id"]).status_code == 404


# --- Interaction activities: an interactionType that is not a string is refused ---------------------------------------

@pytest.mark.parametrize("kind", [[], {"id": "x"}])
def test_interaction_type_of_the_wrong_json_type_is_400(lrs, kind):
    sent = statement()
    sent["object"]["definition"]["interactionType"] = kind
    _assert_4xx_json(lrs.post_statements(sent))


# --- Signed statements: a malformed JWS header or an out-of-range payload is refused ----------------------------------

def _unknown_key_certificate() -> str:
    """A certificate whose key algorithm OID no library knows."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    start = datetime.datetime(2026, 1, 1)
    der = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
           .serial_number(1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=1))
           .sign(key, hashes.SHA256())).public_bytes(serialization.Encoding.DER)
    rsa_oid = bytes.fromhex("06092a864886f70d010101")
    return base64.b64encode(der.replace(rsa_oid, bytes.fromhex("06092a864886f70d01017f"), 1)).decode()


@pytest.mark.parametrize("case", ["alg list", "alg object", "x5c object", "x5c unknown key", "payload timestamp"])
def test_malformed_signature_is_400(lrs, case):
    sent = statement()
    payload = dict(sent)
    header: dict = {"alg": "RS256"}
    if case == "alg list":
        header["alg"] = ["RS256"]
    elif case == "alg object":
        header["alg"] = {}
    elif case == "x5c object":
        header["x5c"] = {}
    elif case == "x5c unknown key":
        header["x5c"] = [_unknown_key_certificate()]
    else:
        payload["timestamp"] = "0001-01-01T00:00:00+01:00"  # before the year 1 in UTC
    jws = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}.{_b64(b'sig')}".encode()
    sent["attachments"] = [_header(jws, usage=SIGNATURE, content_type="application/octet-stream")]
    _assert_4xx_json(_post(lrs, _multipart(sent, [("application/octet-stream", jws)])))


# --- limit: a number thousands of digits long is taken as the largest page allowed ------------------------------------

def test_a_limit_of_thousands_of_digits_means_the_most_allowed(lrs):
    lrs.post_statements([statement(activity=f"lesson-{n}") for n in range(3)])
    response = lrs.get("statements", limit="1" * 4301)
    assert response.status_code == 200 and len(response.json["statements"]) == 3


# --- more tokens: a tampered token (cursor, ceiling or query) is refused ----------------------------------------------

@pytest.mark.parametrize("token", [
    b'{"p":{},"c":["2026-01-01T00:00:00+00:00",Infinity]}',  # a cursor seq of Infinity
    b'{"p":{},"c":["2026-01-01T00:00:00+00:00",100000000000000000000]}',  # a cursor seq beyond 64-bit integers
    b'{"p":{},"c":["2026-01-01T00:00:00",1]}',  # a cursor time without a time zone
    b'{"p":{"ascending":"true"},"c":["2026-01-01T00:00:00+00:00",1],"x":"2026-01-01T00:00:00"}',  # likewise a ceiling
    b'{"p":{},"c":["0001-01-01T00:00:00+01:00",1]}',  # a cursor time before the year 1 in UTC
    b'{"p":[],"c":["2026-01-01T00:00:00+00:00",1]}',  # query parameters as a list, not an object
    b'{"p":{"since":"0001-01-01T00:00:00+01:00"},"c":["2026-01-01T00:00:00+00:00",1]}',
], ids=["seq Infinity", "seq 1e20", "naive cursor", "naive ceiling", "cursor out of range", "p list",
        "since out of range"])
def test_tampered_more_token_is_400(lrs, token):
    _assert_4xx_json(lrs.get("statements/more/" + _b64(token)))


# --- Documents: a Content-Type holding a line break is refused, and nothing is stored ---------------------------------

def test_document_content_type_with_a_newline_is_400(lrs):
    form = {**STATE, "stateId": "s", "content": "hello", "Content-Type": "text/plain\r\nX-Injected: 1"}
    put = lrs.request("POST", "activities/state", params={"method": "PUT"}, data=form)
    _assert_refused(put, 400, "is not a media type")
    assert lrs.request("GET", "activities/state", params={**STATE, "stateId": "s"}).status_code == 404


# --- Batches: a request of more than 10,000 statements is refused as a whole ------------------------------------------

def test_batch_of_more_than_10000_statements_is_413(lrs):
    one = '{"actor":{"mbox":"mailto:a@b.co"},"verb":{"id":"http://x/v"},"object":{"id":"http://x/o"}}'
    response = lrs.request("POST", "statements", data="[" + ",".join([one] * 10_001) + "]",
                           content_type="application/json")
    _assert_refused(response, 413, "at most 10,000 statements")
    assert lrs.get("statements").json["statements"] == []


# --- Agents: a long mbox that is not an email address is refused quickly ----------------------------------------------

def test_long_mbox_is_refused_quickly(lrs):
    mbox = "mailto:a@" + "a." * 20_000 + "/"  # 40 kB: a domain of 20,000 labels, then a slash
    started = time.perf_counter()
    response = lrs.get("statements", agent=json.dumps({"mbox": mbox}))
    _assert_4xx_json(response)
    assert time.perf_counter() - started < 1.0


# --- Identifiers: an id, UUID or IRI followed by a newline is refused -------------------------------------------------

@pytest.mark.parametrize("case", ["statement.id", "statementId", "context.registration", "verb.id"])
def test_identifier_with_a_trailing_newline_is_400(lrs, case):
    sent = statement()
    if case == "statement.id":
        sent["id"] += "\n"
        response = lrs.post_statements(sent)
    elif case == "statementId":
        statement_id = sent.pop("id") + "\n"
        response = lrs.put_statement(sent, statement_id)
    elif case == "context.registration":
        sent["context"] = {"registration": str(uuid.uuid4()) + "\n"}
        response = lrs.post_statements(sent)
    else:
        sent["verb"]["id"] += "\n"
        response = lrs.post_statements(sent)
    _assert_4xx_json(response)


# --- Document merges: a body holding NaN, which is not JSON, is refused -----------------------------------------------

def test_state_merge_with_nan_is_400(lrs):
    params = {**STATE, "stateId": "s"}
    assert lrs.request("PUT", "activities/state", params=params, data='{"a": 1}',
                       content_type="application/json").status_code == 204
    _assert_4xx_json(lrs.request("POST", "activities/state", params=params, data='{"b": NaN}',
                                 content_type="application/json"))


@pytest.mark.parametrize("content_type", ["text/plain\r\n\r\n;injected: yes", "text/plain\n;x=1", "text/plain\u2028;x"])
def test_an_attachment_content_type_that_would_break_headers_is_400(lrs, content_type):
    data = b"certificate"
    sent = statement(attachments=[_header(data, content_type=content_type)])
    _assert_refused(_post(lrs, _multipart(sent, [(None, data)])), 400, "contentType")
    assert lrs.get("statements", statementId=sent["id"]).status_code == 404
