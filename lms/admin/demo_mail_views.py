"""Admin > Demo mailbox: the mails the demo's own SMTP server received (``LMS_DEMO_MAILBOX``), outside production
only. A mail's HTML is shown in a sandboxed frame (no scripts, no access to this site), its text part beside it."""
from __future__ import annotations

from flask import current_app, render_template
from werkzeug import Response

from lms.admin.views import bp
from lms.errors import NotFound
from lms.mail import demo_mailbox
from lms.permissions import Permission, requires

MAIL_CSP = ("sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src * data:; "
            "style-src 'unsafe-inline'; frame-ancestors 'self'")


@bp.app_template_global("demo_mailbox_enabled")
def enabled() -> bool:
    cfg = current_app.config
    return bool(cfg.get("LMS_DEMO_MAILBOX")) and cfg["LMS_ENV"] != "production"


def _folder() -> str:
    if not enabled():
        raise NotFound("The demo mailbox is only there in the demo (python3 dev.py demo).")
    return current_app.config["LMS_DEMO_MAILBOX"]


@bp.route("/demo-mailbox")
@requires(Permission.ADMIN)
def demo_mailbox_list() -> str:
    folder = _folder()
    return render_template("admin/demo_mailbox.html", mails=demo_mailbox.mails(folder), folder=folder)


@bp.route("/demo-mailbox/<name>")
@requires(Permission.ADMIN)
def demo_mailbox_mail(name: str) -> str:
    return render_template("admin/demo_mail.html", mail=demo_mailbox.mail(_folder(), name))


@bp.route("/demo-mailbox/<name>/html")
@requires(Permission.ADMIN)
def demo_mailbox_html(name: str) -> Response:
    mail = demo_mailbox.mail(_folder(), name)
    body = '<!doctype html><meta charset="utf-8"><base target="_blank">' + (mail.html or "")
    return Response(body, mimetype="text/html", headers={"Content-Security-Policy": MAIL_CSP,
                                                        "X-Frame-Options": "SAMEORIGIN"})
