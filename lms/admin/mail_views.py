"""Admin > Mail: the mail log, a test mail that shows the relay's answer, sending a mail again, and clearing an
address that bounced."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug import Response

from lms.admin.forms import MailLogFilterForm, TestMailForm, choices
from lms.admin.views import bp
from lms.audit.services import record as audit
from lms.extensions import db
from lms.mail import log
from lms.mail.services import clear_suppression
from lms.people import services as people
from lms.permissions import Permission, requires


@bp.app_template_global("mail_suppression")
def _mail_suppression(address: str):
    """The bounce that stops mail to ``address``, or None (shown on the admin person page)."""
    from lms.mail.services import suppression_for

    return suppression_for(address)


@bp.route("/mail", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def mail_log():
    form = MailLogFilterForm(request.args)
    form.source.choices = choices([("", "Any")] + [(s, s) for s in log.sources()])
    form.validate()
    criteria = log.MailFilter(status=form.status.data if not form.status.errors else "",
                              source=form.source.data if not form.source.errors else "",
                              search=form.q.data or "")
    test_form = TestMailForm(prefix="test")
    result = None
    if request.method == "POST":
        if test_form.validate_on_submit():
            result = log.send_test_mail(test_form.to_address.data, actor_id=current_user.id)
        elif not test_form.to_address.data:
            test_form.to_address.errors = ["Enter the address to send the test mail to."]
    elif not test_form.to_address.data:
        test_form.to_address.data = current_user.email
    page = db.paginate(log.log_query(criteria), per_page=100, error_out=False)
    status = 400 if request.method == "POST" and (test_form.errors or (result and not result.ok)) else 200
    return render_template("admin/mail_log.html", form=form, test_form=test_form, result=result, page=page,
                           totals=log.status_counts()), status


@bp.route("/mail/<int:mail_id>")
@requires(Permission.ADMIN)
def mail_detail(mail_id: int) -> str:
    return render_template("admin/mail_detail.html", mail=log.get_mail(mail_id))


@bp.route("/mail/<int:mail_id>/again", methods=["POST"])
@requires(Permission.ADMIN)
def mail_send_again(mail_id: int) -> Response:
    copy = log.send_again(log.get_mail(mail_id), actor_id=current_user.id)
    db.session.commit()
    flash("A copy is queued; it goes out with the next round of mail.", "success")
    return redirect(url_for("admin.mail_detail", mail_id=copy.id))


@bp.route("/people/<int:person_id>/suppression", methods=["POST"])
@requires(Permission.ADMIN)
def person_clear_suppression(person_id: int) -> Response:
    person = people.get_person(person_id)
    if clear_suppression(person.email):
        audit(current_user.id, "mail.unsuppress", person.email)
        flash(f"Mail to {person.email} will be sent again.", "success")
    db.session.commit()
    return redirect(url_for("admin.person_edit", person_id=person.id))
