"""The host's web layer: blueprints, request hooks, security headers, error pages, template helpers."""
from __future__ import annotations

import time

from flask import Flask, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lms.errors import DomainError
from lms.extensions import db, login_manager
from lms.mail.services import deliver_queued_after_request
from lms.permissions import Permission, allowed, refuse_undeclared_views
from lms.plugins import MenuItem

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)


def init_app(app: Flask) -> None:
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
    from lms.people.models import Person

    person_id, _, fragment = user_id.partition(":")
    if not person_id.isdigit():
        return None
    person = db.session.get(Person, int(person_id))
    if person is None or not person.active or (person.password_hash or "")[-12:] != fragment:
        return None
    return person


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
    try:
        deliver_queued_after_request()
    except Exception:  # a mail failure must not fail the request; the worker retries
        db.session.rollback()
        from flask import current_app

        current_app.logger.exception("sending queued mail after request failed")
    return response


def _rollback_unfinished(exc) -> None:
    # Whatever a request did not commit is thrown away: never a partial write.
    db.session.rollback()


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/xapi/")):
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
    if error.status_code == 404:
        return render_template("lms/error.html", code=404, message=error.message), 404
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
        return jsonify(error=error.description, status=error.code), error.code
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
    if current_user.is_authenticated:
        menu = [item for item in state.menu if allowed(item.permission, current_user)]
    return {"menu": menu, "Permission": Permission, "site_name": current_app.config["LMS_SITE_NAME"],
            "enabled_plugins": state.enabled, "csp_nonce": g.get("csp_nonce")}
