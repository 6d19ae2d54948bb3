"""``flask lms demo`` seeds an organisation big enough to show every page, with one login per permission."""
from __future__ import annotations

from sqlalchemy import distinct, func, select

from lms.extensions import db
from lms.people.models import Department, JobRole, Person, RolloutWave
from lms.permissions import Permission
from tests.conftest import login


def test_demo_seeds_the_organisation_and_every_login_works(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "demo", "--password", "demo password 1"])
    assert result.exit_code == 0, result.output
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Person) >= 60
    assert count(Department) == 4 and count(JobRole) == 5 and count(RolloutWave) == 3
    managers = db.session.scalar(select(func.count(distinct(Person.manager_id))))
    assert managers == 3
    logins = [line.split()[0] for line in result.output.splitlines() if "@northwind.example" in line]
    held = set()
    for email in logins:
        person = db.session.scalar(select(Person).where(Person.email == email))
        held |= person.permissions
        login(client, person, "demo password 1")
        assert client.get("/").status_code == 200
        client.delete_cookie("session")  # sign out before the next login
    assert held == set(Permission)
    if "comms" in app.extensions["lms"].enabled:  # kudos on the wall, automatic messages switched on
        from comms.models_lifecycle import AutoSetting, Kudos

        assert count(Kudos) >= 5
        assert set(db.session.scalars(select(AutoSetting.enabled))) == {True} and count(AutoSetting) == 5
    again = runner.invoke(args=["lms", "demo"])
    assert "already there; nothing changed" in again.output
    assert count(Person) >= 60 and count(Department) == 4
