"""Every number of the gap report against the hand-built organisation of conftest.py, whose right answers are
written out here (after v1's outside completion is voided unless a test says otherwise)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from governance import services_goals as goals
from governance import services_report as report
from governance.services_readmodel import bring_up_to_date
from governance.views_report import safe_cell as report_safe
from lms.errors import NotFound
from lms.extensions import db
from lms.types import utcnow
from tests.conftest import login
from tests.governance.conftest import void

# (people, required, completed, in progress, not started, overdue, failed assessments)
TOTAL = (6, 12, 3, 2, 7, 2, 1)
BY_DEPARTMENT = {"Sales": (3, 6, 1, 2, 3, 2, 1), "Service": (3, 6, 2, 0, 4, 0, 0)}
BY_ROLE = {"Sales rep": (4, 8, 2, 2, 4, 2, 1), "Service agent": (2, 4, 1, 0, 3, 0, 0)}
BY_WAVE = {"W1": (3, 6, 1, 1, 4, 2, 0), "W2": (3, 6, 2, 1, 3, 0, 1)}
BY_MANAGER = {"MARIA": BY_DEPARTMENT["Sales"], "OMAR": BY_DEPARTMENT["Service"]}
BY_PERSON = {"S1": (1, 2, 1, 1, 0, 0, 0), "S2": (1, 2, 0, 1, 1, 0, 1), "S3": (1, 2, 0, 0, 2, 2, 0),
             "V1": (1, 2, 0, 0, 2, 0, 0), "V2": (1, 2, 1, 0, 1, 0, 0), "C1": (1, 2, 1, 0, 1, 0, 0)}


def figures(row: report.GapRow) -> tuple:
    return (row.people, row.required, row.completed, row.in_progress, row.not_started, row.overdue, row.failed)


def by_label(result: report.GapReport) -> dict:
    return {row.label: figures(row) for row in result.rows}


@pytest.fixture()
def voided(org):
    void(org, org.voided_statement)
    bring_up_to_date()
    return org


def test_every_grouping_gives_the_written_answers(voided):
    for dimension, expected in (("department", BY_DEPARTMENT), ("job_role", BY_ROLE), ("wave", BY_WAVE),
                                ("manager", BY_MANAGER), ("person", BY_PERSON)):
        result = report.gap_report(dimension)
        assert by_label(result) == expected, dimension
        assert figures(result.total) == TOTAL, dimension
    assert report.gap_report("department").total.rate == pytest.approx(3 / 12)


def test_a_voided_statement_takes_its_completion_out_of_the_report(org):
    bring_up_to_date()
    before = report.gap_report("person")
    assert by_label(before)["V1"] == (1, 2, 1, 0, 1, 0, 0)  # the CRM said v1 completed C
    assert figures(before.total) == (6, 12, 4, 2, 6, 2, 1)
    void(org, org.voided_statement)
    bring_up_to_date()
    after = report.gap_report("person")
    assert by_label(after)["V1"] == BY_PERSON["V1"]
    assert figures(after.total) == TOTAL


def test_what_people_changing_role_or_leaving_require(voided):
    c1 = report.person_requirements(voided.id("c1"))[1]
    # The service path's unfinished C is withdrawn; A, completed as a service agent, still counts as completed.
    assert {(r.course, r.status) for r in c1} == {("Crm Basics", "completed"), ("Pipeline", "not_started")}
    assert [r.paths for r in c1 if r.course == "Crm Basics"] == [("Sales path", "Soft path")]
    assert "D1" not in by_label(report.gap_report("person"))  # deactivated: not counted at all
    s1 = {r.course: r for r in report.person_requirements(voided.id("s1"))[1]}
    assert len(s1) == 2 and s1["Crm Basics"].paths == ("Sales path", "Soft path")  # two paths, one requirement


def test_a_persons_requirements_with_their_status(voided):
    person, rows = report.person_requirements(voided.id("s2"))
    assert person.name == "S2"
    assert [(r.course, r.status, r.failed_quizzes) for r in rows] == [
        ("Pipeline", "in_progress", ("Check",)), ("Crm Basics", "not_started", ())]
    _, rows = report.person_requirements(voided.id("s3"))
    assert {r.status for r in rows} == {"overdue"}
    assert all(r.due_date == utcnow().date() - timedelta(days=1) for r in rows)


def test_filters_by_course_path_wave_and_department(voided):
    c = voided.courses
    assert figures(report.gap_report("department", report.GapFilter(course_id=c["B"].id)).total) == (
        4, 4, 0, 2, 2, 1, 1)  # s1 B started, s2 B failed, s3 B overdue, c1 B
    service_path = report.GapFilter(path_id=voided.paths["service"].id)
    assert by_label(report.gap_report("person", service_path)) == {
        "V1": (1, 2, 0, 0, 2, 0, 0), "V2": (1, 2, 1, 0, 1, 0, 0)}
    soft = report.gap_report("department", report.GapFilter(path_id=voided.paths["soft"].id))
    assert figures(soft.total) == (4, 4, 2, 0, 2, 1, 0)  # A of s1 (done), s2, s3 (overdue), c1 (done)
    w2_sales = report.GapFilter(wave_id=voided.waves["W2"].id, department_id=voided.departments["Sales"].id)
    assert by_label(report.gap_report("person", w2_sales)) == {"S2": BY_PERSON["S2"]}
    assert report.gap_report("department", report.GapFilter(department_id=report.NONE)).rows == []


def test_drilling_down_narrows_and_moves_to_the_next_grouping(voided):
    sales = report.GapFilter().narrowed("department", voided.departments["Sales"].id)
    assert report.next_dimension("department", sales) == "job_role"
    by_role = report.gap_report("job_role", sales)
    assert by_label(by_role) == {"Sales rep": (3, 6, 1, 2, 3, 2, 1)}
    deeper = sales.narrowed("job_role", by_role.rows[0].key)
    assert report.next_dimension("job_role", deeper) == "wave"
    waves = report.gap_report("wave", deeper)
    assert by_label(waves) == {"W1": (2, 4, 1, 1, 2, 2, 0), "W2": (1, 2, 0, 1, 1, 0, 1)}
    w1 = deeper.narrowed("wave", next(r.key for r in waves.rows if r.label == "W1"))
    assert report.next_dimension("wave", w1) == "manager"
    managers = report.gap_report("manager", w1)
    assert by_label(managers) == {"MARIA": (2, 4, 1, 1, 2, 2, 0)}
    people = report.gap_report("person", w1.narrowed("manager", managers.rows[0].key))
    assert by_label(people) == {"S1": BY_PERSON["S1"], "S3": BY_PERSON["S3"]}
    assert [row.label for row in people.rows] == ["S3", "S1"]  # the larger gap first


def test_trend_by_week_from_todays_requirements(voided):
    today = utcnow().date()
    points = report.gap_report("department").trend
    assert len(points) == 12 and points[-1].week_end == today
    assigned_v2, completed_v2 = today - timedelta(days=35), today - timedelta(days=20)
    for point in points:
        if point.week_end == today:
            expected = (12, 3)  # everyone, all completions
        elif point.week_end >= completed_v2:
            expected = (2, 1)  # only v2's two requirements existed; C completed 20 days ago
        elif point.week_end >= assigned_v2:
            expected = (2, 0)
        else:
            expected = (0, 0)
        assert (point.required, point.completed) == expected, point.week_end


def test_goals_threatened_by_each_row(voided):
    pipeline = goals.save_goal(goals.GoalInfo(
        key="pipeline-accuracy", title="Forecasts within 10%", metric="forecast error", baseline=30,
        baseline_on=utcnow().date() - timedelta(days=30), target=10, deadline=utcnow().date() + timedelta(days=60),
        direction="down", owner_id=voided.id("maria"), course_ids=(voided.courses["B"].id,),
        job_role_ids=(voided.roles["sales_rep"].id,)), goal=None, actor_id=None)
    service = goals.save_goal(goals.GoalInfo(
        key="first-call", title="First-call resolution 80%", metric="share", baseline=50,
        baseline_on=utcnow().date() - timedelta(days=30), target=80, deadline=utcnow().date() + timedelta(days=60),
        owner_id=voided.id("omar"), path_ids=(voided.paths["service"].id,),
        department_ids=(voided.departments["Service"].id,)), goal=None, actor_id=None)
    result = report.gap_report("department", goals=[pipeline, service])
    threats = {row.label: {(t.title, t.owner, t.incomplete) for t in row.threatened} for row in result.rows}
    assert threats == {
        "Sales": {("Forecasts within 10%", "MARIA", 3)},  # B of s1, s2, s3
        "Service": {("Forecasts within 10%", "MARIA", 1),  # c1, a sales rep now, has not done B
                    ("First-call resolution 80%", "OMAR", 3)},  # A of v1 and v2, C of v1
    }
    links = {link.goal_id: link for link in report.goal_links([pipeline, service])}
    assert report.linked_completion(links[pipeline.id]) == (0, 4)
    assert report.linked_completion(links[service.id]) == (2, 5)  # v2's C, c1's A (both in Service)
    cells = report.largest_gaps([pipeline, service])
    assert [(c.department, c.course, c.row.incomplete) for c in cells] == [
        ("Sales", "Pipeline", 3), ("Sales", "Crm Basics", 2), ("Service", "Crm Basics", 2)]  # overdue s3 first


def test_a_manager_sees_only_their_own_team(voided, client):
    maria = voided.people["maria"]
    scope = report.Scope(manager_id=maria.id)
    assert by_label(report.gap_report("person", scope=scope)) == {k: BY_PERSON[k] for k in ("S1", "S2", "S3")}
    assert by_label(report.gap_report("department", report.GapFilter(manager_id=voided.id("omar")), scope)) == {}
    with pytest.raises(NotFound):
        report.person_requirements(voided.id("v1"), scope)
    login(client, maria)
    page = client.get("/governance/gaps?by=person").get_data(as_text=True)
    table = page.split('id="gap-table"')[1].split("</table>")[0]
    assert ">S1</a>" in table and ">S3</a>" in table and "V1" not in table and "C1" not in table
    assert client.get(f"/governance/gaps/people/{voided.id('v1')}").status_code == 404
    assert client.get(f"/governance/gaps/people/{voided.id('s2')}").status_code == 200
    other_team = client.get(f"/governance/gaps.csv?by=person&manager_id={voided.id('omar')}").get_data(as_text=True)
    assert "V1" not in other_team and "C1" not in other_team
    assert client.get("/governance/").status_code == 403  # the board's pages are not a manager's


def test_a_learner_sees_none_of_it(voided, client):
    login(client, voided.people["s1"])
    for url in ("/governance/", "/governance/gaps", "/governance/gaps.csv", "/governance/goals",
                "/governance/meetings", "/governance/board", "/governance/pack.pdf",
                f"/governance/gaps/people/{voided.id('s1')}"):
        assert client.get(url).status_code == 403, url
    assert "Governance" not in client.get("/").get_data(as_text=True)


def test_the_report_page_and_its_csv(voided, client, factory):
    office = factory.person(permissions=["program_office"], email="office@example.com")
    login(client, office)
    page = client.get("/governance/gaps?by=department").get_data(as_text=True)
    assert "How these numbers are counted" in page and "computed from today's requirements" in page
    csv_text = client.get("/governance/gaps.csv?by=wave").get_data(as_text=True)
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("Rollout wave,People,Required,Completed,In progress,Not started,Overdue,")
    # Four weeks before this week's end (22 to 28 days ago) only v2 had requirements (assigned 35 days ago), not
    # completed yet (20 days ago).
    assert lines[1:] == ["W1,3,6,1,1,4,2,0,16.7%,,", "W2,3,6,2,1,3,0,1,33.3%,0.0%,",
                         "All,6,12,3,2,7,2,1,25.0%,0.0%,"]


def test_people_are_paged_by_the_database_with_the_same_figures(voided):
    first = report.gap_report("person", page=(0, 4))
    second = report.gap_report("person", page=(4, 4))
    assert first.row_count == second.row_count == 6 and len(first.rows) == 4 and len(second.rows) == 2
    assert {**by_label(first), **by_label(second)} == BY_PERSON
    assert [row.incomplete for row in first.rows + second.rows] == [2, 2, 2, 1, 1, 1]
    assert figures(first.total) == figures(second.total) == TOTAL


def test_csv_cells_a_spreadsheet_would_run_are_escaped(voided, client, factory):
    sales = voided.departments["Sales"]
    sales.name = "=HYPERLINK(\"http://evil.example\",\"Sales\")"
    db.session.commit()
    login(client, factory.person(permissions=["sponsor"], email="sam@example.com"))
    rows = client.get("/governance/gaps.csv?by=department").get_data(as_text=True).splitlines()
    assert rows[1].startswith("\"'=HYPERLINK(") and not any(line.startswith("=") for line in rows)
    assert report_safe("+1") == "'+1" and report_safe("-x") == "'-x" and report_safe("@a") == "'@a"
    assert report_safe("\tx") == "'\tx" and report_safe("\rx") == "'\rx" and report_safe("Sales") == "Sales"
    assert report_safe(3) == 3


def test_the_dashboard_shows_the_organisations_figures(voided, client, factory):
    login(client, factory.person(permissions=["sponsor"], email="sam@example.com"))
    page = client.get("/governance/").get_data(as_text=True)
    assert "25%" in page and "(3 of 12)" in page
    assert '<span class="kpi-value bad">2</span><span class="kpi-label">requirements overdue</span>' in page
    assert "<strong>Sales</strong>: Pipeline</a>\n      — 3 of 3 not completed" in page  # the largest gap
