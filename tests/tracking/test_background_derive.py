"""An LRS served without ``flask lms worker``: the web process derives what it stored in a background thread, and a
read derives only when it reads derived data (a filtered query), not for an unfiltered page or a statement by id."""
from __future__ import annotations

import time

from lms.extensions import db
from tests.tracking.conftest import ADL, Xapi, make_client, statement
from tracking.services_derive import pending_count


def _pending() -> int:
    db.session.expire_all()
    count = pending_count()
    db.session.rollback()
    return count


def test_the_web_process_derives_in_the_background_without_a_worker(make_app):
    app = make_app(LMS_XAPI_BACKGROUND_DERIVE=True)
    with app.app_context():
        lrs = Xapi(app.test_client(), *make_client())
        sent = [statement(verb="completed", activity=f"lesson-{n}") for n in range(30)]
        assert lrs.post_statements(sent).status_code == 200
        deadline = time.monotonic() + 60
        while _pending() and time.monotonic() < deadline:  # waits for the thread; nothing here derives
            time.sleep(0.05)
        assert _pending() == 0
        db.session.remove()


def test_unfiltered_pages_and_single_statements_do_not_derive_but_filtered_queries_do(lrs):
    sent = [statement(verb="completed", activity=f"lesson-{n}") for n in range(3)]
    lrs.post_statements(sent)
    assert _pending() == 3
    page = lrs.get("statements")
    assert {s["id"] for s in page.json["statements"]} == {s["id"] for s in sent}  # the log has them all
    assert lrs.get("statements", statementId=sent[0]["id"]).status_code == 200
    assert _pending() == 3
    filtered = lrs.get("statements", verb=ADL + "completed")
    assert len(filtered.json["statements"]) == 3 and _pending() == 0
