"""The embedded LRS at /xapi/ (xAPI 1.0.3): thin views over the tracking services.

Every view declares its access with :func:`lms.permissions.requires_lrs_scope` (HTTP Basic, LRS clients) except
About, which is public as the spec recommends. Errors are JSON (the host answers JSON under /xapi/).
"""
from __future__ import annotations

import json
from functools import wraps

from flask import Blueprint, Response, after_this_request, current_app, g, request, url_for
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.http import http_date

from lms.extensions import db
from lms.permissions import public, requires_lrs_scope
from tracking import services
from tracking import services_derive as derived
from tracking import services_documents as documents
from tracking import services_query as queries
from tracking.services import iso
from tracking.services_clients import authenticate
from tracking.validation import InvalidStatement, iri, media_type, timestamp, uuid_string
from tracking.xapi_data import canonical_format, ids_format, loads
from tracking.xapi_http import (
    CONSISTENT_THROUGH,
    VERSION,
    XapiRequest,
    after_request,
    alternate_get,
    before_request,
    check_version,
    json_response,
    multipart_response,
    parse_statements,
    read_request,
)

bp = Blueprint("xapi", __name__, url_prefix="/xapi")
bp.before_request(before_request)
bp.after_app_request(after_request)  # app-wide: a 404 or 405 under /xapi/ is answered before any blueprint hook


@bp.record_once
def _install(state) -> None:
    from lms.extensions import csrf
    from lms.permissions import API_AUTHENTICATOR

    state.app.extensions[API_AUTHENTICATOR] = authenticate
    csrf.exempt(bp)


