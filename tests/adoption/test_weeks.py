"""The weekly active rows (``adoption_usage_week``) that the trend and the goal metric read agree with the usage
days they are kept from: after statements, the CSV import and a void (the organisation of conftest.py), after a CSV
count set to 0, and after a void of the only use of a day; on every weekday."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from adoption import report
from adoption.models import PersonState, UsageDay, UsageWeek
from adoption.usage import import_csv
from lms.extensions import db
from lms.people.models import Person
from lms.types import utcnow
from tests.adoption.conftest import crm_statements, post, settle


def _by_days(day, manager_id=None) -> float:
    """Adoption on ``day`` worked out from the usage days themselves: required people with a use in the 7 days
    ending ``day``."""
    people = select(Person.id).join(PersonState, PersonState.person_id == Person.id).where(
        Person.active.is_(True), PersonState.required > 0)
    if manager_id is not None:
        people = people.where(Person.manager_id == manager_id)
    required = set(db.session.scalars(people))
    used = {u.person_id for u in db.session.scalars(select(UsageDay))
            if u.count and day - timedelta(days=6) <= u.day <= day}
    return round(100.0 * len(required & used) / len(required), 1)


def _agree(org) -> None:
    today = utcnow().date()
    for n in range(-3, 18):  # every weekday, twice over, and days after today
        day = today - timedelta(days=n)
        assert report.adoption_on(day) == _by_days(day), day
        assert report.adoption_on(day, manager_id=org.id("maria")) == _by_days(day, org.id("maria")), day
    assert [rate for _end, rate in report.trend(3, today)] == [
        _by_days(today - timedelta(days=14)), _by_days(today - timedelta(days=7)), _by_days(today)]


def _weeks(person_id: int) -> list[tuple]:
    return [(w.week, w.days) for w in db.session.scalars(
        select(UsageWeek).where(UsageWeek.person_id == person_id).order_by(UsageWeek.week))]


def test_weekly_rows_after_statements_csv_and_a_void(org):
    three_days = utcnow().date() - timedelta(days=3)
    monday = three_days - timedelta(days=three_days.weekday())
    # t4's one use (by a statement and by the CSV): its day in its own week, and as "the week before" in the next.
    assert _weeks(org.id("t4")) == [(monday, 1 << three_days.weekday()),
                                    (monday + timedelta(days=7), 1 << (7 + three_days.weekday()))]
    assert _weeks(org.id("t5")) == []  # its only use was voided
    assert report.adoption_on(utcnow().date()) == 50.0
    _agree(org)
    # Maria is required to do nothing: her use is in the weekly rows but not in anybody's adoption.
    post(org, crm_statements("E-maria", utcnow()))
    settle()
    assert _weeks(org.id("maria"))
    assert report.adoption_on(utcnow().date()) == 50.0
    _agree(org)


def test_weekly_rows_follow_a_csv_count_set_to_zero_and_a_void(org):
    two_days = utcnow().date() - timedelta(days=2)
    import_csv(f"person,date,kind,count\nE-t3,{two_days},logged-in,0\n".encode())
    settle()
    assert _weeks(org.id("t3")) == []
    assert report.adoption_on(utcnow().date()) == 33.3  # t1 and t4 of 6
    _agree(org)

    use = crm_statements("E-t2", utcnow(), kinds=("logged-in",))[0] | {"id": "6f1b2c3d-0000-4000-8000-0000000000a2"}
    post(org, [use])
    settle()
    assert report.adoption_on(utcnow().date()) == 50.0
    _agree(org)
    post(org, [{"actor": {"objectType": "Agent", "account": {"homePage": "https://crm.example.com", "name": "E-t2"}},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
                "object": {"objectType": "StatementRef", "id": use["id"]}}])
    settle()
    assert _weeks(org.id("t2")) == []
    assert report.adoption_on(utcnow().date()) == 33.3
    _agree(org)
