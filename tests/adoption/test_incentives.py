"""Points from the learning signals and CRM use after training, the leaderboard (opt-out, admin switch), badge rules
from the program office's form, and the usage import in the UI and the CLI."""
from __future__ import annotations

from adoption import incentives
from adoption.models import BadgeRule, PersonState
from adoption.readmodel import settings
from lms.extensions import db
from lms.types import utcnow
from tests.adoption.conftest import as_
from tests.conftest import login, post_form


def test_points_for_learning_and_for_crm_use_after_training(org):
    # t1: two lessons (20), the quiz (20) at the first attempt (+10), the course (50), the path (100), and one week
    # with CRM use after training (5). t4 used the CRM only before training: no week points.
    assert db.session.get(PersonState, org.id("t1")).points == 205
    assert db.session.get(PersonState, org.id("t4")).points == 200
    assert db.session.get(PersonState, org.id("t3")).points == 0


def test_the_leaderboard_leaves_out_who_opted_out_and_an_admin_switches_it_off(org, client, factory):
    assert [line.name for line in incentives.leaderboard(org.id("maria"))] == ["T1", "T2", "T4"]
    login(client, org.people["t1"])
    assert post_form(client, "/adoption/me/leaderboard", {"opt_out": "y"}, form_url="/adoption/me").status_code == 302
    assert [line.name for line in incentives.leaderboard(org.id("maria"))] == ["T2", "T4"]
    as_(client, org.people["maria"])
    page = client.get("/adoption/team").get_data(as_text=True)
    assert "Team leaderboard" in page and "T1: 205" not in page

    as_(client, factory.person(permissions=["program_office"]))
    post_form(client, "/adoption/settings/leaderboard", {}, form_url="/adoption/settings")
    assert settings().leaderboard_on is True  # only an admin switches it
    as_(client, factory.person(permissions=["admin"]))
    assert post_form(client, "/adoption/settings/leaderboard", {}, form_url="/adoption/settings").status_code == 302
    db.session.expire_all()
    assert settings().leaderboard_on is False
    as_(client, org.people["maria"])
    assert "Team leaderboard" not in client.get("/adoption/team").get_data(as_text=True)


def test_badge_rules_from_the_form(org, client, factory):
    login(client, factory.person(permissions=["program_office"]))
    response = post_form(client, "/adoption/badges", {"name": "Two weeks", "kind": "crm_weeks", "weeks": "2",
                                                      "colour": "#1a7f37"})
    assert response.status_code == 302
    assert db.session.query(BadgeRule).filter_by(name="Two weeks").one().weeks == 2
    response = post_form(client, "/adoption/badges", {"name": "No quiz", "kind": "quiz_first_time",
                                                      "colour": "#1a7f37"})
    assert response.status_code == 400 and "Choose the quiz" in response.get_data(as_text=True)


def test_usage_import_in_the_ui_and_the_cli(org, client, factory, app, tmp_path):
    import io

    login(client, factory.person(permissions=["admin"]))
    bad = b"person,date,kind,count\nE-t2,2026-02-30,logged-in,1\n"
    response = post_form(client, "/adoption/usage/import", {"file": (io.BytesIO(bad), "usage.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 400 and "line 2: the date" in response.get_data(as_text=True)
    path = tmp_path / "usage.csv"
    path.write_bytes(bad)
    result = app.test_cli_runner().invoke(args=["lms", "adoption", "import-usage", str(path)])
    assert result.exit_code != 0 and "usage.csv:2: the date '2026-02-30'" in result.output
    path.write_text(f"person,date,kind,count\nE-t2,{utcnow().date()},logged-in,3\n")
    result = app.test_cli_runner().invoke(args=["lms", "adoption", "import-usage", str(path)])
    assert result.exit_code == 0 and "Imported 1 day(s)" in result.output
    result = app.test_cli_runner().invoke(args=["lms", "adoption", "refresh"])
    assert result.exit_code == 0
    db.session.expire_all()
    assert db.session.get(PersonState, org.id("t2")).last_used_on == utcnow().date()
