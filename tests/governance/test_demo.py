"""The demo tells a true story, read back from the records: one department lagging, one wave ahead, the
technology SME seat vacant, a goal at risk because its linked course is behind, an overdue action, a meeting due
next week, goal values over past months; and the demo logins see what their permissions allow."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from governance import services_board as board
from governance import services_dashboard as dashboard
from governance import services_report as report
from lms.extensions import db
from lms.people.models import Person
from lms.types import utcnow
from tests.conftest import DEMO_PASSWORD, login


@pytest.fixture()
def app(demo_app):
    """The demo organisation, seeded once per session; each test here gets its own copy."""
    return demo_app


def test_the_demo_story_is_true_of_its_records(app, client):
    view = dashboard.overview()
    departments = {row.label: row.rate for row in view.by_department.rows}
    assert min(departments, key=departments.get) == "Marketing"
    assert departments["Marketing"] < 0.5 * min(r for d, r in departments.items() if d != "Marketing")
    waves = {row.label: row.rate for row in report.gap_report("wave").rows}
    assert max(waves, key=waves.get) == "Wave 1" and waves["Wave 1"] > 1.4 * max(waves["Wave 2"], waves["Wave 3"])
    assert [v.message for v in board.vacancies()] == ["The Technology SME seat is vacant."]
    behind = [line for line in view.goals if line.status.status == "at_risk"]
    assert len(behind) == 1 and behind[0].status.projected_share >= 1  # the trend is fine...
    assert 0.5 <= behind[0].status.training_rate < 0.8  # ...its linked course is behind
    assert {line.status.status for line in view.goals} == {"on_track", "at_risk", "off_track"}
    assert all(len(line.goal.values) >= 6 for line in view.goals)
    assert all((line.goal.values[-1].measured_on - line.goal.values[0].measured_on).days >= 120 for line in view.goals)
    assert [a.title for a in view.overdue_actions] == ["Name a technology SME for the board"]
    days = (view.cadence.next_meeting.scheduled_for - utcnow().date()).days
    assert 1 <= days <= 7 and not view.cadence.overdue
    assert view.largest_gaps and all(cell.row.threatened for cell in view.largest_gaps)
    for email, allowed, refused in (
            ("sponsor", ["/governance/", "/governance/gaps", "/governance/pack.pdf"], []),
            ("office", ["/governance/", "/governance/meetings", "/governance/goals/new"], []),
            ("sales.manager", ["/governance/", "/governance/gaps"], ["/governance/goals/new"]),  # process SME
            ("marketing.manager", ["/governance/gaps?by=person"], ["/governance/", "/governance/goals"]),
            ("learner", [], ["/governance/", "/governance/gaps"])):
        person = db.session.scalar(select(Person).where(Person.email == f"{email}@northwind.example"))
        login(client, person, DEMO_PASSWORD)
        for url in allowed:
            assert client.get(url).status_code == 200, (email, url)
        for url in refused:
            assert client.get(url).status_code == 403, (email, url)
        if email == "marketing.manager":  # a manager outside the board: their own team only
            page = client.get("/governance/gaps?by=department").get_data(as_text=True)
            table = page.split('id="gap-table"')[1].split("</table>")[0]
            assert ">Marketing</a>" in table and "Sales" not in table and "Customer Service" not in table
        client.delete_cookie("session")
