"""Forwarding every statement to an external LRS over real HTTP (another Rapport LRS behind a failing proxy)."""
from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from lms.extensions import db
from lms.migrate import upgrade
from lms.types import utcnow
from tests.conftest import _make_app, login, post_form
from tests.tracking.conftest import Xapi, make_client, statement
from tests.tracking.peer import FaultyProxy, port_of, serve
from tests.tracking.test_attachments import BOUNDARY, _header, _multipart
from tracking import services_forward as forwarding
from tracking.models import OutboxEntry


@pytest.fixture(scope="module")
def external_lrs(tmp_path_factory, base_config):
    """Another Rapport instance (own SQLite database) serving its LRS over HTTP, with credentials."""
    folder = tmp_path_factory.mktemp("external-lrs")
    peer = _make_app({**base_config, "LMS_DATABASE_URL": f"sqlite:///{folder}/lrs.db",
                      "LMS_INSTANCE_PATH": str(folder)})
    with peer.app_context():
        upgrade()
        key, secret = make_client(name="Rapport forwarder")
    with serve(peer) as url:
        yield {"url": url, "key": key, "secret": secret}


@pytest.fixture()
def proxy(external_lrs):
    proxy = FaultyProxy(port_of(external_lrs["url"]))
    yield proxy
    proxy.set_mode("pass")
    proxy.close()


@pytest.fixture()
def forwarding_app(make_app, external_lrs, proxy):
    app = make_app(LMS_LRS_FORWARD_URL=proxy.url + "/xapi", LMS_LRS_FORWARD_USERNAME=external_lrs["key"],
                   LMS_LRS_FORWARD_PASSWORD=external_lrs["secret"], LMS_LRS_FORWARD_TIMEOUT=1)
    with app.app_context():
        yield app


@pytest.fixture()
def local(forwarding_app):
    return Xapi(forwarding_app.test_client(), *make_client())


def _external_has(external_lrs, statement_id: str) -> dict | None:
    response = httpx.get(external_lrs["url"] + "/xapi/statements", params={"statementId": statement_id},
                         auth=(external_lrs["key"], external_lrs["secret"]),
                         headers={"X-Experience-API-Version": "1.0.3"})
    return response.json() if response.status_code == 200 else None


