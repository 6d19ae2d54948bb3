"""Statements posted to /xapi/ are acknowledged once stored; what is derived from them (query keys, activity
definitions, progress) comes after: by the worker, and by any reader before it reads."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import delete, func, select, update

from lms.extensions import db
from lms.migrate import alembic_config
from tests.tracking.conftest import SITE, statement
from tracking import services, services_derive
from tracking.models import PendingStatement, Progress, Statement, StatementKey
from tracking.services import store_statements
from tracking.services_clients import SYSTEM
from tracking.xapi_data import actor_key, pair_key


def _pending() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(PendingStatement))


def _keys_of(statement_id: str) -> int:
    return db.session.scalar(select(func.count()).select_from(StatementKey).join(
        Statement, Statement.seq == StatementKey.seq).where(Statement.id == statement_id))


def _stored(response) -> datetime:
    return datetime.fromisoformat(response.json["stored"])


def test_posted_statements_are_stored_at_once_and_derived_by_the_worker(lrs, app):
    sent = [statement(verb="completed", activity="crm-first-opportunity"), statement(email="bo@example.com")]
    assert lrs.post_statements(sent).status_code == 200
    assert _pending() == 2 and _keys_of(sent[0]["id"]) == 0
    assert db.session.scalar(select(func.count()).select_from(Progress)) == 0
    assert lrs.get("statements", statementId=sent[0]["id"]).status_code == 200  # the log itself answers at once

    result = app.test_cli_runner().invoke(args=["lms", "worker", "--once"])
    assert result.exit_code == 0 and "tracking: derived 2 statement(s)" in result.output
    assert _pending() == 0 and _keys_of(sent[0]["id"]) > 0
    row = db.session.scalar(select(Progress).where(Progress.activity_id == SITE + "crm-first-opportunity"))
    assert row.status == "completed" and row.agent_key == "mbox|mailto:ann@example.com"


def test_a_filtered_query_derives_what_is_pending_before_it_reads(lrs):
    sent = statement(verb="shared", activity="forecast-tips")
    lrs.post_statements(sent)
    assert _pending() == 1
    got = lrs.get("statements", verb="http://adlnet.gov/expapi/verbs/shared")
    assert [s["id"] for s in got.json["statements"]] == [sent["id"]]
    assert _pending() == 0
    stored = _stored(lrs.get("statements", statementId=sent["id"]))
    through = datetime.fromisoformat(got.headers["X-Experience-API-Consistent-Through"])
    assert abs(through - (stored - services_derive.SETTLE)) < timedelta(seconds=5)  # nothing pending: now - SETTLE
    activity = lrs.get("activities", activityId=SITE + "forecast-tips").json
    assert activity["definition"]["name"] == {"en-US": "forecast-tips"}


def test_consistent_through_stays_before_the_first_statement_still_pending(lrs, monkeypatch):
    first = statement(verb="shared", activity="a")
    lrs.post_statements(first)
    services_derive.catch_up()
    monkeypatch.setattr(services_derive, "catch_up", lambda most=None: None)  # a backlog beyond the reader's bound
    second = statement(verb="shared", activity="b")
    lrs.post_statements(second)
    got = lrs.get("statements", verb="http://adlnet.gov/expapi/verbs/shared")
    assert [s["id"] for s in got.json["statements"]] == [first["id"]]  # not in the query keys yet
    through = datetime.fromisoformat(got.headers["X-Experience-API-Consistent-Through"])
    second_stored = _stored(lrs.get("statements", statementId=second["id"]))
    assert through == second_stored - services_derive.SETTLE  # stores still committing may be that far behind
    posted = lrs.post_statements(statement())  # every response to a Statements request carries it
    assert datetime.fromisoformat(posted.headers["X-Experience-API-Consistent-Through"]) == through


def test_a_deriver_that_fails_leaves_its_statements_pending_and_writes_nothing(lrs, app, monkeypatch):
    sent = [statement(verb="completed", activity="unit-1"), statement(verb="completed", activity="unit-2")]
    lrs.post_statements(sent)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services_derive, "project", broken)
    result = app.test_cli_runner().invoke(args=["lms", "worker", "--once"])
    assert "tracking: failed: RuntimeError: disk full" in result.output
    assert _pending() == 2 and _keys_of(sent[0]["id"]) == 0  # the key rows went with the rollback

    monkeypatch.undo()
    assert services_derive.derive_pending() == 2
    assert _pending() == 0 and _keys_of(sent[0]["id"]) > 0 and _keys_of(sent[1]["id"]) > 0


def test_rapport_s_own_learning_events_are_derived_in_their_own_transaction(app):
    body = statement(verb="completed", activity="lesson-9")
    store_statements([body], principal=SYSTEM)
    db.session.commit()
    assert _pending() == 0 and _keys_of(body["id"]) > 0
    assert db.session.scalar(select(Progress.status).where(Progress.activity_id == SITE + "lesson-9")) == "completed"


@pytest.mark.usefixtures("app")
def test_the_migration_gives_statements_stored_before_it_their_pair_keys():
    body = statement(verb="completed", activity="lesson-7")
    store_statements([body], principal=SYSTEM)
    db.session.commit()
    key = pair_key(actor_key(body["actor"]), body["object"]["id"])
    db.session.execute(delete(StatementKey).where(StatementKey.key == key))  # as stored before tracking_0002
    db.session.commit()
    db.session.remove()
    config = alembic_config()
    command.downgrade(config, "tracking_0001")
    command.upgrade(config, "heads")
    assert db.session.scalar(select(func.count()).select_from(StatementKey).where(StatementKey.key == key)) == 1
    command.downgrade(config, "tracking_0001")  # the pair keys stay: upgrading again keeps them, once each
    command.upgrade(config, "heads")
    assert db.session.scalar(select(func.count()).select_from(StatementKey).where(StatementKey.key == key)) == 1


@pytest.mark.usefixtures("app")
def test_downgrading_refuses_while_statements_wait_to_be_derived(lrs):
    lrs.post_statements(statement())
    db.session.remove()
    config = alembic_config()
    try:
        command.downgrade(config, "tracking_0002")
        with pytest.raises(RuntimeError, match="waiting to be derived"):
            command.downgrade(config, "tracking_0001")
    finally:
        db.session.rollback()
        command.upgrade(config, "heads")
    assert _pending() == 1


def test_a_batch_mixing_whole_and_fractional_scores_is_stored_and_projected(lrs):
    sent = [statement(verb="passed", activity="quiz-a", result={"score": {"scaled": 1}, "success": True}),
            statement(verb="failed", activity="quiz-b", result={"score": {"scaled": 0.25}, "success": False})]
    assert lrs.post_statements(sent).status_code == 200
    services_derive.catch_up()
    scores = dict(db.session.execute(select(Progress.activity_id, Progress.best_score)).all())
    assert scores == {SITE + "quiz-a": 1.0, SITE + "quiz-b": 0.25}


def test_deriving_a_voiding_statement_marks_a_target_its_store_did_not_see(lrs):
    """On PostgreSQL a statement and the one voiding it may be stored at the same moment, each unseen by the
    other; deriving the voiding statement marks the target all the same."""
    target = statement(verb="completed", activity="lesson-3")
    voiding = statement(verb="voided")
    voiding["object"] = {"objectType": "StatementRef", "id": target["id"]}
    lrs.post_statements(target)
    lrs.post_statements(voiding)
    db.session.execute(update(Statement).where(Statement.id == target["id"]).values(voided=False))  # the race
    db.session.commit()
    services_derive.catch_up()
    assert lrs.get("statements", statementId=target["id"]).status_code == 404
    assert lrs.get("statements", voidedStatementId=target["id"]).status_code == 200
    assert db.session.scalar(select(Progress).where(Progress.activity_id == SITE + "lesson-3")) is None


def test_a_statement_voided_by_a_voiding_statement_its_store_did_not_see_is_voided_when_derived(lrs, monkeypatch):
    """The other order of the race: the voiding statement is stored and derived first, its target's store does
    not see it; deriving the target marks it and keeps it out of progress."""
    target = statement(verb="completed", activity="lesson-4")
    voiding = statement(verb="voided")
    voiding["object"] = {"objectType": "StatementRef", "id": target["id"]}
    lrs.post_statements(voiding)
    services_derive.catch_up()
    monkeypatch.setattr(services, "apply_voids", lambda ids: set())  # the target's store misses the voider
    lrs.post_statements(target)
    monkeypatch.undo()
    services_derive.catch_up()
    assert lrs.get("statements", voidedStatementId=target["id"]).status_code == 200
    assert db.session.scalar(select(Progress).where(Progress.activity_id == SITE + "lesson-4")) is None


def test_a_statement_voided_after_it_was_loaded_is_not_counted(lrs, monkeypatch):
    """Another deriver voided it between this deriver loading it and taking the lock (PostgreSQL)."""
    kept, voided = statement(verb="attempted", activity="quiz-5"), statement(verb="passed", activity="quiz-5")
    lrs.post_statements([kept, voided])
    db.session.execute(update(Statement).where(Statement.id == voided["id"]).values(voided=True))
    db.session.commit()
    load = services_derive._load
    monkeypatch.setattr(services_derive, "_load", lambda seqs: [(s, b, False, c) for s, b, _, c in load(seqs)])  # stale
    services_derive.catch_up()
    row = db.session.scalar(select(Progress).where(Progress.activity_id == SITE + "quiz-5"))
    assert (row.status, row.attempts) == ("attempted", 1)


def test_a_statement_that_cannot_be_derived_is_set_aside_and_the_others_go_through(lrs, client, factory,
                                                                                    monkeypatch):
    from tests.conftest import login, post_form

    unreadable, failing = statement(activity="lesson-1"), statement(activity="lesson-poison")
    good = [statement(activity=f"lesson-{n}") for n in range(2, 6)]
    assert lrs.post_statements([unreadable, failing, *good]).status_code == 200
    intact = db.session.scalar(select(Statement.body).where(Statement.id == unreadable["id"]))
    db.session.execute(update(Statement).where(Statement.id == unreadable["id"]).values(body='{"cut short'))
    db.session.commit()
    merge = services_derive._merge_activities  # a bug that only this statement's activity meets

    def buggy(items):
        if any(SITE + "lesson-poison" in item.definitions for item in items):
            raise KeyError("lesson-poison")
        merge(items)

    monkeypatch.setattr(services_derive, "_merge_activities", buggy)
    found = lrs.get("statements", activity=SITE + "lesson-3")  # the reader derives first, and is not held up
    assert found.status_code == 200 and [s["id"] for s in found.json["statements"]] == [good[1]["id"]]
    assert _pending() == 0 and all(_keys_of(s["id"]) for s in good)
    login(client, factory.person(permissions=["admin"]))
    page = client.get("/tracking/").get_data(as_text=True)
    assert "Could not be derived</dt><dd>2 statement(s)" in page
    assert unreadable["id"] in page and "JSONDecodeError" in page and "KeyError: &#39;lesson-poison&#39;" in page
    monkeypatch.setattr(services_derive, "_merge_activities", merge)  # the fix is deployed
    db.session.execute(update(Statement).where(Statement.id == unreadable["id"]).values(body=intact))
    db.session.commit()
    response = post_form(client, "/tracking/derive-failures/retry", {}, form_url="/tracking/")
    assert response.status_code == 302
    both = lrs.get("statements", agent='{"mbox": "mailto:ann@example.com"}')
    assert {unreadable["id"], failing["id"]} <= {s["id"] for s in both.json["statements"]}
    assert "Could not be derived</dt><dd>0 statement(s)" in client.get("/tracking/").get_data(as_text=True)


def test_statements_stored_by_an_earlier_version_in_looser_forms_are_still_derived_and_compared(lrs):
    sent = statement(activity="lesson-old", verb="completed", timestamp="2026-03-31T09:00:00Z")
    outside = statement(activity="lesson-odd")
    outside["actor"] = {"objectType": "Agent", "account": {"homePage": "http://localhost/people", "name": "9" * 25}}
    assert lrs.post_statements([sent, outside]).status_code == 200
    body = db.session.scalar(select(Statement.body).where(Statement.id == sent["id"]))
    db.session.execute(update(Statement).where(Statement.id == sent["id"]).values(  # as versions before 2026-12-02
        body=body.replace('"2026-03-31T09:00:00Z"', '"2026-03-31T09Z"')))  # accepted it
    db.session.commit()
    found = lrs.get("statements", activity=SITE + "lesson-old")
    assert found.status_code == 200 and [s["id"] for s in found.json["statements"]] == [sent["id"]]
    assert _pending() == 0 and not services_derive.derive_failures()[0]
    assert db.session.scalar(select(Progress.completed_at).where(
        Progress.activity_id == SITE + "lesson-old")).isoformat().startswith("2026-03-31T09:00")
    assert lrs.post_statements(sent).status_code == 200  # the same statement again: the same moment, no conflict
    assert db.session.scalar(select(Progress.person_id).where(Progress.activity_id == SITE + "lesson-odd")) is None
