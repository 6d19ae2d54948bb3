"""``flask lms demo`` seeds an organisation big enough to show every page, with one login per permission."""
from __future__ import annotations

import pytest
from sqlalchemy import distinct, func, select

from lms.extensions import db
from lms.people.models import Department, JobRole, Person, RolloutWave
from lms.permissions import Permission
from tests.conftest import DEMO_PASSWORD, login


@pytest.fixture()
def app(demo_app):
    """The demo organisation, seeded once per session (``demo_seed``: ``flask lms demo --password ...``); each test
    here gets its own copy."""
    return demo_app


def test_demo_seeds_the_organisation_and_every_login_works(app, client, demo_seed):
    runner = app.test_cli_runner()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Person) >= 60
    assert count(Department) == 4 and count(JobRole) == 5 and count(RolloutWave) == 3
    managers = db.session.scalar(select(func.count(distinct(Person.manager_id))))
    assert managers == 3
    logins = [line.split()[0] for line in demo_seed.output.splitlines() if "@northwind.example" in line]
    held = set()
    for email in logins:
        person = db.session.scalar(select(Person).where(Person.email == email))
        held |= person.permissions
        login(client, person, DEMO_PASSWORD)
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
