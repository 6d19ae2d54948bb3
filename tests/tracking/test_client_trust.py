"""Per-client trust: an admin decides which LRS clients' statements count toward progress; the others are stored and
served but feed no projection. Each progress row says who sent the statements it is made of."""
from __future__ import annotations

import re

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.extensions import db
from tests.conftest import login, post_form
from tests.tracking.conftest import SITE, Xapi, make_client, statement
from tracking.models import LrsClient, Progress
from tracking.services_derive import derive_due
from tracking.services_progress import rebuild


def progress(activity: str, email: str = "ann@example.com") -> Progress | None:
    derive_due()
    db.session.expire_all()
    return db.session.scalar(select(Progress).where(Progress.agent_key == f"mbox|mailto:{email}",
                                                    Progress.activity_id == SITE + activity))


def test_a_clients_statements_count_by_default_and_rows_name_their_source(lrs):
    assert db.session.scalar(select(LrsClient.counts_toward_progress).where(LrsClient.key == lrs.key)) is True
    lrs.post_statements(statement(verb="passed", activity="quiz-1", result={"success": True}))
    row = progress("quiz-1")
    assert row.status == "passed" and row.source == "Authoring tool"


def test_an_admin_stops_a_client_counting_its_statements_stay_and_rows_are_recomputed(app, client, factory):
    crm = Xapi(app.test_client(), *make_client(name="CRM"))
    tool = Xapi(app.test_client(), *make_client(name="Authoring tool"))
    passed = statement(verb="passed", activity="quiz-1", result={"success": True, "score": {"scaled": 1.0}})
    crm.post_statements(passed)
    tool.post_statements(statement(verb="attempted", activity="quiz-1"))
    row = progress("quiz-1")
    assert (row.status, row.source) == ("passed", "Authoring tool, CRM")

    admin = factory.person(permissions=["admin"])
    login(client, admin)
    listing = client.get("/tracking/clients").get_data(as_text=True)
    crm_id = db.session.scalar(select(LrsClient.id).where(LrsClient.name == "CRM"))
    assert f"/tracking/clients/{crm_id}/progress" in listing
    response = post_form(client, f"/tracking/clients/{crm_id}/progress", {"counts": "0"},
                         form_url="/tracking/clients", follow_redirects=True)
    assert "no longer count toward progress. 1 progress row(s) recomputed." in response.get_data(as_text=True)
    row = progress("quiz-1")
    assert (row.status, row.best_score, row.source) == ("attempted", None, "Authoring tool")
    # Stored and served all the same; new statements from it are stored but not projected either.
    assert crm.get("statements", statementId=passed["id"]).json["id"] == passed["id"]
    later = statement(verb="passed", activity="quiz-2", result={"success": True})
    assert crm.post_statements(later).status_code == 200
    assert progress("quiz-2") is None
    assert crm.get("statements", verb="http://adlnet.gov/expapi/verbs/passed").json["statements"]
    before = sorted((p.activity_id, p.status, p.source) for p in db.session.scalars(select(Progress)))
    rebuild()
    db.session.commit()
    assert sorted((p.activity_id, p.status, p.source) for p in db.session.scalars(select(Progress))) == before
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "lrs_client.counts_toward_progress"))
    assert event.actor_id == admin.id and event.details["counts"] is False and event.details["name"] == "CRM"
    # Counting again brings its statements back, the past ones included.
    post_form(client, f"/tracking/clients/{crm_id}/progress", {"counts": "1"}, form_url="/tracking/clients")
    assert (progress("quiz-1").status, progress("quiz-1").source) == ("passed", "Authoring tool, CRM")
    assert progress("quiz-2").status == "passed"
    # Admins see each row's source on the person's learning records.
    page = client.get("/tracking/", query_string={"person": "ann@example.com"}).get_data(as_text=True)
    assert re.search(r"quiz-1</td><td>passed</td>.*?<td>Authoring tool, CRM</td>", page, re.S)


def test_rapports_own_statements_count_whatever_the_clients(app):
    from tracking.services import store_statements
    from tracking.services_clients import SYSTEM

    store_statements([statement(verb="completed", activity="lesson-1")], principal=SYSTEM)
    db.session.commit()
    row = progress("lesson-1")
    assert (row.status, row.source) == ("completed", "Rapport")
