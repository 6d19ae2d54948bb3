"""Admin pages: learning records (recent statements), LRS clients, forwarding status and dead letters."""
from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from lms.admin.forms import ConfirmForm
from lms.audit.services import record as audit
from lms.errors import DomainError
from lms.extensions import db
from lms.permissions import Permission, requires
from tracking import services_clients as clients
from tracking import services_derive as derived
from tracking import services_forward as forwarding
from tracking import services_records as records_service
from tracking.forms import LrsClientForm, RecordsFilterForm
from tracking.models import LrsClient, Statement

bp = Blueprint("tracking", __name__, url_prefix="/tracking", template_folder="templates")


@bp.route("/")
@requires(Permission.ADMIN)
def records() -> str:
    form = RecordsFilterForm(request.args)
    rows, older, problem, progress = [], None, None, []
    if form.validate():
        criteria = records_service.RecordsFilter(form.person.data or "", form.verb.data or "", form.activity.data or "")
        try:
            found, older = records_service.records_page(criteria, request.args.get("older"))
            rows = [(row, _parsed(row.body)) for row in found]
            if criteria.person:
                progress = records_service.person_progress(criteria.person)
        except DomainError as error:
            if error.field:
                form[error.field].errors = [error.message]
            else:
                problem = error.message
    filtered = any(request.args.get(name) for name in ("person", "verb", "activity"))
    return render_template("tracking/records.html", form=form, rows=rows, older=older, filtered=filtered,
                           problem=problem, progress=progress,
                           status=forwarding.forward_status(), pending=derived.pending_count(),
                           through=derived.consistent_through(), failures=derived.derive_failures(),
                           confirm=ConfirmForm())


@bp.route("/derive-failures/retry", methods=["POST"])
@requires(Permission.ADMIN)
def retry_derive_failures():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = derived.retry_failures()
    if count:
        audit(current_user.id, "tracking.derive_retry", "all", statements=count)
    db.session.commit()
    flash(f"{count} statement(s) sent back to be derived." if count else "No statement is waiting to be retried.",
          "success" if count else "info")
    return redirect(url_for("tracking.records"))


@bp.route("/statements/<statement_id>")
@requires(Permission.ADMIN)
def statement_json(statement_id: str) -> str:
    row = db.session.scalar(select(Statement).where(Statement.id == statement_id.lower()))
    if row is None:
        abort(404)
    body = _parsed(row.body)
    pretty = json.dumps(body, indent=2, ensure_ascii=False) if body else row.body  # unreadable: as it is stored
    return render_template("tracking/statement.html", row=row, pretty=pretty)


def _parsed(body: str) -> dict:
    """A stored statement for display; {} when it cannot be read (it is then among those not derived)."""
    try:
        return json.loads(body)
    except ValueError:
        return {}


@bp.route("/clients", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def client_list() -> str:
    form = LrsClientForm()
    created = None
    if form.validate_on_submit():
        created = clients.create_client(form.name.data, form.scopes.data or [], actor_id=current_user.id)
        db.session.commit()
        form = LrsClientForm(formdata=None)
    return render_template("tracking/clients.html", form=form, created=created, clients=clients.list_clients(),
                           confirm=ConfirmForm())


@bp.route("/clients/<int:client_id>/revoke", methods=["POST"])
@requires(Permission.ADMIN)
def client_revoke(client_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    row = db.session.get(LrsClient, client_id)
    if row is None:
        abort(404)
    clients.revoke_client(row.key, actor_id=current_user.id)
    db.session.commit()
    flash(f"LRS client {row.name} is revoked: its credentials are refused from now on.", "success")
    return redirect(url_for("tracking.client_list"))


@bp.route("/clients/<int:client_id>/progress", methods=["POST"])
@requires(Permission.ADMIN)
def client_counts(client_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    counts = request.form.get("counts") == "1"
    pairs = clients.set_counts_toward_progress(client_id, counts, actor_id=current_user.id)
    db.session.commit()
    flash(("Its statements count toward progress now." if counts else
           "Its statements are stored and served, but no longer count toward progress.")
          + f" {pairs} progress row(s) recomputed.", "success")
    return redirect(url_for("tracking.client_list"))


@bp.route("/outbox")
@requires(Permission.ADMIN)
def dead_letters() -> str:
    return render_template("tracking/dead_letters.html", rows=forwarding.dead_letters(),
                           status=forwarding.forward_status(), confirm=ConfirmForm())


@bp.route("/outbox/<int:entry_id>/retry", methods=["POST"])
@requires(Permission.ADMIN)
def retry(entry_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = forwarding.retry_dead(entry_id, actor_id=current_user.id)
    db.session.commit()
    flash("Queued again for forwarding." if count else "That statement is no longer dead-lettered.",
          "success" if count else "info")
    return redirect(url_for("tracking.dead_letters"))


@bp.route("/outbox/retry-all", methods=["POST"])
@requires(Permission.ADMIN)
def retry_all():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = forwarding.retry_dead(actor_id=current_user.id)
    db.session.commit()
    flash(f"{count} statement(s) queued again for forwarding.", "success")
    return redirect(url_for("tracking.dead_letters"))
