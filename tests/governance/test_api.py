"""governance.api: what other plugins may ask of governance."""
from __future__ import annotations

from datetime import timedelta

from governance import api
from governance import services_board as board
from lms.extensions import db
from lms.types import utcnow
from tests.governance.test_pages import _goal


def test_goal_statuses_board_members_and_vacancies(org):
    goal = _goal(org, deadline=utcnow().date() + timedelta(days=90))
    seats = {r.code: r for r in board.ensure_default_roles()}
    board.assign(seats["executive_sponsor"], org.id("maria"), actor_id=None)
    db.session.commit()
    [summary] = api.goal_statuses()
    assert (summary.key, summary.status, summary.owner_id) == (goal.key, "off_track", org.id("maria"))
    assert summary.reasons == ("No value recorded yet.", "Linked training 0% completed (0 of 4).")
    assert api.board_member_ids() == [org.id("maria")]
    assert api.vacant_seats()[0] == "The Program lead seat is vacant."
