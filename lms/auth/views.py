from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from lms.auth import invitations, services, sessions, throttle
from lms.auth.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, NewPasswordForm, SignInLinkForm
from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import Person
from lms.permissions import login_required, public

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")


def _safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path on this site, or the home page. Browsers drop tabs and newlines from a
    URL and read a backslash as a slash, so ``/<tab>/evil.example`` or ``/\\evil.example`` would leave the site:
    anything with control characters, spaces or backslashes is refused, as is anything with a scheme or host."""
    home = url_for("home.index")
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return home
    if "\\" in target or any(ord(c) < 0x21 or c == "\x7f" or c.isspace() for c in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return home
    return quote(target, safe="/?=&%#:@!$'()*+,;~-._")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status, retry_after = 200, None
    if form.validate_on_submit():
        attempt = services.SignInAttempt(form.email.data, form.password.data, request.remote_addr or "unknown")
        try:
            person = services.sign_in(attempt)
        except DomainError as error:
            db.session.commit()  # the audit of the failure, and a sign-in link mail if one was due
            form.form_errors.append(error.message)
            status = error.status_code
            retry_after = getattr(error, "retry_after", None)
        else:
            _sign_in(person, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    response = make_response(render_template("auth/login.html", form=form), status)
    if status == 429 and retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.route("/link", methods=["GET", "POST"])
@public
def request_sign_in_link() -> str | Response:
    form = ForgotPasswordForm()
    form.submit.label.text = "Email me a sign-in link"
    if form.validate_on_submit():
        services.request_sign_in_link(form.email.data, request.remote_addr or "unknown")
        db.session.commit()
        flash("If that account is locked after too many failed sign-ins, a one-time sign-in link is on its way "
              f"(valid {int(throttle.LINK_VALID.total_seconds() // 60)} minutes; at most one every "
              f"{int(throttle.LINK_EVERY.total_seconds() // 60)} minutes, so check your mailbox for an earlier "
              "one too).", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/request_link.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/link/<token>", methods=["GET", "POST"])
@public
def sign_in_link(token: str) -> str | Response:
    """A one-time sign-in link from the mail sent when the account needed a proof. GET only shows a button (mail
    scanners that open links must not use them up); the POST signs in."""
    form = SignInLinkForm()
    try:
        person = services.person_for_sign_in_link(token)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("auth.login"))
    if form.validate_on_submit():
        person = services.sign_in_with_link(token, request.remote_addr or "unknown")
        _sign_in(person, remember=False)
        flash("You are signed in.", "success")
        return redirect(url_for("home.index"))
    return render_template("auth/sign_in_link.html", form=form, person=person)


def _sign_in(person, *, remember: bool) -> None:
    """Start a server-side session and commit; the cookies carry only its token. Whatever the browser's
    session held before (its CSRF token included) is dropped, so nothing from before sign-in survives it."""
    sessions.start_session(person, remember=remember, user_agent=request.user_agent.string,
                           address=request.remote_addr or "")
    db.session.commit()
    session.clear()
    login_user(person, remember=remember)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    session_id = sessions.current_session_id()
    if session_id is not None:
        sessions.revoke(session_id, "signed out")
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/sessions/end-all", methods=["POST"])
@login_required
def end_all_sessions() -> Response:
    """Sign out everywhere: every session of the signed-in person ends, this one included."""
    count = sessions.revoke_all(current_user.id, "signed out everywhere")
    db.session.commit()
    logout_user()
    session.clear()
    flash(f"You are signed out everywhere ({count} session{'s' if count != 1 else ''} ended).", "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@public
def forgot_password() -> str | Response:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, request.remote_addr or "")
        db.session.commit()
        flash("If that address belongs to an account, a reset link is on its way. It is valid for "
              f"{current_app.config['LMS_PASSWORD_RESET_MAX_AGE'] // 60} minutes.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> str | Response:
    try:
        person = services.person_for_reset_token(token)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("auth.forgot_password"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        services.set_password(person, form.password.data, reason="password reset")
        db.session.commit()
        flash("Your password is set. Sign in with it now.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/welcome/<token>", methods=["GET", "POST"])
@public
def welcome(token: str) -> str | Response:
    """An invitation's link: GET shows the set-a-password form (mail scanners that open links use nothing up); the
    POST sets the password, uses the invitation up and signs in. A link that cannot be used gets a page saying why."""
    try:
        invitation = invitations.invitation_for_token(token)
    except DomainError as error:
        return render_template("auth/invitation_refused.html", message=error.message), error.status_code
    form = NewPasswordForm()
    form.submit.label.text = "Set my password"
    if form.validate_on_submit():
        try:
            person = invitations.accept(token, form.password.data)
        except DomainError as error:
            db.session.rollback()
            return render_template("auth/invitation_refused.html", message=error.message), error.status_code
        _sign_in(person, remember=False)
        flash("Your password is set and you are signed in. Welcome!", "success")
        return redirect(url_for("home.index"))
    person = db.session.get(Person, invitation.person_id)
    return render_template("auth/welcome.html", form=form, person=person), 400 if request.method == "POST" else 200


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.check_current_password(current_user._get_current_object(), form.current.data,
                                            request.remote_addr or "unknown")
        except DomainError as error:
            db.session.commit()
            form.current.errors.append(error.message)
        else:
            person = current_user._get_current_object()
            services.set_password(person, form.password.data, keep_session=sessions.current_session_id())
            db.session.commit()
            flash("Your password is changed. Every other session of yours has ended.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, sessions=sessions.active_sessions(current_user.id),
                           this_session=sessions.current_session_id()), 400 if form.errors else 200