def xapi(view):
    """Check the version header, run the view, commit: one transaction per request."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        check_version()
        response = view(*args, **kwargs)
        db.session.commit()
        return response

    return wrapper


def _get_params() -> dict[str, str]:
    """The parameters of a resource that only answers GET: direct, or POST with ``?method=GET`` (1.3)."""
    if request.method == "POST" and "method" not in request.args:
        raise MethodNotAllowed(["GET", "HEAD"], description="This resource answers GET only (or POST ?method=GET).")
    return read_request(("GET",)).params


@bp.route("/about", methods=["GET", "POST"])
@public
def about() -> Response:
    queries.check_parameters(_get_params(), ())
    return json_response(json.dumps({"version": [VERSION], "extensions": {}}))


# --- Statements --------------------------------------------------------------------------------------------
@bp.route("/statements", methods=["GET"])
@requires_lrs_scope("read")
@xapi
def statements_get() -> Response:
    return _get_statements(read_request(("GET",)))


@bp.route("/statements/more/<token>", methods=["GET"])
@requires_lrs_scope("read")
@xapi
def statements_more(token: str) -> Response:
    if request.args:
        raise InvalidStatement("A 'more' link takes no parameters.")
    return _statement_page(queries.decode_more(token))


@bp.route("/statements", methods=["PUT"])
@requires_lrs_scope("write")
@xapi
def statements_put() -> Response:
    return _put_statement(read_request(("PUT",)))


@bp.route("/statements", methods=["POST"])
@requires_lrs_scope("write", read_if=alternate_get)
@xapi
def statements_post() -> Response:
    xreq = read_request(("GET", "PUT", "POST"))
    if xreq.method == "GET":
        return _get_statements(xreq)
    if xreq.method == "PUT":
        return _put_statement(xreq)
    queries.check_parameters(xreq.params, ())
    statements, parts = parse_statements(xreq)
    ids = services.store_statements(statements, principal=g.api_client, parts=parts, defer=True)
    _derive_after_commit()
    return json_response(json.dumps(ids))


def _derive_after_commit() -> None:
    """Once this request has committed what it stored, derive it in the background (see derive_in_background)."""
    app = current_app._get_current_object()

    @after_this_request
    def derive(response: Response) -> Response:
        if response.status_code < 400:
            derived.derive_in_background(app)
        return response


def _put_statement(xreq: XapiRequest) -> Response:
    queries.check_parameters(xreq.params, ("statementId",))
    if "statementId" not in xreq.params:
        raise InvalidStatement("PUT needs the statementId parameter.")
    statement_id = uuid_string(xreq.params["statementId"], "statementId")
    statements, parts = parse_statements(xreq)
    if len(statements) != 1 or not isinstance(statements[0], dict):
        raise InvalidStatement("PUT takes exactly one statement object.")
    services.store_statements(statements, principal=g.api_client, parts=parts, statement_id=statement_id,
                              defer=True)
    _derive_after_commit()
    return Response(status=204)


def _get_statements(xreq: XapiRequest) -> Response:
    params = xreq.params
    single = [p for p in queries.SINGLE if p in params]
    if single:
        if len(single) == 2:
            raise InvalidStatement("Send statementId or voidedStatementId, not both.")
        queries.check_parameters(params, (single[0], "format", "attachments"))
        fmt = queries.parse_format(params)
        with_attachments = params.get("attachments", "false") == "true"
        statement_id = uuid_string(params[single[0]], single[0])
        row = services.get_statement(statement_id, voided=single[0] == "voidedStatementId")
        body = _formatted([row.body], fmt)
        text = body[0]
        response = (multipart_response(text, services.attachments_for([json.loads(row.body)]))
                    if with_attachments else json_response(text))
        response.headers["Last-Modified"] = http_date(row.stored)
        return response
    return _statement_page(queries.parse_query(params))


def _formatted(bodies: list[str], fmt: str) -> list[str]:
    if fmt == "exact":
        return bodies
    parsed = [json.loads(b) for b in bodies]
    if fmt == "ids":
        return [json.dumps(ids_format(p)) for p in parsed]
    derived.catch_up()  # canonical definitions come from every statement stored, including those still pending
    wanted = {p["object"]["id"] for p in parsed if p["object"].get("objectType", "Activity") == "Activity"}
    for p in parsed:
        for items in p.get("context", {}).get("contextActivities", {}).values():
            wanted.update(item["id"] for item in items)
    definitions = services.activity_definitions_for(wanted)
    accept = [lang for lang, _ in request.accept_languages]
    return [json.dumps(canonical_format(p, definitions, accept)) for p in parsed]


def _statement_page(query: queries.StatementQuery) -> Response:
    if query.keys:  # a filter reads the key index: the keys of statements still pending are written first
        derived.catch_up()  # (unfiltered pages read the log itself, where every stored statement already is)
    through = derived.consistent_through()  # before the query: what a deriver commits meanwhile is not claimed
    rows, token = queries.run_query(query)
    statements = _formatted([row.body for row in rows], query.format)
    more = url_for("xapi.statements_more", token=token) if token else ""
    text = '{"statements":[' + ",".join(statements) + '],"more":' + json.dumps(more) + "}"
    if query.attachments:
        response = multipart_response(text, services.attachments_for([json.loads(r.body) for r in rows
                                                                      if r.has_attachments]))
    else:
        response = json_response(text)
    response.headers[CONSISTENT_THROUGH] = iso(through)
    return response


# --- Documents ---------------------------------------------------------------------------------------------
def _scope(kind: str, params: dict[str, str], id_name: str) -> tuple[documents.Scope, str | None]:
    allowed = {"state": ("activityId", "agent", "registration", "stateId", "since"),
               "activity_profile": ("activityId", "profileId", "since"),
               "agent_profile": ("agent", "profileId", "since")}[kind]
    queries.check_parameters(params, allowed)
    activity_id = agent = None
    if "activityId" in allowed:
        if "activityId" not in params:
            raise InvalidStatement("The activityId parameter is required.")
        activity_id = iri(params["activityId"], "activityId")
    if "agent" in allowed:
        if "agent" not in params:
            raise InvalidStatement("The agent parameter is required.")
        agent = queries.parse_agent(params["agent"], agent_only=True)  # an Agent Object, not a Group (2.3, 2.6)
    registration = uuid_string(params["registration"], "registration") if "registration" in params else ""
    return documents.Scope(kind, activity_id, agent, registration), params.get(id_name)


def _documents(kind: str, id_name: str) -> Response:
    xreq = read_request(("GET", "PUT", "POST", "DELETE"))
    method = "GET" if request.method == "HEAD" else xreq.method
    scope, doc_id = _scope(kind, xreq.params, id_name)
    pre = documents.Preconditions(xreq.headers.get("If-Match"), xreq.headers.get("If-None-Match"))
    if method != "GET" and "since" in xreq.params:
        raise InvalidStatement("since is only for listing documents (GET without an id).")
    if method == "GET":
        since = timestamp(xreq.params["since"], "since", clamp=True) if "since" in xreq.params else None
        if doc_id is None:
            ids, latest = documents.list_documents(scope, since)
            response = json_response(json.dumps(ids))
            if latest is not None:
                response.headers["Last-Modified"] = http_date(latest)
            return response
        document = documents.get_document(scope, doc_id)
        response = Response(document.content, content_type=document.content_type)
        response.headers["ETag"] = f'"{document.etag}"'
        # A document is whatever a client stored, with the type it chose (text/html too), served from this
        # origin: a browser that opens it must neither render it here nor run anything in it.
        response.headers["Content-Disposition"] = "attachment"
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response.headers["Last-Modified"] = http_date(document.updated)
        return response
    if method == "DELETE":
        if doc_id is None:
            if kind != "state":
                raise InvalidStatement(f"DELETE needs the {id_name} parameter.")
            documents.delete_documents(scope)
        else:
            documents.delete_document(scope, doc_id, pre)
        return Response(status=204)
    if doc_id is None:
        raise InvalidStatement(f"The {id_name} parameter is required.")
    content_type = xreq.content_type or "application/octet-stream"
    if not media_type(content_type):  # it is sent back as the document's Content-Type header
        raise InvalidStatement(f"Content-Type {content_type[:100]!r} is not a media type (type/subtype).")
    if method == "PUT":
        document = documents.put_document(scope, doc_id, xreq.body, content_type, pre,
                                          require_precondition=kind != "state")
    else:
        document = documents.post_document(scope, doc_id, xreq.body, content_type, pre)
    response = Response(status=204)
    response.headers["ETag"] = f'"{document.etag}"'
    return response


def _document_views(rule: str, endpoint: str, kind: str, id_name: str) -> None:
    def read():
        return _documents(kind, id_name)

    def write():
        return _documents(kind, id_name)

    read.__name__, write.__name__ = f"{endpoint}_get", f"{endpoint}_write"
    bp.add_url_rule(rule, f"{endpoint}_get", requires_lrs_scope("read")(xapi(read)), methods=["GET"])
    bp.add_url_rule(rule, f"{endpoint}_write", requires_lrs_scope("write", read_if=alternate_get)(xapi(write)),
                    methods=["PUT", "POST", "DELETE"])


_document_views("/activities/state", "state", "state", "stateId")
_document_views("/activities/profile", "activity_profile", "activity_profile", "profileId")
_document_views("/agents/profile", "agent_profile", "agent_profile", "profileId")


# --- Activities and Agents ---------------------------------------------------------------------------------
@bp.route("/activities", methods=["GET", "POST"])
@requires_lrs_scope("read")
@xapi
def activity() -> Response:
    params = _get_params()
    queries.check_parameters(params, ("activityId",))
    if "activityId" not in params:
        raise InvalidStatement("The activityId parameter is required.")
    activity_id = iri(params["activityId"], "activityId")
    out = {"objectType": "Activity", "id": activity_id}
    derived.catch_up()  # definitions come from the statements, including those still pending
    definition = services.activity_definitions_for({activity_id}).get(activity_id)
    if definition:
        out["definition"] = definition
    return json_response(json.dumps(out))


@bp.route("/agents", methods=["GET", "POST"])
@requires_lrs_scope("read")
@xapi
def person() -> Response:
    params = _get_params()
    queries.check_parameters(params, ("agent",))
    if "agent" not in params:
        raise InvalidStatement("The agent parameter is required.")
    queries.parse_agent(params["agent"], agent_only=True)
    agent = loads(params["agent"])
    out: dict = {"objectType": "Person"}
    for key in ("name", "mbox", "mbox_sha1sum", "openid", "account"):
        if key in agent:
            out[key] = [agent[key]]
    return json_response(json.dumps(out))
