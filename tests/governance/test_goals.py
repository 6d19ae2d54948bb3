"""Program goals: the status rule, branch by branch; values by form, CSV (line-numbered errors, all or nothing)
and the token-authenticated JSON endpoint; every change in the audit log."""
from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from sqlalchemy import select

from governance import services_goals as goals
from governance import services_tokens as tokens
from governance.models import Goal, GoalValue
from lms.audit.models import AuditEvent
from lms.errors import DomainError
from lms.extensions import db
from tests.conftest import login, post_form

TODAY = date(2026, 6, 1)


def make_goal(direction="up", baseline=20.0, target=60.0, values=(), key="self-service", deadline=date(2026, 12, 1),
              baseline_on=date(2026, 1, 1)) -> Goal:
    goal = Goal(key=key, title="Self-service share", metric="share of requests", unit="%", baseline=baseline,
                baseline_on=baseline_on, target=target, deadline=deadline, direction=direction)
    goal.values = [GoalValue(measured_on=day, value=value, source="form") for day, value in values]
    return goal


def status(goal, training=(90, 100), on=TODAY):
    return goals.goal_status(goal, on=on, training=training)


# --- the rule, branch by branch (baseline 20 on 1 Jan, target 60 on 1 Dec; 1 June is 151 of 334 days in) -------

def test_on_track_when_the_trend_reaches_the_target_and_training_is_at_least_80_percent():
    goal = make_goal(values=[(date(2026, 2, 1), 25), (date(2026, 4, 1), 35), (date(2026, 6, 1), 45)])
    result = status(goal, training=(80, 100))
    assert result.status == "on_track"
    assert result.projected == pytest.approx(75.55, abs=0.01)  # least squares: 35 + 1200/7200.67 * (334 - 90.67)
    assert result.projected_share >= 1


def test_at_risk_when_the_trend_reaches_the_target_but_training_is_between_50_and_80_percent():
    goal = make_goal(values=[(date(2026, 2, 1), 25), (date(2026, 4, 1), 35), (date(2026, 6, 1), 45)])
    result = status(goal, training=(79, 100))
    assert result.status == "at_risk"
    assert "Linked training 79% completed (79 of 100)." in result.reasons


def test_at_risk_when_the_trend_covers_between_half_and_all_of_the_way():
    goal = make_goal(values=[(date(2026, 2, 1), 22), (date(2026, 6, 1), 30)])  # +2 a month: 43 at the deadline
    result = status(goal)
    assert result.status == "at_risk" and 0.5 <= result.projected_share < 1


def test_off_track_when_the_trend_covers_less_than_half_of_the_way():
    goal = make_goal(values=[(date(2026, 2, 1), 21), (date(2026, 6, 1), 23)])
    assert status(goal).status == "off_track"


def test_off_track_when_linked_training_is_below_half_even_with_a_good_trend():
    goal = make_goal(values=[(date(2026, 2, 1), 25), (date(2026, 4, 1), 35), (date(2026, 6, 1), 45)])
    assert status(goal, training=(49, 100)).status == "off_track"


def test_off_track_when_the_deadline_passed_without_reaching_the_target():
    goal = make_goal(values=[(date(2026, 11, 30), 58)])
    result = status(goal, on=date(2026, 12, 2))
    assert result.status == "off_track" and result.reasons == ("The deadline passed without reaching the target.",)
    reached = make_goal(values=[(date(2026, 11, 30), 61)])
    assert status(reached, on=date(2026, 12, 2)).status == "on_track"


def test_lower_is_better_goals_are_measured_downwards():
    goal = make_goal(direction="down", baseline=18, target=10,
                     values=[(date(2026, 2, 1), 17), (date(2026, 4, 1), 15), (date(2026, 6, 1), 13)])
    assert status(goal).status == "on_track"
    worse = make_goal(direction="down", baseline=18, target=10, values=[(date(2026, 2, 1), 18), (date(2026, 6, 1), 19)])
    assert status(worse).status == "off_track"


