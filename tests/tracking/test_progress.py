"""Progress projections per person and activity: updated as statements arrive, voids undone, rebuilt identically."""
from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from lms.extensions import db
from tests.tracking.conftest import ADL, SITE, statement
from tracking.models import PendingStatement, Progress
from tracking.services_derive import derive_due, derive_pending


def _worker_step() -> None:
    """What ``flask lms worker`` does each round: derive a chunk of pending statements."""
    derive_due()


def _rows() -> list[tuple]:
    _worker_step()
    db.session.expire_all()
    return sorted((p.agent_key, p.activity_id, p.person_id, p.status, p.best_score, p.attempts, p.first_at,
                   p.last_at, p.completed_at) for p in db.session.scalars(select(Progress)))


def _progress(activity: str, email: str = "ann@example.com") -> Progress | None:
    _worker_step()
    db.session.expire_all()
    return db.session.scalar(select(Progress).where(Progress.agent_key == f"mbox|mailto:{email}",
                                                    Progress.activity_id == SITE + activity))


def _at(minutes: int) -> str:
    return (datetime(2026, 11, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)).isoformat()


def test_quiz_attempts_scores_and_completion_are_projected_as_statements_arrive(lrs, factory):
    ann = factory.person(email="ann@example.com")
    lrs.post_statements(statement(verb="attempted", activity="quiz-1", timestamp=_at(0)))
    row = _progress("quiz-1")
    assert (row.status, row.attempts, row.person_id, row.best_score) == ("attempted", 1, ann.id, None)
    lrs.post_statements(statement(verb="failed", activity="quiz-1", timestamp=_at(5),
                                  result={"score": {"scaled": 0.4}, "success": False, "completion": True}))
    lrs.post_statements(statement(verb="attempted", activity="quiz-1", timestamp=_at(10)))
    lrs.post_statements(statement(verb="passed", activity="quiz-1", timestamp=_at(15),
                                  result={"score": {"raw": 9, "min": 0, "max": 10}, "success": True}))
    row = _progress("quiz-1")
    assert (row.status, row.attempts, row.best_score) == ("passed", 2, 0.9)
    assert row.first_at.isoformat() == _at(0) and row.last_at.isoformat() == _at(15)
    assert row.completed_at.isoformat() == _at(5)


def test_voiding_undoes_what_the_statement_contributed(lrs):
    lrs.post_statements(statement(verb="experienced", activity="lesson-1", timestamp=_at(0)))
    completed = statement(verb="completed", activity="lesson-1", timestamp=_at(3))
    lrs.post_statements(completed)
    assert _progress("lesson-1").status == "completed"
    voiding = statement(verb="voided")
    voiding["object"] = {"objectType": "StatementRef", "id": completed["id"]}
    lrs.post_statements(voiding)
    row = _progress("lesson-1")
    assert row.status == "attempted" and row.completed_at is None and row.last_at.isoformat() == _at(0)


def test_statements_from_outside_count_for_the_person_with_that_account(lrs, factory, app):
    bo = factory.person(email="bo@example.com", employee_id="E42")
    home = app.config["LMS_BASE_URL"]
    lrs.post_statements(statement(actor={"account": {"homePage": home, "name": "E42"}}, verb="completed",
                                  activity="crm-logged-first-case"))
    _worker_step()
    row = db.session.scalar(select(Progress).where(Progress.activity_id == SITE + "crm-logged-first-case"))
    assert row.person_id == bo.id and row.status == "completed"


def _history(seed: int) -> list[dict]:
    rng = random.Random(seed)
    learners = [f"learner{n}@example.com" for n in range(6)]
    activities = [f"unit-{n}" for n in range(5)]
    verbs = ["attempted", "experienced", "completed", "passed", "failed", "launched"]
    history = []
    for _minute in range(160):
        verb = rng.choice(verbs)
        extra = {}
        if verb in ("passed", "failed"):
            extra["result"] = {"score": {"scaled": round(rng.random(), 2)}, "success": verb == "passed"}
        history.append(statement(email=rng.choice(learners), verb=verb, activity=rng.choice(activities),
                                 timestamp=_at(rng.randint(0, 600)), **extra))
        if history and rng.random() < 0.12:
            target = rng.choice(history)
            if target["verb"]["id"] != ADL + "voided":
                voiding = statement(email="admin@example.com", verb="voided")
                voiding["id"] = str(uuid.uuid4())
                voiding["object"] = {"objectType": "StatementRef", "id": target["id"]}
                history.append(voiding)
    return history