def _outbox() -> list[OutboxEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


def _make_due() -> None:
    """Let the backoff time pass."""
    db.session.execute(update(OutboxEntry).values(due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_without_an_external_lrs_nothing_is_queued(lrs):
    lrs.post_statements(statement())
    assert _outbox() == []


def test_statements_are_delivered_once_and_the_outbox_empties(local, external_lrs):
    sent = [statement(activity=f"lesson-{n}") for n in range(5)]
    assert local.post_statements(sent).status_code == 200
    assert len(_outbox()) == 5
    report = forwarding.forward_due()
    assert report.delivered == 5 and _outbox() == []
    for item in sent:
        there = _external_has(external_lrs, item["id"])
        assert there["verb"] == item["verb"] and there["object"] == item["object"]
    assert forwarding.forward_status().delivered == 5
    assert not forwarding.forward_due()  # nothing left


@pytest.mark.parametrize("mode", ["503", "refuse", "hang"])
def test_server_errors_timeouts_and_refused_connections_are_retried_with_backoff(local, external_lrs, proxy, mode):
    sent = statement()
    local.post_statements(sent)
    proxy.set_mode(mode)
    report = forwarding.forward_due()
    assert report.retrying == 1 and report.delivered == 0
    [entry] = _outbox()
    assert entry.status == "queued" and entry.attempts == 1 and entry.last_error
    wait = (entry.due_at - utcnow()).total_seconds()
    assert 0.5 < wait <= 3.5  # 2 s base, with jitter
    assert not forwarding.forward_due()  # not due yet: nothing is sent
    proxy.set_mode("pass")
    _make_due()
    assert forwarding.forward_due().delivered == 1
    assert _external_has(external_lrs, sent["id"]) is not None and _outbox() == []


def test_too_many_requests_waits_as_long_as_retry_after_says(local, proxy):
    local.post_statements(statement())
    proxy.set_mode("429")
    forwarding.forward_due()
    [entry] = _outbox()
    wait = (entry.due_at - utcnow()).total_seconds()
    assert 0.8 < wait <= 1.6 and "429" in entry.last_error


def test_refused_statements_are_dead_lettered_with_the_reason_and_can_be_retried(forwarding_app, local, proxy,
                                                                                  external_lrs, factory):
    sent = [statement(), statement(verb="completed")]
    local.post_statements(sent)
    proxy.set_mode("400")
    report = forwarding.forward_due()
    assert report.dead == 2
    assert {e.status for e in _outbox()} == {"dead"} and all("400" in e.last_error for e in _outbox())
    client = forwarding_app.test_client()
    login(client, factory.person(permissions=["admin"]))
    page = client.get("/tracking/outbox").get_data(as_text=True)
    assert sent[0]["id"] in page and "HTTP 400" in page
    proxy.set_mode("pass")
    entry_id = _outbox()[0].id
    response = post_form(client, f"/tracking/outbox/{entry_id}/retry", {}, form_url="/tracking/outbox")
    assert response.status_code == 302
    assert forwarding.forward_due().delivered == 1
    post_form(client, "/tracking/outbox/retry-all", {}, form_url="/tracking/outbox")
    assert forwarding.forward_due().delivered == 1
    assert all(_external_has(external_lrs, s["id"]) for s in sent) and _outbox() == []
    audit = client.get("/admin/audit?action=outbox.retry").get_data(as_text=True)  # one retried, then all
    assert f"<code>outbox.retry</code></td><td>{entry_id}</td>" in audit
    assert "<code>outbox.retry</code></td><td>all</td>" in audit


def test_a_conflicting_statement_there_is_dead_lettered_and_an_identical_one_counts_as_delivered(
        local, external_lrs):
    # A tool sent the same statements to both LRSs (with its own timestamps), one of them altered.
    same, different = (statement(timestamp="2026-11-23T09:00:00.000Z") for _ in range(2))
    remote = Xapi(httpx.Client(base_url=external_lrs["url"]), external_lrs["key"], external_lrs["secret"])
    for item in (same, dict(different, verb={"id": "http://adlnet.gov/expapi/verbs/failed"})):
        response = remote.client.post("/xapi/statements", json=item, headers=remote.headers())
        assert response.status_code == 200
    local.post_statements([same, different])
    report = forwarding.forward_due()
    assert report.delivered == 1 and report.dead == 1
    [dead] = _outbox()
    assert "different statement" in dead.last_error


@pytest.mark.parametrize("where", ["statement", "substatement"])
def test_attachment_data_is_forwarded_with_the_statement(local, external_lrs, where):
    data = b"certificate of completion"
    sent = statement(attachments=[_header(data)])
    if where == "substatement":
        sub = {"objectType": "SubStatement", "actor": sent["actor"], "verb": sent["verb"], "object": sent["object"],
               "attachments": sent.pop("attachments")}
        sent["object"] = sub
    response = local.request("POST", "statements", data=_multipart(sent, [("text/plain", data)]),
                             content_type=f'multipart/mixed; boundary="{BOUNDARY}"')
    assert response.status_code == 200
    assert forwarding.forward_due().delivered == 1
    there = httpx.get(external_lrs["url"] + "/xapi/statements",
                      params={"statementId": sent["id"], "attachments": "true"},
                      auth=(external_lrs["key"], external_lrs["secret"]), headers={"X-Experience-API-Version": "1.0.3"})
    assert there.status_code == 200 and data in there.content


def test_concurrent_workers_never_claim_the_same_row(forwarding_app, local):
    local.post_statements([statement(activity=f"lesson-{n}") for n in range(40)])
    claimed: list[list[int]] = []
    lock = threading.Lock()

    def worker():
        with forwarding_app.app_context():
            while True:
                _, rows = forwarding.claim(3)
                if not rows:
                    break
                with lock:
                    claimed.append([r.id for r in rows])
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    ids = [i for batch in claimed for i in batch]
    assert len(ids) == 40 and len(set(ids)) == 40
    _, rows = forwarding.claim(100)
    assert rows == []  # all leased
    db.session.execute(update(OutboxEntry).values(due_at=utcnow() - timedelta(seconds=1)))  # the lease ran out
    db.session.commit()
    assert len(forwarding.claim(100)[1]) == 40
