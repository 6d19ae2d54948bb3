"""HTTP details of the xAPI resources: version header, alternate request syntax, multipart/mixed bodies."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from flask import Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from lms.extensions import csrf, db
from tracking.services import AttachmentPart, iso, multipart_mixed
from tracking.validation import InvalidStatement, essence, media_type
from tracking.xapi_data import loads

VERSION = "1.0.3"
CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"
_VERSION = re.compile(r"^1\.0(\.\d+)?\Z")
_HEADER_FIELDS = {"Authorization": "HTTP_AUTHORIZATION", "X-Experience-API-Version": "HTTP_X_EXPERIENCE_API_VERSION",
                  "Content-Type": "CONTENT_TYPE", "If-Match": "HTTP_IF_MATCH", "If-None-Match": "HTTP_IF_NONE_MATCH"}


@dataclass
class XapiRequest:
    """The request as the xAPI resource sees it, after undoing the alternate request syntax."""

    method: str
    params: dict[str, str]
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def before_request() -> None:
    """Undo the alternate request syntax (xAPI-Communication 1.3): header fields sent as form fields."""
    if request.method == "POST" and "method" in request.args:
        for name, environ_key in _HEADER_FIELDS.items():
            if name in request.form and name != "Content-Type":
                request.environ[environ_key] = request.form[name]
    # Without Basic credentials only a browser can be calling: treat it like any form post (CSRF check).
    if (request.method not in ("GET", "HEAD", "OPTIONS") and "Authorization" not in request.headers
            and request.cookies.get(current_app.config.get("SESSION_COOKIE_NAME", "session"))
            and current_app.config.get("WTF_CSRF_ENABLED", True)):
        csrf.protect()


def after_request(response: Response) -> Response:
    if not request.path.startswith("/xapi/"):
        return response
    response.headers["X-Experience-API-Version"] = VERSION
    if request.path.startswith("/xapi/statements") and CONSISTENT_THROUGH not in response.headers:
        # Every response to a Statements request carries it (xAPI-Communication 2.1.3).
        from tracking.services_derive import consistent_through

        try:
            through = consistent_through()
        except SQLAlchemyError:  # the request's transaction failed: ask on a fresh one
            db.session.rollback()
            through = consistent_through()
        response.headers[CONSISTENT_THROUGH] = iso(through)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def alternate_get() -> bool:
    """A GET sent with the alternate request syntax (POST with ``?method=GET``): a read, whatever the HTTP method."""
    return request.method == "POST" and request.args.get("method", "").upper() == "GET"


def check_version() -> None:
    version = request.headers.get("X-Experience-API-Version")
    if version is None:
        raise InvalidStatement("The X-Experience-API-Version header is required (this LRS speaks 1.0.3).")
    if not _VERSION.match(version.strip()):
        raise InvalidStatement(f"X-Experience-API-Version {version!r} is not supported; use 1.0.3.")


def read_request(allowed_methods: tuple[str, ...]) -> XapiRequest:
    """The xAPI request behind this HTTP request (direct, or POST with ``?method=``)."""
    if request.method == "POST" and "method" in request.args:
        if set(request.args) != {"method"}:
            raise InvalidStatement("With the alternate request syntax only 'method' may be in the query string.")
        method = request.args["method"].upper()
        if method not in allowed_methods:
            raise InvalidStatement(f"method={method} is not allowed here.")
        form = request.form.to_dict()
        content = form.pop("content", "").encode("utf-8")
        content_type = form.pop("Content-Type", "application/json")
        headers = {k: form.pop(k) for k in ("If-Match", "If-None-Match") if k in form}
        for name in ("Authorization", "X-Experience-API-Version", "Content-Length"):
            form.pop(name, None)
        return XapiRequest(method, form, content, content_type, headers)
    headers = {k: request.headers[k] for k in ("If-Match", "If-None-Match") if k in request.headers}
    return XapiRequest(request.method, request.args.to_dict(), request.get_data(),
                       request.headers.get("Content-Type", ""), headers)


def parse_statements(xreq: XapiRequest) -> tuple[list, dict[str, AttachmentPart]]:
    """The statements (and attachment parts) of a PUT or POST body."""
    media = essence(xreq.content_type)
    parts: dict[str, AttachmentPart] = {}
    if media == "multipart/mixed":
        body, parts = _multipart(xreq.body, xreq.content_type)
    elif media == "application/json":
        body = xreq.body
    else:
        raise InvalidStatement("Send statements as application/json (or multipart/mixed with attachments).")
    try:
        value = loads(body)
    except ValueError as exc:
        raise InvalidStatement(f"The body is not valid JSON: {exc}.") from None
    return (value if isinstance(value, list) else [value]), parts


def _multipart(body: bytes, content_type: str) -> tuple[bytes, dict[str, AttachmentPart]]:
    match = re.search(r'boundary="([^"]+)"|boundary=([^;\s]+)', content_type)
    if not match:
        raise InvalidStatement("multipart/mixed needs a boundary parameter.")
    delimiter = b"--" + (match.group(1) or match.group(2)).encode()
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise InvalidStatement("The multipart/mixed body is not well formed (missing the closing boundary).")
    sections = []
    for chunk in chunks[1:-1]:
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, separator, content = chunk.partition(b"\r\n\r\n")
        if not separator:
            raise InvalidStatement("A multipart/mixed part has no blank line after its headers.")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        sections.append((headers, content))
    first_headers, statements = sections[0]
    if essence(first_headers.get("content-type", "")) != "application/json":
        raise InvalidStatement("The first multipart/mixed part must hold the statements as application/json.")
    parts = {}
    for headers, content in sections[1:]:
        sha2 = headers.get("x-experience-api-hash", "").lower()
        if not sha2:
            raise InvalidStatement("Every attachment part needs an X-Experience-API-Hash header.")
        if headers.get("content-transfer-encoding", "").lower() != "binary":
            raise InvalidStatement("Every attachment part needs Content-Transfer-Encoding: binary.")
        actual = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}.get(len(sha2))
        if actual is None or actual(content).hexdigest() != sha2:
            raise InvalidStatement(f"The attachment part's data does not hash to its X-Experience-API-Hash {sha2}.")
        content_type = headers.get("content-type", "")
        if content_type and not media_type(content_type):
            raise InvalidStatement(f"An attachment part's Content-Type {content_type[:100]!r} is not a media type.")
        parts[sha2] = AttachmentPart(content_type, content)  # compared with its attachment's contentType
    return statements, parts


def multipart_response(json_body: str, attachments: list) -> Response:
    """Statements and their attachments' data as multipart/mixed (GET with attachments=true)."""
    boundary = "xapi-" + hashlib.sha1(json_body.encode()).hexdigest()  # noqa: S324 - a boundary, not security
    return Response(multipart_mixed(json_body, attachments, boundary),
                    content_type=f'multipart/mixed; boundary="{boundary}"')


def json_response(text: str, status: int = 200) -> Response:
    return Response(text, status=status, content_type="application/json")
