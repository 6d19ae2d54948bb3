"""The adoption report and ADKAR scores against the hand-built organisation of conftest.py (answers written out)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from adoption import report
from adoption.models import PersonState, UsageDay
from lms.extensions import db
from lms.types import utcnow
from tests.conftest import login


def _names(lines):
    return sorted(line.name for line in lines)


def test_daily_counts_take_statements_and_csv_once_and_drop_the_voided_one(org):
    three_days = utcnow().date() - timedelta(days=3)
    t4 = db.session.get(UsageDay, (org.id("t4"), three_days, "logged-in"))
    assert (t4.from_statements, t4.from_csv, t4.count) == (1, 1, 1)
    kinds = sorted(db.session.scalars(select(UsageDay.kind).where(UsageDay.person_id == org.id("t1"))))
    assert kinds == ["created:opportunity", "logged-in"]
    t5 = db.session.scalars(select(UsageDay).where(UsageDay.person_id == org.id("t5"))).all()
    assert [row.count for row in t5] == [0]  # the voided statement is taken out again
    assert db.session.get(PersonState, org.id("t5")).last_used_on is None


def test_adoption_by_team(org):
    rows, total = report.adoption_rows("team")
    by = {r.label: (r.people, r.required, r.trained, r.active_7, r.active_28) for r in rows}
    assert by == {"MARIA": (5, 5, 3, 3, 3), "OMAR": (1, 1, 1, 0, 1)}
    assert (total.required, total.trained, total.active_7, total.active_28) == (6, 4, 3, 4)
    assert total.adoption == 0.5
    assert report.adoption_on(utcnow().date()) == 50.0


def test_the_two_lists(org):
    assert _names(report.trained_not_using()) == ["O1", "T2"]
    assert _names(report.using_not_trained()) == ["T3"]
    assert _names(report.trained_not_using(manager_id=org.id("maria"))) == ["T2"]


def test_adkar_scores_per_person(org):
    def scores(key):
        s = db.session.get(PersonState, org.id(key))
        return (s.awareness, s.desire_score, s.knowledge, s.ability, s.reinforcement)

    # t1: opened the one announcement (5), wants it little (2), knows and can (5, 5), trained and using the CRM
    # this week after training (1 + 1 + 1 + 1 = 4).
    assert scores("t1") == (5, 2, 5, 5, 4)
    assert scores("t2") == (5, None, 5, 5, 2)  # trained, never used it; never answered the pulse
    assert scores("t3") == (1, None, 1, 1, 1)  # did not open the announcement; nothing done
    assert scores("o1") == (5, 5, 5, 5, 2)  # used the CRM only before training


def test_readiness_by_team_and_its_barrier(org):
    teams = {t.manager_name: t for t in report.readiness_by_team()}
    maria, omar = teams["MARIA"], teams["OMAR"]
    assert maria.scores["awareness"] == 4.2  # (5 + 5 + 1 + 5 + 5) / 5: above 3, so not the barrier
    assert maria.scores["desire"] == 2.0 and maria.barrier == "desire"
    # Knowledge: t1, t2, t4 = 5, t3, t5 = 1 -> 3.4. Reinforcement: t1 4, t2 2, t3 1, t4 2 (its use was before
    # training, which it completed today), t5 1 -> 2.0.
    assert maria.scores["knowledge"] == 3.4 and maria.scores["reinforcement"] == 2.0
    assert omar.barrier == "reinforcement" and omar.scores["reinforcement"] == 2.0
    assert "Recognise" in omar.action


def test_crm_statements_posted_over_http_show_in_the_report_page(org, client):
    login(client, org.people["maria"])
    page = client.get("/adoption/").get_data(as_text=True)
    assert "T2" in page and "T3" in page  # the two lists of her team
    assert "60%" in page  # her team: 3 of 5 active this week


def test_usage_csv_problems_are_listed_by_line_and_nothing_is_written(org):
    from adoption.usage import UsageCsvError, import_csv

    before = db.session.scalar(select(db.func.count()).select_from(UsageDay))
    bad = ("person,date,kind,count\n"
           f"E-t1,{utcnow().date()},logged-in,2\n"
           "nobody@example.com,2026-01-01,logged-in,1\n"
           "E-t2,yesterday,logged-in,1\n"
           "E-t2,2026-01-01,logged-in,-4\n")
    try:
        import_csv(bad.encode())
    except UsageCsvError as error:
        assert [p.line for p in error.problems] == [3, 4, 5]
    else:
        raise AssertionError("the CSV was accepted")
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(UsageDay)) == before


def test_the_trend_by_week(org):
    today = utcnow().date()
    # This week: t1, t3, t4 of 6 required; the week before (13 to 7 days ago): only o1 (10 days ago).
    assert report.trend(3, today) == [(today - timedelta(days=14), 0.0), (today - timedelta(days=7), 16.7),
                                      (today, 50.0)]
    assert report.trend(1, today, manager_id=org.id("omar")) == [(today, 0.0)]
