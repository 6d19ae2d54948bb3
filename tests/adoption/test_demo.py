"""The demo's adoption story is true of its records: a few weeks of CRM usage posted by the demo CRM, Customer
Service trained but not using the CRM, another team's readiness barrier at Desire, badges awarded, a leaderboard
with data."""
from __future__ import annotations

from sqlalchemy import func, select

from adoption import demo, incentives, report
from adoption.models import Award, UsageDay
from lms.extensions import db
from lms.people.models import Person


def test_the_demo_story(app):
    result = app.test_cli_runner().invoke(args=["lms", "demo", "--password", "demo password 1"])
    assert result.exit_code == 0, result.output
    assert demo.finish() > 0  # what the worker does next: read model, then badges
    assert db.session.scalar(select(func.count()).select_from(UsageDay)) > 300
    managers = {p.email.split("@")[0]: p for p in db.session.scalars(select(Person).where(
        Person.email.like("%.manager@%")))}
    idle = {key: len(report.trained_not_using(manager_id=m.id)) for key, m in managers.items()}
    assert idle["service.manager"] >= 3 and idle["service.manager"] == max(idle.values()), idle
    teams = {t.manager_id: t for t in report.readiness_by_team()}
    desire = {key: teams[m.id].scores["desire"] for key, m in managers.items() if m.id in teams}
    # One team does not want the CRM (Desire at 3 or below), the others do. (Its barrier point is Desire only once
    # Awareness is above 3: comms' demo announcement decides that, and today few demo people opened it.)
    assert sorted(d <= 3 for d in desire.values()) == [False, False, True], desire
    assert desire["service.manager"] > 3
    assert db.session.scalar(select(func.count()).select_from(Award)) > 0
    assert incentives.leaderboard(managers["sales.manager"].id)
