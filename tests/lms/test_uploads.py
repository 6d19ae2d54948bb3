"""Bodies over the upload limit get 413, whether they declare their length or are sent chunked (no
Content-Length: the server ends the stream, ``wsgi.input_terminated``, as gunicorn does): JSON for the LRS and JSON
APIs, the error page otherwise. A chunked body used to be cut off at the limit and refused as invalid JSON."""
from __future__ import annotations

import io

import pytest

from lms.permissions import Permission
from tests.conftest import csrf_token
from tests.tracking.conftest import make_client

LIMIT = 10_000


@pytest.fixture()
def small_app(make_app):
    app = make_app(LMS_MAX_UPLOAD_BYTES=LIMIT)
    with app.app_context():
        yield app


def chunked(client, url: str, body: bytes, *, headers: dict):
    """As gunicorn hands the app a chunked request: no Content-Length, the stream ended by the server."""
    return client.post(url, input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True},
                       headers={**headers, "Transfer-Encoding": "chunked"})


def test_a_chunked_xapi_body_over_the_limit_is_413_with_json(small_app):
    import base64

    key, secret = make_client()
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
            "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
    client = small_app.test_client()
    body = b"[" + b" " * (LIMIT + 10) + b"]"
    response = chunked(client, "/xapi/statements", body, headers=auth)
    assert response.status_code == 413, response.get_data(as_text=True)
    assert response.is_json and "larger than 10,000 bytes" in response.json["error"]
    # The same body with its length declared: 413 too; and a chunked body under the limit is read whole.
    response = client.post("/xapi/statements", data=body, headers=auth)
    assert response.status_code == 413 and response.is_json
    response = chunked(client, "/xapi/statements", b"[" + b" " * (LIMIT - 10) + b"]", headers=auth)
    assert response.status_code == 400 and response.json["error"] == ("Send a statement object or a non-empty "
                                                                      "array of statements.")


def test_a_chunked_json_api_body_over_the_limit_is_413_with_json(small_app, factory):
    client = small_app.test_client()
    from tests.conftest import login

    login(client, factory.person(role="trainer", permissions=(Permission.TRAINER,)))
    token = csrf_token(client, "/learning/author/")
    response = chunked(client, "/learning/author/preview", b'{"markdown": "' + b"a" * LIMIT + b'"}',
                       headers={"X-CSRFToken": token, "Content-Type": "application/json"})
    assert response.status_code == 413 and response.is_json


def test_a_chunked_form_upload_over_the_limit_is_the_413_page(small_app, factory):
    client = small_app.test_client()
    from tests.conftest import login

    login(client, factory.person(permissions=(Permission.ADMIN,)))
    token = csrf_token(client, "/admin/people/import")
    boundary = "rapport-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"roster\"; filename=\"r.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode() + b"email,name\n" + b"a@example.com,A\n" * 1_000 + \
        f"\r\n--{boundary}--\r\n".encode()
    response = chunked(client, "/admin/people/import", body,
                       headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413
    assert "The upload is larger than this site accepts" in response.get_data(as_text=True)
