"""Campaign pages for the program office: the list, the composer with its preview, sending and progress."""
from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from comms import campaigns as service
from comms.compose import Links
from comms.forms import CampaignForm, LayoutForm, ScheduleForm
from comms.mailing import composer, layout, sample_recipient
from comms.models import LEAVABLE, Audience, Campaign
from comms.models import Layout as LayoutRow
from lms.admin.forms import ConfirmForm, choices
from lms.errors import DomainError
from lms.extensions import db
from lms.mail.services import counts
from lms.permissions import Permission, requires

bp = Blueprint("comms", __name__, url_prefix="/comms", template_folder="templates", static_folder="static")
office = requires(Permission.PROGRAM_OFFICE)
PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; frame-ancestors 'self'; "
               "base-uri 'none'; form-action 'none'")


@bp.route("/")
@office
def campaigns() -> str:
    rows = list(db.session.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())))
    mail_counts = counts(service.SOURCE, [c.id for c in rows])
    return render_template("comms/campaigns.html", campaigns=rows, counts=mail_counts)


def _form(campaign: Campaign | None) -> CampaignForm:
    form = CampaignForm(obj=campaign)
    form.audience_id.choices = choices([("", "— choose later —")] + [
        (a.id, a.name) for a in db.session.scalars(select(Audience).order_by(Audience.name))])
    return form


def _info(form: CampaignForm) -> service.CampaignInfo:
    return service.CampaignInfo(form.name.data or "", form.subject.data or "", form.category.data or "",
                                form.body.data or "", form.sender_name.data, form.audience_id.data)


def _apply_error(form: CampaignForm, error: DomainError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is None:
        target = form.body
    target.errors = [*target.errors, error.message] if isinstance(target.errors, list) else [error.message]


@bp.route("/campaigns/new", methods=["GET", "POST"])
@office
def new_campaign():
    return _composer(None)


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
@office
def campaign(campaign_id: int):
    return _composer(service.get(campaign_id))


def _composer(campaign: Campaign | None):
    form = _form(campaign)
    if request.method == "POST":
        if campaign is not None and not campaign.editable:
            flash("Only a draft can be changed.", "error")
            return redirect(url_for("comms.campaign", campaign_id=campaign.id))
        if form.validate_on_submit():
            try:
                saved = service.save(_info(form), campaign=campaign, actor=current_user)
            except DomainError as error:
                db.session.rollback()
                _apply_error(form, error)
            else:
                db.session.commit()
                flash("Draft saved.", "success")
                anchor = "preview" if request.form.get("action") == "preview" else None
                return redirect(url_for("comms.campaign", campaign_id=saved.id, _anchor=anchor))
        return _page(campaign, form), 400
    return _page(campaign, form)


def _page(campaign: Campaign | None, form: CampaignForm) -> str:
    preview = None
    if campaign is not None and service.settle(campaign):
        db.session.commit()
    if campaign is not None:
        try:
            rendered = composer(service.message(campaign)).render(sample_recipient(current_user),
                                                                  links=PreviewLinks(campaign.category))
            preview = {"text": rendered.text, "subject": rendered.subject, "error": None}
        except DomainError as error:
            preview = {"text": "", "subject": "", "error": error.message}
    progress = service.progress(campaign) if campaign is not None and campaign.status not in (
        "draft", "scheduled") else None
    return render_template("comms/campaign.html", campaign=campaign, form=form, preview=preview, progress=progress,
                           confirm=ConfirmForm(), schedule=ScheduleForm(), zones=service.common_zones(),
                           zone=service.zone)


class PreviewLinks(Links):
    """Previews show where the footer links go without making working ones."""

    def __init__(self, category: str) -> None:
        self.category = category

    def preferences(self) -> str | None:
        return "#your-mail-preferences"

    def unsubscribe(self) -> str | None:
        return "#unsubscribe" if self.category in LEAVABLE else None


def _preview_of(info: service.CampaignInfo):
    from comms.compose import Message

    message = Message(info.subject, info.body, info.category if info.category else "newsletter", info.sender_name)
    return composer(message).render(sample_recipient(current_user), links=PreviewLinks(message.category))


def _html_document(html: str, status: int = 200) -> Response:
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/campaigns/<int:campaign_id>/preview")
@office
def saved_preview(campaign_id: int) -> Response:
    """The saved campaign's HTML part, as the signed-in person would receive it (shown in a frame)."""
    campaign = service.get(campaign_id)
    try:
        rendered = composer(service.message(campaign)).render(sample_recipient(current_user),
                                                              links=PreviewLinks(campaign.category))
    except DomainError as error:
        return _html_document(f"<p>{_escape(error.message)}</p>", 400)
    return _html_document(rendered.html or "")


@bp.route("/preview", methods=["POST"])
@office
def live_preview() -> Response:
    """The HTML part of what the composer holds right now (its form posted into the preview frame)."""
    form = _form(None)
    form.validate()
    try:
        rendered = _preview_of(_info(form))
    except DomainError as error:  # the frame shows the problem; the request itself did what it should
        return _html_document(f"<p style=\"color:#a11\">{_escape(error.message)}</p>")
    return _html_document(rendered.html or "")


@bp.route("/preview.json", methods=["POST"])
@office
def live_preview_json():
    """The subject and plain-text part of what the composer holds, or the problem that stops it (``error``,
    ``field``): a check the page runs as the text is typed, so a problem is an answer (200), not a failed request."""
    form = _form(None)
    form.validate()
    try:
        rendered = _preview_of(_info(form))
    except DomainError as error:
        return jsonify(error=error.message, field=error.field)
    return jsonify(subject=rendered.subject, text=rendered.text, error=None)


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _action(campaign_id: int, work, done: str):
    campaign = service.get(campaign_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("comms.campaign", campaign_id=campaign_id))
    try:
        result = work(campaign)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("comms.campaign", campaign_id=campaign_id))
    db.session.commit()
    flash(done.format(result=result), "success")
    if result is _DELETED:
        return redirect(url_for("comms.campaigns"))
    target = result if isinstance(result, Campaign) else campaign
    return redirect(url_for("comms.campaign", campaign_id=target.id))


