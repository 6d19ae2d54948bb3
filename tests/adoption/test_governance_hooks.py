"""Adoption as a program-goal metric that updates itself, and readiness by team on the sponsor dashboard and in the
governance pack: through the signals governance sends, governance never importing adoption."""
from __future__ import annotations

from datetime import timedelta

from governance import services_auto, services_goals
from governance.models import GoalValue
from lms.extensions import db
from lms.types import utcnow
from tests.conftest import login


def _goal(org, **overrides):
    info = services_goals.GoalInfo(
        key="sales-reps-active", title="80% of sales reps active weekly by Q3", metric="Weekly active sales reps",
        unit="%", baseline=0, baseline_on=utcnow().date() - timedelta(days=30), target=80,
        deadline=utcnow().date() + timedelta(days=120), job_role_ids=(org.roles["sales_rep"].id,),
        auto_metric="adoption.active_weekly", **overrides)
    goal = services_goals.save_goal(info, goal=None, actor_id=None)
    db.session.commit()
    return goal


def test_the_goal_form_offers_the_adoption_metric(org, client, factory):
    login(client, factory.person(permissions=["program_office"]))
    page = client.get("/governance/goals/new").get_data(as_text=True)
    assert 'value="adoption.active_weekly"' in page


def test_an_automatic_goal_records_its_value_daily_once(org):
    goal = _goal(org)
    assert services_auto.record_today() == 1
    assert services_auto.record_today() == 0  # one value a day
    db.session.commit()
    [value] = db.session.query(GoalValue).filter_by(goal_id=goal.id).all()
    assert (value.value, value.source) == (50.0, "adoption")  # 3 of the 6 sales reps used the CRM this week


def test_the_metric_follows_the_goals_departments_and_past_days(org):
    from adoption.report import adoption_on

    today = utcnow().date()
    assert adoption_on(today - timedelta(days=8)) == round(100 / 6, 1)  # only o1 (10 days ago) in that week
    assert adoption_on(today, department_ids=(999,)) is None  # nobody required there


def test_readiness_by_team_on_the_sponsor_dashboard_and_in_the_pack(org, client, factory):
    login(client, factory.person(permissions=["sponsor"]))
    page = client.get("/governance/").get_data(as_text=True)
    assert "Change readiness by team (ADKAR)" in page and "MARIA" in page
    from governance.pack import pack_html

    html = pack_html()
    assert "Change readiness by team (ADKAR)" in html and "Desire" in html
