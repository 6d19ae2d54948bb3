"""The host's web layer: blueprints, request hooks, security headers, error pages, template helpers."""
from __future__ import annotations

import ipaddress
import time

from flask import Flask, Request, flash, g, has_request_context, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_content_length, get_input_stream

from lms.errors import DomainError
from lms.extensions import db, login_manager
from lms.mail import kicker
from lms.permissions import Permission, allowed, refuse_undeclared_views
from lms.plugins import MenuItem

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)


class _BoundedStream(LimitedStream):
    """A body of unknown length (sent chunked) read up to ``max_bytes``: one byte more is a 413, where Werkzeug's
    own stream would stop at the limit and hand the view a body cut short (refused later as, say, invalid JSON)."""

    def __init__(self, stream, max_bytes: int) -> None:
        super().__init__(stream, max_bytes + 1, is_max=True)
        self.max_bytes = max_bytes

    def readinto(self, b) -> int | None:  # type: ignore[override]
        size = super().readinto(b)
        if self._pos > self.max_bytes:
            raise RequestEntityTooLarge()
        return size


class LmsRequest(Request):
    """Flask's request, with chunked bodies over ``MAX_CONTENT_LENGTH`` refused with 413 instead of cut short."""

    @cached_property
    def stream(self):  # type: ignore[override]
        limit = self.max_content_length
        if limit is not None and get_content_length(self.environ) is None \
                and "wsgi.input_terminated" in self.environ:
            return _BoundedStream(self.environ["wsgi.input"], limit)
        return get_input_stream(self.environ, max_content_length=limit)


class TrustedProxyFix:
    """Werkzeug's ProxyFix for ``LMS_PROXY_FIX`` proxies, applied only when the direct peer is one of
    ``LMS_TRUSTED_PROXIES``: anyone else's X-Forwarded-Proto cannot turn on https (and HSTS) or pick the client
    address that sign-in throttling counts."""

    def __init__(self, app, *, count: int, trusted: list[str]) -> None:
        from werkzeug.middleware.proxy_fix import ProxyFix

        self.plain = app
        self.fixed = ProxyFix(app, x_for=count, x_proto=count, x_host=count, x_port=count)
        self.trusted = [ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted if entry.strip()]

    def _is_trusted(self, address: str | None) -> bool:
        try:
            peer = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(peer in network for network in self.trusted)

    def __call__(self, environ, start_response):
        if self._is_trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.plain(environ, start_response)


def init_app(app: Flask) -> None:
    app.request_class = LmsRequest
    if app.config["LMS_PROXY_FIX"]:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, count=int(app.config["LMS_PROXY_FIX"]),  # type: ignore[method-assign]
                                       trusted=list(app.config["LMS_TRUSTED_PROXIES"]))
    from lms.admin import (  # noqa: F401  (their routes register on the admin blueprint)
        demo_mail_views,
        invitation_views,
        mail_views,
    )
    from lms.admin.views import bp as admin_bp
    from lms.auth.views import bp as auth_bp
    from lms.home.views import bp as home_bp

    app.register_blueprint(home_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.extensions["lms"].menu.extend([
        MenuItem("My team", "home.team", Permission.MANAGER, order=20),
        MenuItem("Admin", "admin.people_list", Permission.ADMIN, order=90),
    ])
    app.jinja_env.add_extension("jinja2.ext.do")

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_person)

    app.before_request(_start_timer)
    app.before_request(refuse_undeclared_views)
    app.after_request(_security_headers)
    app.after_request(_deliver_mail)
    app.teardown_appcontext(_rollback_unfinished)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.context_processor(_template_context)


def _load_person(user_id: str):
    from lms.auth.sessions import person_for_token

    return person_for_token(user_id)


def _start_timer() -> None:
    g.lms_started = time.perf_counter()


def _security_headers(response):
    if "lms_started" in g:  # W3C Server-Timing: the app's own time, visible in browser dev tools and benchmarks
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - g.lms_started) * 1000:.2f}"
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if current_user.is_authenticated:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _deliver_mail(response):
    """Hand the mail this request queued (committed by now) to the background sender: the response does not wait."""
    ids = g.pop("lms_queued_mail_ids", None)
    if ids:
        from flask import current_app

        kicker.kick(current_app._get_current_object(), ids)
    return response


def _rollback_unfinished(exc) -> None:
    # Whatever a request did not commit is thrown away: never a partial write.
    db.session.rollback()


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/xapi/")) or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _domain_error(error: DomainError):
    db.session.rollback()
    if wants_json():
        body = {"error": error.message}
        if error.field:
            body["field"] = error.field
        return jsonify(body), error.status_code
    if error.status_code in (403, 404):  # refused or absent: say so with the status, not a redirect elsewhere
        return render_template("lms/error.html", code=error.status_code, message=error.message), error.status_code
    flash(error.message, "error")
    return redirect(_same_site(request.referrer) or url_for("home.index"))


def _same_site(url: str | None) -> str | None:
    if url and url.startswith(request.host_url):
        return url
    return None


def _csrf_error(error: CSRFError):
    db.session.rollback()
    if wants_json():
        return jsonify(error="The form had expired or was sent from elsewhere (CSRF check failed)."), 400
    message = "The form had expired or came from another site. Go back, reload and try again."
    return render_template("lms/error.html", code=400, message=message), 400


def _http_error(error: HTTPException):
    db.session.rollback()
    if wants_json():
        description = error.description
        if error.code == 413 and request.max_content_length:
            description = (f"The request body is larger than {request.max_content_length:,} bytes, the most this "
                           "site accepts.")
        return jsonify(error=description, status=error.code), error.code
    messages = {
        403: "You do not have permission to see this page.",
        404: "There is no page at this address.",
        405: "This page does not accept that kind of request.",
        413: "The upload is larger than this site accepts.",
        429: "Too many requests. Wait a moment and try again.",
    }
    message = messages.get(error.code, error.description)
    return render_template("lms/error.html", code=error.code, message=message), error.code


def _template_context():
    from flask import current_app

    state = current_app.extensions["lms"]
    menu = []
    if has_request_context() and current_user.is_authenticated:  # mail is rendered outside requests too
        replaced = {item.replaces for item in state.menu if item.replaces}
        menu = [item for item in state.menu if item.endpoint not in replaced and allowed(item.permission, current_user)]
    return {"menu": menu, "Permission": Permission, "site_name": current_app.config["LMS_SITE_NAME"],
            "enabled_plugins": state.enabled, "csp_nonce": g.get("csp_nonce")}
