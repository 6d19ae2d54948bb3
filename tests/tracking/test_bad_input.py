"""Bad input to /xapi/ must get a 4xx with a JSON body: never a 500, a hang, or a partial write.

Each test is a minimal reproduction of one crash (or hole) found by fuzzing the LRS. Where the input is valid xAPI
and the crash comes later (a read of what was stored), the test accepts either a 4xx refusal up front or a
working read afterwards.
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


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _nest(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


# --- validation.timestamp: an offset that moves the moment outside datetime's range -> OverflowError ------------

@pytest.mark.parametrize("case", ["statement.timestamp", "substatement.timestamp"])
@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59"])
def test_timestamp_whose_offset_leaves_the_datetime_range_is_400(lrs, case, moment):
    if case == "statement.timestamp":
        response = lrs.post_statements(statement(timestamp=moment))
    else:
        sub = statement()
        sub.pop("id")
        response = lrs.post_statements(statement(object={**sub, "objectType": "SubStatement", "timestamp": moment}))
    _assert_4xx_json(response)
    assert "outside the years 1000 to 9999" in response.json["error"]


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


# --- bulk.db_time: strftime("%Y") writes year 999 as "999-..." which nothing can read back ------------------------

def test_statement_dated_before_year_1000_does_not_break_later_reads(lrs):
    sent = statement(timestamp="0999-06-01T00:00:00Z")
    stored = lrs.post_statements(sent)
    if stored.status_code != 200:
        _assert_4xx_json(stored)
        return
    assert lrs.get("statements", statementId=sent["id"]).status_code == 200  # ValueError in get_statement
    assert lrs.post_statements(statement()).status_code == 200  # same actor and activity: a progress merge
    assert lrs.get("statements").status_code == 200  # catch_up -> services_progress._typed: ValueError, forever


# --- services.outcome: (raw - min) / (max - min) with a float over an int beyond float range -> OverflowError ----

def test_score_max_beyond_float_range_is_400(lrs):
    sent = statement(result={"score": {"raw": 0.5, "max": 10**400}})
    _assert_4xx_json(lrs.request("POST", "statements", data=json.dumps(sent), content_type="application/json"))


# --- xapi_http.loads: a body with 19 digits in a row is parsed by json.loads, which accepts lone surrogates -------

def test_lone_surrogate_in_a_body_that_holds_a_long_number_is_400(lrs):
    sent = statement(result={"response": "SURROGATE", "extensions": {"http://example.com/n": 1234567890123456789}})
    body = json.dumps(sent).replace("SURROGATE", "\\ud800")  # UnicodeEncodeError at the insert
    _assert_4xx_json(lrs.request("POST", "statements", data=body, content_type="application/json"))


# --- json.loads (standard library) on untrusted text: RecursionError on deep nesting ------------------------------

@pytest.mark.parametrize("where", ["statements body", "agent parameter", "agents resource", "state POST merge",
                                   "more token"])
def test_deeply_nested_json_is_400(lrs, where):
    deep = _nest(5000)
    if where == "statements body":  # a 19-digit run sends it to json.loads instead of orjson
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


# --- xapi_data.comparable: copy.deepcopy recursion on a stored statement's deep extensions ------------------------

def test_resending_a_stored_deeply_nested_statement_is_not_500(lrs):
    sent = statement(result={"extensions": {"http://example.com/deep": "DEEP"}})
    body = json.dumps(sent).replace('"DEEP"', _nest(600))
    first = lrs.request("POST", "statements", data=body, content_type="application/json")
    if first.status_code != 200:
        _assert_4xx_json(first)
        return
    # The same statement again (a client's retry) must be accepted as a no-op: RecursionError in comparable().
    again = lrs.request("POST", "statements", data=body, content_type="application/json")
    assert again.status_code == 200, again.get_data(as_text=True)[:300]


def test_statement_nested_just_under_the_parser_limit_is_400(lrs):
    # orjson parses depth 1024 but writes only 255; the json.dumps fallback then hits the recursion limit.
    sent = statement(result={"extensions": {"http://example.com/deep": "DEEP"}})
    body = json.dumps(sent).replace('"DEEP"', _nest(1015))
    _assert_4xx_json(lrs.request("POST", "statements", data=body, content_type="application/json"))


# --- validation._definition: `kind not in INTERACTION_TYPES` with an unhashable kind -> TypeError -----------------

@pytest.mark.parametrize("kind", [[], {"id": "x"}])
def test_interaction_type_of_the_wrong_json_type_is_400(lrs, kind):
    sent = statement()
    sent["object"]["definition"]["interactionType"] = kind
    _assert_4xx_json(lrs.post_statements(sent))


# --- signatures.check / _verify_x5c: exceptions outside the caught list -------------------------------------------

def _unknown_key_certificate() -> str:
    """A certificate whose key algorithm OID no library knows (cryptography raises UnsupportedAlgorithm)."""
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
        header["alg"] = ["RS256"]  # TypeError: unhashable type
    elif case == "alg object":
        header["alg"] = {}
    elif case == "x5c object":
        header["x5c"] = {}  # KeyError: 0
    elif case == "x5c unknown key":
        header["x5c"] = [_unknown_key_certificate()]  # UnsupportedAlgorithm
    else:
        payload["timestamp"] = "0001-01-01T00:00:00+01:00"  # OverflowError inside same_statement
    jws = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}.{_b64(b'sig')}".encode()
    sent["attachments"] = [_header(jws, usage=SIGNATURE, content_type="application/octet-stream")]
    _assert_4xx_json(_post(lrs, _multipart(sent, [("application/octet-stream", jws)])))


# --- services_query.parse_query: int() of more than 4300 digits -> ValueError outside any try -------------------

def test_a_limit_of_thousands_of_digits_means_the_most_allowed(lrs):
    lrs.post_statements([statement(activity=f"lesson-{n}") for n in range(3)])
    response = lrs.get("statements", limit="1" * 4301)
    assert response.status_code == 200 and len(response.json["statements"]) == 3


# --- services_query.decode_more / run_query: a tampered more token ------------------------------------------------

@pytest.mark.parametrize("token", [
    b'{"p":{},"c":["2026-01-01T00:00:00+00:00",Infinity]}',  # int(inf): OverflowError
    b'{"p":{},"c":["2026-01-01T00:00:00+00:00",100000000000000000000]}',  # too large for SQLite INTEGER
    b'{"p":{},"c":["2026-01-01T00:00:00",1]}',  # naive datetime bound to a UTCDateTime column
    b'{"p":{"ascending":"true"},"c":["2026-01-01T00:00:00+00:00",1],"x":"2026-01-01T00:00:00"}',  # naive ceiling
    b'{"p":{},"c":["0001-01-01T00:00:00+01:00",1]}',  # OverflowError when bound
    b'{"p":[],"c":["2026-01-01T00:00:00+00:00",1]}',  # AttributeError: list has no get
    b'{"p":{"since":"0001-01-01T00:00:00+01:00"},"c":["2026-01-01T00:00:00+00:00",1]}',
], ids=["seq Infinity", "seq 1e20", "naive cursor", "naive ceiling", "cursor out of range", "p list",
        "since out of range"])
def test_tampered_more_token_is_400(lrs, token):
    _assert_4xx_json(lrs.get("statements/more/" + _b64(token)))


# --- xapi_data.hash_key: .encode() of an agent identifier holding a lone surrogate -> UnicodeEncodeError ----------

def test_agent_parameter_with_lone_surrogate_is_400(lrs):
    _assert_4xx_json(lrs.get("statements", agent='{"openid": "http://example.com/\\ud800"}'))


# --- a document Content-Type with CR/LF (alternate request syntax) is stored; GET then cannot build its header ----

def test_document_content_type_with_a_newline_is_refused_or_served(lrs):
    form = {**STATE, "stateId": "s", "content": "hello", "Content-Type": "text/plain\r\nX-Injected: 1"}
    put = lrs.request("POST", "activities/state", params={"method": "PUT"}, data=form)
    if put.status_code >= 400:
        _assert_4xx_json(put)
        return
    got = lrs.request("GET", "activities/state", params={**STATE, "stateId": "s"})  # ValueError: header newline
    assert got.status_code == 200


# --- a batch bigger than the database's bind-parameter limit (22 MB, under the 64 MB upload limit) ---------------

def test_batch_beyond_the_bind_parameter_limit_is_refused_or_stored(lrs):
    one = '{"actor":{"mbox":"mailto:a@b.co"},"verb":{"id":"http://x/v"},"object":{"id":"http://x/o"}}'
    response = lrs.request("POST", "statements", data="[" + ",".join([one] * 250_001) + "]",
                           content_type="application/json")  # OperationalError: too many SQL variables
    if response.status_code != 200:
        _assert_4xx_json(response)


# --- validation._MAILTO: `[^@\s/]+\.[^@\s/]+$` backtracks quadratically ------------------------------------------

def test_long_mbox_is_refused_quickly(lrs):
    mbox = "mailto:a@" + "a." * 20_000 + "/"  # 40 kB: about 5 s; 1 MB would take about an hour
    started = time.perf_counter()
    response = lrs.get("statements", agent=json.dumps({"mbox": mbox}))
    _assert_4xx_json(response)
    assert time.perf_counter() - started < 1.0


# --- validation regexes end in `$`, which also matches before a trailing newline ----------------------------------

@pytest.mark.parametrize("case", ["statement.id", "statementId", "context.registration", "verb.id"])
def test_identifier_with_a_trailing_newline_is_400(lrs, case):
    sent = statement()
    if case == "statement.id":
        sent["id"] += "\n"  # stored as a 37-character id in a VARCHAR(36) column
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


# --- services_documents._json_object: json.loads accepts NaN, and the merge writes it back as non-JSON ------------

def test_state_merge_with_nan_is_400(lrs):
    params = {**STATE, "stateId": "s"}
    assert lrs.request("PUT", "activities/state", params=params, data='{"a": 1}',
                       content_type="application/json").status_code == 204
    _assert_4xx_json(lrs.request("POST", "activities/state", params=params, data='{"b": NaN}',
                                 content_type="application/json"))
