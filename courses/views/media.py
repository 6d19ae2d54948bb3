"""Lesson media: uploaded images served by key, the trainer's upload page, and the admin's list of hosts whose
players lessons may embed. Lesson pages get a Content-Security-Policy whose ``frame-src`` names exactly those."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from courses import media
from courses.forms import EmbedHostForm, ImageUploadForm
from courses.models import MediaFile
from courses.views import bp
from courses.views.author import attempt, page_status
from lms.extensions import db
from lms.permissions import Permission, login_required, requires
from lms.web import CSP

# Pages that show lesson HTML (which may hold embeds).
LESSON_PAGES = {"courses.lesson", "courses.author_lesson", "courses.author_lesson_new",
                "courses.author_preview_lesson"}


@bp.after_app_request
def _frame_src(response: Response) -> Response:
    from flask import request

    if request.endpoint in LESSON_PAGES and response.mimetype == "text/html" and not response.is_streamed \
            and b"<iframe" in response.get_data():  # without a frame the host's policy (frames from itself) holds
        response.headers["Content-Security-Policy"] = f"{CSP}; {media.frame_src()}"
    return response


@bp.route("/media/<key>")
@login_required
def media_file(key: str) -> Response:
    found = media.find(key)
    if found is None:
        abort(404)
    row, path = found
    response = send_file(path, mimetype=row.content_type, max_age=3600, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/author/media", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_media():
    form = ImageUploadForm()
    if form.validate_on_submit() and (row := attempt(form, lambda: media.save_image(
            form.image.data.read(), form.image.data.filename or "", actor_id=current_user.id))):
        flash(f"Uploaded. Paste this into a lesson: {media.markdown_for(row)}", "success")
        return redirect(url_for("courses.author_media"))
    files = db.session.scalars(select(MediaFile).order_by(MediaFile.uploaded_at.desc()).limit(200)).all()
    return render_template("courses/author/media.html", form=form, files=files,
                           snippets={f.id: media.markdown_for(f) for f in files}), page_status()


@bp.route("/admin/embed-hosts", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def embed_hosts():
    form = EmbedHostForm()
    if form.validate_on_submit() and attempt(form, lambda: media.add_host(form.host.data, actor_id=current_user.id)):
        flash(f"Lessons may now embed players from {form.host.data.strip().lower()}.", "success")
        return redirect(url_for("courses.embed_hosts"))
    from courses.models import EmbedHost

    hosts = db.session.scalars(select(EmbedHost).order_by(EmbedHost.host)).all()
    return render_template("courses/author/embed_hosts.html", form=form, hosts=hosts), page_status()


@bp.route("/admin/embed-hosts/<int:host_id>/delete", methods=["POST"])
@requires(Permission.ADMIN)
def embed_host_delete(host_id: int) -> Response:
    """(The app-wide CSRF protection checks the form's token.)"""
    media.remove_host(host_id, actor_id=current_user.id)
    db.session.commit()
    flash("The host is removed; lessons embedding it show a notice instead.", "success")
    return redirect(url_for("courses.embed_hosts"))