def test_rebuild_from_the_log_gives_the_same_rows_as_incremental_updates(lrs, app):
    history = _history(seed=7)
    voided = {s["object"]["id"] for s in history if s["verb"]["id"] == ADL + "voided"}
    rng = random.Random(3)
    for start in range(0, len(history), 7):  # arrive in small batches, voids interleaved
        chunk = history[start:start + 7]
        ids = {s["id"] for s in chunk}
        chunk = [s for s in chunk if s["verb"]["id"] != ADL + "voided" or s["object"]["id"] not in ids]
        assert lrs.post_statements(chunk).status_code == 200
        if rng.random() < 0.5:  # derived batch by batch, or several batches in one chunk
            _worker_step()
    for s in history:  # voids whose target came in the same batch
        if s["verb"]["id"] == ADL + "voided":
            lrs.post_statements(s)
    incremental = _rows()
    assert voided and len(incremental) > 10
    result = app.test_cli_runner().invoke(args=["lms", "tracking", "rebuild"])
    assert result.exit_code == 0 and f"Rebuilt {len(incremental)} progress row(s)" in result.output
    assert _rows() == incremental


def test_concurrent_requests_keep_projections_exact(app, lrs):
    """Eight LRS clients post at once about the same people and activities, over real HTTP, while two workers
    derive what arrives."""
    import threading
    import time

    import httpx

    from tests.tracking.peer import serve

    batches = [[statement(email=f"p{n % 3}@example.com", verb="attempted", activity=f"unit-{n % 4}")
                for n in range(start, start + 20)] for start in range(0, 320, 20)]
    failures = []
    posting = threading.Event()

    def worker():
        with app.app_context():
            while derive_pending(30) or posting.is_set():
                time.sleep(0.005)
            db.session.remove()

    posting.set()
    workers = [threading.Thread(target=worker) for _ in range(2)]
    for thread in workers:
        thread.start()
    with serve(app) as url:
        def post(mine):
            with httpx.Client(base_url=url, headers=lrs.headers()) as http:
                for batch in mine:
                    response = http.post("/xapi/statements", json=batch)
                    if response.status_code != 200:
                        failures.append(response.text)

        threads = [threading.Thread(target=post, args=(batches[n::8],)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    posting.clear()
    for thread in workers:
        thread.join(120)
    assert failures == []
    assert db.session.scalar(select(func.count()).select_from(PendingStatement)) == 0
    incremental = _rows()
    assert sum(row[5] for row in incremental) == 320  # every attempt counted once
    app.test_cli_runner().invoke(args=["lms", "tracking", "rebuild"])
    assert _rows() == incremental


def test_a_row_from_before_the_counts_is_recomputed_when_next_touched(lrs):
    lrs.post_statements(statement(verb="attempted", activity="quiz-9", timestamp=_at(0)))
    lrs.post_statements(statement(verb="attempted", activity="quiz-9", timestamp=_at(1)))
    _worker_step()
    db.session.execute(update(Progress).values(starts=None, assessed=None, attempts=0))  # as revision 0002 left it
    db.session.commit()
    lrs.post_statements(statement(verb="passed", activity="quiz-9", timestamp=_at(2), result={"success": True}))
    row = _progress("quiz-9")
    assert (row.status, row.attempts, row.starts, row.assessed) == ("passed", 2, 2, 1)


def test_statements_from_outside_count_for_the_person_whatever_the_email_case_or_account(lrs, factory):
    ann = factory.person(email="ann@example.com", employee_id="E-100")
    lrs.post_statements(statement(email="Ann@Example.com", verb="completed", activity="crm-onboarding"))
    crm = statement(verb="completed", activity="crm-dashboard")
    crm["actor"] = {"objectType": "Agent", "account": {"homePage": "http://localhost", "name": "E-100"}}
    no_employee_id = factory.person(email="bo@example.com", employee_id=None)
    no_employee_id.employee_id = None
    db.session.commit()
    rapport_account = statement(verb="completed", activity="crm-search")  # how Rapport names someone without one
    rapport_account["actor"] = {"objectType": "Agent",
                                "account": {"homePage": "http://localhost/people", "name": str(no_employee_id.id)}}
    lrs.post_statements([crm, rapport_account])
    _worker_step()
    db.session.expire_all()
    owners = {p.activity_id.rsplit("/", 1)[-1]: p.person_id for p in db.session.scalars(select(Progress))}
    assert owners == {"crm-onboarding": ann.id, "crm-dashboard": ann.id, "crm-search": no_employee_id.id}


def test_progress_recorded_before_someone_joins_becomes_theirs_when_they_join(lrs, app):
    from lms.people.services import PersonInfo, create_person

    lrs.post_statements(statement(email="new.hire@example.com", verb="experienced", activity="crm-tour"))
    row = _progress("crm-tour", "new.hire@example.com")
    assert row.person_id is None  # nobody Rapport knows yet: the CRM sent it first
    joined = create_person(PersonInfo(name="New Hire", email="new.hire@example.com"), actor_id=None)
    db.session.commit()
    assert _progress("crm-tour", "new.hire@example.com").person_id == joined.id