def test_a_single_value_compares_the_way_covered_with_the_time_elapsed():
    elapsed = (TODAY - date(2026, 1, 1)).days / (date(2026, 12, 1) - date(2026, 1, 1)).days  # 151/334
    ahead = make_goal(values=[(date(2026, 5, 1), 20 + 40 * elapsed + 1)])
    assert status(ahead).status == "on_track"
    half = make_goal(values=[(date(2026, 5, 1), 20 + 40 * elapsed * 0.6)])  # 60% of the pace
    assert status(half).status == "at_risk"
    slow = make_goal(values=[(date(2026, 5, 1), 20 + 40 * elapsed * 0.4)])
    assert status(slow).status == "off_track"
    assert "One value:" in status(slow).reasons[0]


def test_no_value_yet_is_at_risk_and_no_linked_training_is_ignored():
    assert status(make_goal()).status == "at_risk"
    goal = make_goal(values=[(date(2026, 2, 1), 25), (date(2026, 4, 1), 35), (date(2026, 6, 1), 45)])
    result = status(goal, training=(0, 0))
    assert result.status == "on_track" and "No linked training is required of anyone." in result.reasons


def test_the_rule_shown_names_the_thresholds_computed():
    assert goals.ON_TRACK_TRAINING == 0.8 and goals.OFF_TRACK_TRAINING == 0.5 and goals.OFF_TRACK_PROJECTION == 0.5
    assert "at least 80%" in goals.RULE and "below 50%" not in goals.RULE and "less than 50%" in goals.RULE
    assert "less than half of the way" in goals.RULE and "single value" in goals.RULE


# --- saving goals and values ----------------------------------------------------------------------------------

def _info(**overrides) -> goals.GoalInfo:
    values = {"key": "self-service", "title": "Self-service share 60%", "metric": "share of requests", "unit": "%",
              "baseline": 20.0, "baseline_on": date(2026, 1, 1), "target": 60.0, "deadline": date(2027, 12, 1)}
    values.update(overrides)
    return goals.GoalInfo(**values)


def test_a_goal_must_be_measurable(app):
    for overrides, message in (({"target": 20.0}, "must differ"), ({"direction": "down"}, "must be lower"),
                               ({"deadline": date(2025, 1, 1)}, "deadline must come after"),
                               ({"key": "Not a key"}, "lowercase"), ({"metric": " "}, "metric")):
        with pytest.raises(DomainError, match=message):
            goals.save_goal(_info(**overrides), goal=None, actor_id=None)
    goal = goals.save_goal(_info(), goal=None, actor_id=None)
    with pytest.raises(DomainError, match="already has the key"):
        goals.save_goal(_info(title="Another"), goal=None, actor_id=None)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target == goal.key)) == "goal.create"


def test_recording_values_replaces_the_same_day_and_is_audited(app):
    goal = goals.save_goal(_info(), goal=None, actor_id=None)
    goals.record_values(goal, [goals.ValueInfo(date(2026, 2, 1), 25)], source="form")
    goals.record_values(goal, [goals.ValueInfo(date(2026, 2, 1), 26, "corrected")], source="form")
    assert [(v.measured_on, v.value, v.note) for v in goal.values] == [(date(2026, 2, 1), 26.0, "corrected")]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "goal_value.record")
                                .order_by(AuditEvent.id)).all()
    assert [(e.details["value"], e.details["before"]) for e in events] == [(25.0, None), (26.0, 25.0)]
    with pytest.raises(DomainError, match="before the baseline"):
        goals.record_values(goal, [goals.ValueInfo(date(2025, 2, 1), 1)], source="form")


CSV_OK = b"goal,date,value,note\nself-service,2026-02-01,25,first\nself-service,2026-03-01,\"1,029\",\n"


def test_csv_import_records_every_line_or_nothing(app):
    goal = goals.save_goal(_info(), goal=None, actor_id=None)
    db.session.commit()
    bad = (b"goal,date,value\nself-service,2026-02-01,25\nnope,2026-02-01,3\nself-service,01/03/2026,4\n"
           b"self-service,2026-04-01,lots\nself-service,2999-01-01,5\nself-service,2026-02-01,26\n")
    with pytest.raises(goals.CsvRejected) as rejected:
        goals.import_values_csv(bad, actor_id=None)
    assert [(p.line, p.message) for p in rejected.value.problems] == [
        (3, "no goal has the key 'nope'"), (4, "date '01/03/2026' is not YYYY-MM-DD"),
        (5, "the value must be a number"), (6, "2999-01-01 is in the future"),
        (7, "self-service on 2026-02-01 is already on line 2")]
    db.session.rollback()
    assert db.session.scalars(select(GoalValue)).all() == []
    assert goals.import_values_csv(CSV_OK, actor_id=None) == 2
    assert [(v.value, v.source) for v in goal.values] == [(25.0, "csv"), (1029.0, "csv")]
    with pytest.raises(goals.CsvRejected, match="nothing was recorded") as missing:
        goals.import_values_csv(b"when,value\n2026-01-01,3\n", goal=goal)
    assert missing.value.problems[0].message.startswith("the header must name the columns date, value")


