"""Every governance page renders for the people who may see it, with the organisation's figures on it."""
from __future__ import annotations

from datetime import timedelta

from governance import services_goals as goals
from governance import services_meetings as meetings
from lms.extensions import db
from lms.types import utcnow
from tests.conftest import login


def _goal(org, **overrides):
    today = utcnow().date()
    info = {"key": "pipeline-accuracy", "title": "Forecasts within 10%", "metric": "forecast error", "unit": "%",
            "baseline": 30, "baseline_on": today - timedelta(days=60), "target": 10,
            "deadline": today + timedelta(days=60), "direction": "down", "owner_id": org.id("maria"),
            "course_ids": (org.courses["B"].id,), "job_role_ids": (org.roles["sales_rep"].id,)}
    info.update(overrides)
    return goals.save_goal(goals.GoalInfo(**info), goal=None, actor_id=None)


def test_every_page_renders_for_the_sponsor(org, client, factory):
    sponsor = factory.person(permissions=["sponsor"], email="sponsor@example.com", name="Sam Sponsor")
    goal = _goal(org)
    goals.record_values(goal, [goals.ValueInfo(utcnow().date() - timedelta(days=30), 25)], source="form")
    meeting = meetings.schedule(utcnow().date() + timedelta(days=5), actor_id=None)
    meetings.add_action(meetings.ActionInfo("Coach the sales team on forecasts", org.id("maria"),
                                            utcnow().date() - timedelta(days=3), goal.id, meeting.id), actor_id=None)
    db.session.commit()
    login(client, sponsor)
    for url in ("/governance/", "/governance/gaps", "/governance/gaps?by=person", "/governance/goals",
                f"/governance/goals/{goal.id}", f"/governance/goals/{goal.id}/edit", "/governance/goals/new",
                "/governance/meetings", f"/governance/meetings/{meeting.id}", "/governance/board",
                f"/governance/gaps/people/{org.id('s2')}"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if url in ("/governance/", "/governance/gaps", f"/governance/goals/{goal.id}"):
            assert 'src="data:image/svg+xml;base64,' in response.get_data(as_text=True), url  # the charts
    dashboard = client.get("/governance/").get_data(as_text=True)
    assert "Forecasts within 10%" in dashboard and "Coach the sales team on forecasts" in dashboard
