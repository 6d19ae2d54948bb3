"""The board's seats and their warnings, the meeting cadence, agendas, minutes, decisions and actions."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from governance import services_board as board
from governance import services_dashboard as dashboard
from governance import services_meetings as meetings
from governance.models import Action, Meeting
from lms.audit.models import AuditEvent
from lms.errors import DomainError
from lms.extensions import db
from lms.people import services as people
from lms.types import utcnow
from tests.conftest import login, post_form


def _seat(code):
    return next(role for role in board.board() if role.code == code)


def test_vacant_seats_warn_on_every_governance_page_and_the_office_home_page(app, client, factory):
    board.ensure_default_roles()
    sponsor = factory.person(permissions=["sponsor"], name="Sam Sponsor")
    office = factory.person(permissions=["program_office"], name="Priya Office")
    learner = factory.person(permissions=["learner"])
    for code, person in (("executive_sponsor", sponsor), ("program_lead", office), ("people_sme", office),
                         ("process_sme", office)):
        board.assign(_seat(code), person.id, actor_id=None)
    db.session.commit()
    assert [v.message for v in board.vacancies()] == ["The Technology SME seat is vacant."]
    login(client, office)
    for url in ("/governance/", "/governance/gaps", "/governance/goals", "/governance/meetings", "/governance/board"):
        assert "The Technology SME seat is vacant." in client.get(url).get_data(as_text=True), url
    home = client.get("/").get_data(as_text=True)
    assert "The Technology SME seat is vacant." in home and 'role="alert"' in home
    people.set_active(db.session.merge(sponsor), False, actor_id=None)
    db.session.commit()
    warnings = board.vacancies()
    assert warnings[0].sponsor and warnings[0].message == (
        "The Executive sponsor seat is held by Sam Sponsor, who is deactivated: it is vacant.")
    assert "The program has no executive sponsor" in client.get("/").get_data(as_text=True)
    client.delete_cookie("session")
    login(client, learner)
    assert "vacant" not in client.get("/").get_data(as_text=True)  # learners see none of it


def test_board_members_see_the_boards_pages_without_a_permission(app, client, factory):
    board.ensure_default_roles()
    member = factory.person(permissions=["learner"], name="Tess Technology")
    db.session.commit()
    login(client, member)
    assert client.get("/governance/").status_code == 403
    board.assign(_seat("technology_sme"), member.id, actor_id=None)
    db.session.commit()
    for url in ("/governance/", "/governance/goals", "/governance/meetings", "/governance/board", "/governance/gaps"):
        assert client.get(url).status_code == 200, url
    assert "Governance" in client.get("/").get_data(as_text=True)
    assert post_form(client, "/governance/meetings", {"scheduled_for": "2030-01-01"},
                     form_url="/governance/meetings").status_code == 403  # seeing is not changing
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "board.assign"))
    assert event.target == "Technology SME" and event.details["after"] == member.email


def test_seats_are_added_and_only_extra_ones_removed(app):
    board.ensure_default_roles()
    seat = board.add_role("Finance SME", "Budgets", actor_id=None)
    with pytest.raises(DomainError, match="already has a seat"):
        board.add_role("finance sme", actor_id=None)
    with pytest.raises(DomainError, match="part of every board"):
        board.remove_role(_seat("executive_sponsor"), actor_id=None)
    board.remove_role(seat, actor_id=None)
    assert [r.code for r in board.board()] == [code for code, _, _ in board.DEFAULT_ROLES]


def test_cadence_flags_an_overdue_meeting(app):
    today = utcnow().date()
    assert meetings.cadence(today).message == "No meeting is planned."
    held = meetings.schedule(today - timedelta(days=100), actor_id=None)
    meetings.hold(held, today - timedelta(days=100), {}, actor_id=None)
    planned = meetings.next_meeting()  # holding plans the next one a cadence (3 months) later
    assert planned.scheduled_for == meetings.add_months(today - timedelta(days=100), 3)
    state = meetings.cadence(today)
    assert state.overdue and "has not been held" in state.message
    meetings.reschedule(planned, today + timedelta(days=6), actor_id=None)
    state = meetings.cadence(today)
    assert state.overdue and "later than the cadence allows" in state.message
    meetings.set_cadence(6, actor_id=None)
    state = meetings.cadence(today)
    assert not state.overdue and state.next_meeting.scheduled_for == today + timedelta(days=6)
    meetings.cancel(planned, actor_id=None)
    assert not meetings.cadence(today).overdue  # due by 6 months after the last one, still ahead
    assert meetings.cadence(today + timedelta(days=100)).overdue


def test_open_actions_are_carried_until_closed_and_overdue_ones_flagged(app, factory):
    today = utcnow().date()
    owner = factory.person(name="Omar Owner")
    first = meetings.schedule(today - timedelta(days=180), actor_id=None)
    action = meetings.add_action(meetings.ActionInfo("Run the pipeline clinic", owner.id, today - timedelta(days=7),
                                                     meeting_id=first.id), actor_id=None)
    later = meetings.add_action(meetings.ActionInfo("Publish the FAQ", owner.id, today + timedelta(days=7)),
                                actor_id=None)
    meetings.hold(first, today - timedelta(days=180), {}, actor_id=None)
    second = meetings.next_meeting()
    meetings.hold(second, today - timedelta(days=90), {}, actor_id=None)
    assert meetings.carried(action) == 1
    assert [a.title for a in meetings.open_actions()] == ["Run the pipeline clinic", "Publish the FAQ"]
    assert action.overdue(today) and not later.overdue(today)
    view = dashboard.overview()
    assert [a.title for a in view.overdue_actions] == ["Run the pipeline clinic"]
    items = {item["title"]: item["points"] for item in dashboard.agenda(view)["items"]}
    carried = items["Open actions (carried until closed)"]
    assert any("Run the pipeline clinic" in p and "(overdue)" in p for p in carried)
    meetings.update_action(action, status="done", note="Held on Tuesday", due_date=action.due_date,
                           owner_id=owner.id, actor_id=None)
    assert [a.title for a in meetings.open_actions()] == ["Publish the FAQ"]
    assert action.closed_at is not None
    logged = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert {"action.create", "action.update", "meeting.held", "meeting.schedule"} <= set(logged)


def test_the_meeting_page_keeps_minutes_decisions_and_its_agenda(app, client, factory):
    office = factory.person(permissions=["program_office"])
    meeting = meetings.schedule(utcnow().date(), "Quarterly board", actor_id=None)
    db.session.commit()
    login(client, office)
    url = f"/governance/meetings/{meeting.id}"
    assert "Largest training gaps" in client.get(url).get_data(as_text=True)  # the generated agenda
    post_form(client, f"{url}/minutes", {"minutes": "Sponsor asked for a coaching plan."}, form_url=url)
    post_form(client, f"{url}/decisions", {"text": "Marketing joins wave 2."}, form_url=url)
    post_form(client, "/governance/actions", {"title": "Write the coaching plan", "owner_id": str(office.id),
                                              "due_date": "2030-01-31", "meeting_id": str(meeting.id)}, form_url=url)
    post_form(client, f"{url}/hold", {"held_on": utcnow().date().isoformat()}, form_url=url)
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting.id)
    assert meeting.status == "held" and meeting.minutes == "Sponsor asked for a coaching plan."
    assert [d.text for d in meeting.decisions] == ["Marketing joins wave 2."]
    assert meeting.agenda["items"][0]["title"] in ("Board seats", "Training completion")
    assert db.session.scalar(select(Action.title).where(Action.meeting_id == meeting.id)) == "Write the coaching plan"
    page = client.get(url).get_data(as_text=True)
    assert "Marketing joins wave 2." in page and "Write the coaching plan" in page
    assert meetings.next_meeting().scheduled_for == meetings.add_months(utcnow().date(), 3)
    logged = set(db.session.scalars(select(AuditEvent.action)))
    assert {"meeting.minutes", "decision.add", "action.create", "meeting.held"} <= logged


def test_a_meeting_cannot_be_held_in_the_future(app):
    meeting = meetings.schedule(date(2030, 1, 1), actor_id=None)
    with pytest.raises(DomainError, match="future"):
        meetings.hold(meeting, date(2030, 1, 1), {}, actor_id=None)
