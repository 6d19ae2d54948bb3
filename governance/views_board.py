"""The sponsor dashboard, the board and its seats, and the governance pack."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from governance import access, pack
from governance import services_board as board_service
from governance import services_dashboard as dashboard_service
from governance import services_goals as goals_service
from governance.forms import NewSeatForm, SeatForm
from governance.views import bp, data_uri
from lms.admin.forms import ConfirmForm, choices
from lms.extensions import db
from lms.people.models import Person


@bp.route("/")
@access.see_board
def dashboard() -> str:
    view = dashboard_service.overview()
    return render_template("governance/dashboard.html", view=view, pdf=pack.availability(), rule=goals_service.RULE,
                           sections=dashboard_service.sections("dashboard"),
                           department_chart=data_uri(pack.department_chart(view.by_department)),
                           trend_chart=data_uri(pack.trend_chart(view.trend)))


@bp.route("/pack.pdf")
@access.see_board
def pack_pdf() -> Response:
    available = pack.availability()
    if not available.ok:
        return Response(render_template("governance/pack_unavailable.html", reason=available.reason), status=503)
    view = dashboard_service.overview()
    pdf = pack.render_pack(view)
    name = f"governance-pack-{view.on.isoformat()}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def active_people() -> list[tuple[int | str, str]]:
    return [(p.id, f"{p.name} ({p.email})") for p in db.session.scalars(
        select(Person).where(Person.active.is_(True)).order_by(Person.name))]


@bp.route("/board")
@access.see_seats
def board() -> str:
    if len(board_service.board()) < len(board_service.DEFAULT_ROLES):
        board_service.ensure_default_roles()  # the seats every board has (after a restore that lost them)
        db.session.commit()
    people = [("", "— vacant —"), *active_people()]
    forms = {}
    for role in board_service.board():
        form = SeatForm(prefix=f"seat{role.id}", person_id=role.person_id if not role.vacant else None)
        form.person_id.choices = choices(people)
        forms[role.id] = form
    return render_template("governance/board.html", roles=board_service.board(), forms=forms,
                           new_seat=NewSeatForm(), confirm=ConfirmForm())


@bp.route("/board/seats/<int:role_id>", methods=["POST"])
@access.edit_seats
def board_assign(role_id: int):
    role = board_service.get_role(role_id)
    form = SeatForm(prefix=f"seat{role.id}")
    form.person_id.choices = choices([("", "— vacant —"), *active_people()])
    if not form.validate_on_submit():
        flash("Choose a person from the list.", "error")
        return redirect(url_for("governance.board"))
    board_service.assign(role, form.person_id.data, actor_id=current_user.id)
    db.session.commit()
    flash(f"{role.title}: {role.person.name if role.person else 'vacant'}.", "success")
    return redirect(url_for("governance.board"))


@bp.route("/board/seats", methods=["POST"])
@access.edit_seats
def board_add_seat():
    form = NewSeatForm()
    if not form.validate_on_submit():
        flash("Give the new seat a title.", "error")
        return redirect(url_for("governance.board"))
    role = board_service.add_role(form.title.data, form.duty.data or "", actor_id=current_user.id)
    db.session.commit()
    flash(f"Seat {role.title} added; it is vacant until someone holds it.", "success")
    return redirect(url_for("governance.board"))


@bp.route("/board/seats/<int:role_id>/remove", methods=["POST"])
@access.edit_seats
def board_remove_seat(role_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    role = board_service.get_role(role_id)
    title = role.title
    board_service.remove_role(role, actor_id=current_user.id)
    db.session.commit()
    flash(f"Seat {title} removed.", "success")
    return redirect(url_for("governance.board"))