def test_csv_import_page_lists_problems_by_line(app, client, factory):
    goals.save_goal(_info(), goal=None, actor_id=None)
    db.session.commit()
    login(client, factory.person(permissions=["program_office"]))
    response = post_form(client, "/governance/goals/import", {
        "file": (BytesIO(b"goal,date,value\nself-service,2026-02-01,x\n"), "values.csv")},
        form_url="/governance/goals", content_type="multipart/form-data")
    assert response.status_code == 400
    assert "values.csv:2: the value must be a number" in response.get_data(as_text=True)
    response = post_form(client, "/governance/goals/import", {"file": (BytesIO(CSV_OK), "values.csv")},
                         form_url="/governance/goals", content_type="multipart/form-data")
    assert response.status_code == 302
    assert len(db.session.scalars(select(GoalValue)).all()) == 2


# --- the JSON endpoint ---------------------------------------------------------------------------------------

def test_the_json_endpoint_records_values_with_a_token_and_refuses_without(app, client):
    goal = goals.save_goal(_info(), goal=None, actor_id=None)
    new = tokens.create_token("Power BI", actor_id=None)
    db.session.commit()
    url = f"/api/governance/goals/{goal.key}/values"
    body = {"values": [{"date": "2026-02-01", "value": 25}, {"date": "2026-03-01", "value": 31.5, "note": "BI"}]}
    refused = client.post(url, json=body)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post(url, json=body, headers={"Authorization": "Bearer rpt_0000000000000000_" + "x" * 43}
                       ).status_code == 401
    auth = {"Authorization": f"Bearer {new.secret}"}
    answer = client.post(url, json=body, headers=auth)
    assert answer.status_code == 200, answer.json
    assert answer.json["recorded"] == 2 and answer.json["status"] in ("on_track", "at_risk", "off_track")
    db.session.expire_all()
    assert [(v.value, v.source, v.token_id) for v in db.session.get(Goal, goal.id).values] == [
        (25.0, "api", new.token.id), (31.5, "api", new.token.id)]
    bad = client.post(url, json={"values": [{"date": "2026-04-01", "value": "a lot"}]}, headers=auth)
    assert bad.status_code == 400 and bad.json["error"] == "values[0].value must be a number."
    assert client.post("/api/governance/goals/nope/values", json=body, headers=auth).status_code == 404
    listed = client.get("/api/governance/goals", headers=auth).json
    assert [g["key"] for g in listed["goals"]] == ["self-service"] and listed["goals"][0]["latest"]["value"] == 31.5
    tokens.revoke_token(new.token.id, actor_id=None)
    db.session.commit()
    assert client.post(url, json=body, headers=auth).status_code == 401
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("goal_value.record") == 2 and "api_token.create" in actions and "api_token.revoke" in actions


def test_tokens_are_stored_hashed_and_shown_once(app, client, factory):
    admin = factory.person(permissions=["admin"])
    login(client, admin)
    page = post_form(client, "/governance/tokens", {"name": "CRM nightly job"}).get_data(as_text=True)
    token = db.session.scalar(select(tokens.ApiToken))
    secret = page.split('id="token-value" class="copyable">')[1].split("<")[0]
    assert secret.startswith(f"rpt_{token.key}_") and secret.split("_", 2)[2] not in token.secret_hash
    assert "curl -X POST http://localhost/api/governance/goals/" in page and secret in page
    assert secret not in client.get("/governance/tokens").get_data(as_text=True)  # shown once
    assert tokens.authenticate(secret).name == "CRM nightly job" and tokens.authenticate(secret + "x") is None