_DELETED = object()


@bp.route("/campaigns/<int:campaign_id>/test", methods=["POST"])
@office
def send_test(campaign_id: int):
    return _action(campaign_id, lambda c: service.test_send(c, actor=current_user),
                   f"A test was sent to {current_user.email}.")


@bp.route("/campaigns/<int:campaign_id>/start", methods=["POST"])
@office
def start(campaign_id: int):
    return _action(campaign_id, lambda c: service.start(c, actor_id=current_user.id),
                   "Sending to {result} recipient(s).")


@bp.route("/campaigns/<int:campaign_id>/schedule", methods=["POST"])
@office
def schedule(campaign_id: int):
    campaign = service.get(campaign_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        flash(" ".join(form.send_at.errors + form.timezone.errors) or "Choose a date and time.", "error")
        return redirect(url_for("comms.campaign", campaign_id=campaign_id))
    try:
        at = service.schedule(campaign, form.send_at.data, form.timezone.data.strip(), actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("comms.campaign", campaign_id=campaign_id))
    db.session.commit()
    flash(f"Scheduled for {form.send_at.data:%d %b %Y %H:%M} {campaign.timezone} ({at:%d %b %Y %H:%M} UTC).",
          "success")
    return redirect(url_for("comms.campaign", campaign_id=campaign_id))


@bp.route("/campaigns/<int:campaign_id>/unschedule", methods=["POST"])
@office
def unschedule(campaign_id: int):
    return _action(campaign_id, service.unschedule, "Back to a draft: it will not be sent until you send or "
                                                    "schedule it again.")


@bp.route("/campaigns/<int:campaign_id>/pause", methods=["POST"])
@office
def pause(campaign_id: int):
    return _action(campaign_id, service.pause, "Paused: {result} mail(s) held.")


@bp.route("/campaigns/<int:campaign_id>/resume", methods=["POST"])
@office
def resume(campaign_id: int):
    return _action(campaign_id, service.resume, "Resumed: {result} mail(s) queued again.")


@bp.route("/campaigns/<int:campaign_id>/cancel", methods=["POST"])
@office
def cancel(campaign_id: int):
    return _action(campaign_id, lambda c: service.cancel(c, actor=current_user),
                   "Cancelled: {result} mail(s) will not be sent.")


@bp.route("/campaigns/<int:campaign_id>/duplicate", methods=["POST"])
@office
def duplicate(campaign_id: int):
    return _action(campaign_id, lambda c: service.duplicate(c, actor=current_user), "Duplicated as a new draft.")


@bp.route("/campaigns/<int:campaign_id>/delete", methods=["POST"])
@office
def delete(campaign_id: int):
    def work(campaign: Campaign):
        service.delete_draft(campaign, actor=current_user)
        return _DELETED

    return _action(campaign_id, work, "Deleted the draft.")


@bp.route("/campaigns/<int:campaign_id>/progress.json")
@office
def progress(campaign_id: int):
    campaign = service.get(campaign_id)
    if service.settle(campaign):
        db.session.commit()
    p = service.progress(campaign)
    return jsonify(status=campaign.status, recipients=p.recipients, sent=p.sent, failed=p.failed, skipped=p.skipped,
                   cancelled=p.cancelled, remaining=p.remaining, per_second=p.per_second, percent=p.percent)


@bp.route("/layout", methods=["GET", "POST"])
@office
def layout_settings():
    row = db.session.get(LayoutRow, 1)
    current = layout()
    form = LayoutForm(obj=row) if row else LayoutForm(company_name=current.company_name, colour=current.colour)
    if form.validate_on_submit():
        if row is None:
            row = LayoutRow(id=1)
            db.session.add(row)
        row.company_name = (form.company_name.data or "").strip()
        row.colour = form.colour.data.lower()
        row.logo_url = (form.logo_url.data or "").strip()
        row.footer = (form.footer.data or "").strip()
        db.session.commit()
        flash("Layout saved: every comms mail uses it from now on.", "success")
        return redirect(url_for("comms.layout_settings"))
    return render_template("comms/layout.html", form=form), 400 if form.errors else 200


from comms import views_audiences, views_public, views_report  # noqa: E402,F401
