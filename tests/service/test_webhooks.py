"""Outgoing webhooks against a real HTTP receiver on 127.0.0.1: the API, signing, delivery, retries,
de-duplication; in-process (embedded mode) on SQLite and PostgreSQL, and through Redis and an rq worker."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select, update

from auditor import audits, ingest, jobs, webhooks
from auditor.models import Audit, WebhookDelivery, WebhookEndpoint
from tests.conftest import require_or_skip
from tests.service.conftest import REDIS, REDIS_DB, make_org, redis_available, unique

VIOLATING = {"text": "#ad Nye sko fra @nike!", "countries": ["NO"], "platform": "instagram"}
COMPLIANT = {"text": "Lovely walk in the park today", "countries": ["US"], "platform": "instagram"}


class Receiver:
    """An HTTP server in a thread that records each request and answers the scripted status codes
    (then 200)."""

    def __init__(self, codes: list[int] | None = None):
        self.requests: list[dict] = []
        self.codes = list(codes or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.codes.pop(0) if receiver.codes else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def allow_private(runtime, monkeypatch):
    """The receiver runs on 127.0.0.1: allow private targets (AUDITOR_WEBHOOK_ALLOW_PRIVATE=1), in the
    runtime's settings (registration, the runtime's deliveries) and for this process's other deliveries."""
    settings = dataclasses.replace(runtime.settings, webhook_allow_private=True)
    monkeypatch.setattr(runtime, "settings", settings)
    monkeypatch.setattr(webhooks, "_allow_private", True)
    return settings


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(webhooks, "RETRY_DELAYS", (0.2, 0.2))


def register(client, org, url, events=("audit.violation",)) -> dict:
    r = client.post("/api/v1/webhooks", headers=org.h("admin"), json={"url": url, "events": list(events)})
    assert r.status_code == 201, r.json
    return r.json


def verify(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def deliveries(runtime, endpoint_id: int) -> list[WebhookDelivery]:
    with runtime.db.session() as s:
        return list(s.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
                              .order_by(WebhookDelivery.id)))


def wait_settled(runtime, endpoint_id: int, n: int, timeout: float = 15) -> list[WebhookDelivery]:
    """Until the endpoint has n deliveries and none is pending."""
    deadline = time.monotonic() + timeout
    while True:
        rows = deliveries(runtime, endpoint_id)
        if len(rows) >= n and all(d.status != "pending" for d in rows):
            return rows
        assert time.monotonic() < deadline, [(d.event_id, d.status, d.history) for d in rows]
        time.sleep(0.05)


def ingest_post(client, org, post) -> dict:
    r = client.post("/api/v1/posts", headers=org.h("ingest"), json=post)
    assert r.status_code == 202, r.json
    return r.json


# -- the API -------------------------------------------------------------------------------------

def test_register_list_get_delete(client, acme, receiver):
    created = client.post("/api/v1/webhooks", headers=acme.h("admin"),
                          json={"url": receiver.url, "events": ["audit.violation", "audit.completed"],
                                "description": "our ticket tool"})
    assert created.status_code == 201
    hook = created.json
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 30
    assert hook["events"] == ["audit.violation", "audit.completed"] and hook["description"] == "our ticket tool"
    listed = client.get("/api/v1/webhooks", headers=acme.h("admin")).json
    assert [h["id"] for h in listed["items"]] == [hook["id"]] and listed["next"] is None
    assert "secret" not in listed["items"][0]   # shown once, at creation
    one = client.get(f"/api/v1/webhooks/{hook['id']}", headers=acme.h("admin")).json
    assert one["url"] == receiver.url and "secret" not in one
    assert client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=acme.h("admin")).json["items"] == []
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=acme.h("admin")).status_code == 204
    assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=acme.h("admin")).status_code == 404
    assert client.get("/api/v1/webhooks", headers=acme.h("admin")).json["items"] == []


def test_list_is_paginated(client, acme, receiver):
    ids = [register(client, acme, receiver.url)["id"] for _ in range(3)]
    first = client.get("/api/v1/webhooks?limit=2", headers=acme.h("admin")).json
    second = client.get(f"/api/v1/webhooks?limit=2&cursor={first['next']}", headers=acme.h("admin")).json
    assert [h["id"] for h in first["items"] + second["items"]] == ids and second["next"] is None


@pytest.mark.databases("sqlite")   # validation happens before the database
@pytest.mark.parametrize("body,field", [
    ({"events": ["audit.violation"]}, "url"),
    ({"url": "ftp://example.com/hook", "events": ["audit.violation"]}, "url"),
    ({"url": "javascript:alert(1)", "events": ["audit.violation"]}, "url"),
    ({"url": "https://", "events": ["audit.violation"]}, "url"),
    ({"url": "https://user:pw@example.com/hook", "events": ["audit.violation"]}, "url"),
    ({"url": 42, "events": ["audit.violation"]}, "url"),
    ({"url": "https://example.com/hook"}, "events"),
    ({"url": "https://example.com/hook", "events": []}, "events"),
    ({"url": "https://example.com/hook", "events": "audit.violation"}, "events"),
    ({"url": "https://example.com/hook", "events": ["audit.deleted"]}, "events"),
    ({"url": "https://example.com/hook", "events": ["campaign.opened"]}, "events"),
    ({"url": "https://example.com/hook", "events": ["audit.violation"], "description": "x" * 201}, "description"),
])
def test_invalid_endpoints_are_422_naming_the_field(client, acme, body, field):
    r = client.post("/api/v1/webhooks", headers=acme.h("admin"), json=body)
    assert r.status_code == 422, r.json
    assert r.json["error"]["details"]["field"] == field and r.json["error"]["message"]


@pytest.mark.databases("sqlite")
def test_webhooks_need_the_admin_scope(client, acme, receiver):
    hook = register(client, acme, receiver.url)
    for method, path in [("POST", "/webhooks"), ("GET", "/webhooks"), ("GET", "/webhooks/{id}"),
                         ("DELETE", "/webhooks/{id}"), ("POST", "/webhooks/{id}/test"),
                         ("GET", "/webhooks/{id}/deliveries")]:
        url = "/api/v1" + path.format(id=hook["id"])
        r = client.open(url, method=method, headers=acme.h(), json={"url": receiver.url, "events": ["audit.violation"]})
        assert r.status_code == 403 and r.json["error"]["details"]["required_scope"] == "admin", url
        assert client.open(url, method=method).status_code == 401


def test_another_organization_can_neither_see_nor_touch_them(client, runtime, acme, other, receiver):
    hook = register(client, acme, receiver.url)
    h = other.h("admin")
    assert client.get("/api/v1/webhooks", headers=h).json["items"] == []
    for method, path in [("GET", "/webhooks/{id}"), ("DELETE", "/webhooks/{id}"),
                         ("POST", "/webhooks/{id}/test"), ("GET", "/webhooks/{id}/deliveries")]:
        r = client.open("/api/v1" + path.format(id=hook["id"]), method=method, headers=h)
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found", (method, path)
    assert receiver.requests == []   # other's ping did not go out
    # Other's violations do not reach Acme's endpoint
    ingest_post(client, other, VIOLATING)
    assert deliveries(runtime, hook["id"]) == []
    assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=acme.h("admin")).status_code == 200


def test_ping_is_signed_and_logged(client, acme, receiver):
    hook = register(client, acme, receiver.url)
    r = client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=acme.h("admin"))
    assert r.status_code == 200 and r.json["status"] == "delivered" and r.json["last_status_code"] == 200
    [req] = receiver.requests
    assert req["headers"]["X-Auditor-Event"] == "ping"
    assert verify(hook["secret"], req["body"], req["headers"]["X-Auditor-Signature"])
    assert json.loads(req["body"])["data"] == {"endpoint_id": hook["id"]}


def test_ping_to_a_dead_receiver_reports_the_error(client, acme):
    dead = Receiver()
    url = dead.url
    dead.close()   # nothing listens there now
    hook = register(client, acme, url)
    r = client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=acme.h("admin"))
    assert r.status_code == 200 and r.json["status"] == "failed" and r.json["last_status_code"] is None
    assert r.json["last_error"] and r.json["attempts"] == 1


# -- delivery (embedded mode: a background thread after commit) -----------------------------------

def test_violating_post_delivers_one_signed_violation(client, runtime, acme, receiver):
    hook = register(client, acme, receiver.url)
    posted = ingest_post(client, acme, dict(VIOLATING, id="shoe-1"))
    [delivery] = wait_settled(runtime, hook["id"], 1)
    assert delivery.status == "delivered" and delivery.attempts == 1
    [req] = receiver.requests
    assert req["path"] == "/hook"
    assert verify(hook["secret"], req["body"], req["headers"]["X-Auditor-Signature"])
    assert req["headers"]["X-Auditor-Event"] == "audit.violation"
    assert req["headers"]["X-Auditor-Delivery"] == f"audit.violation:audit-{posted['audit_id']}"
    payload = json.loads(req["body"])
    assert payload["id"] == req["headers"]["X-Auditor-Delivery"] and payload["type"] == "audit.violation"
    assert payload["organization_id"] == acme.id and payload["created_at"]
    data = payload["data"]
    assert data["audit_id"] == posted["audit_id"] and data["post_id"] == posted["post_id"]
    assert data["status"] == "violation" and data["ruleset_version"]
    assert data["campaign_id"] is None and data["contract_id"] is None
    findings = client.get(f"/api/v1/findings?post={posted['post_id']}", headers=acme.h("read")).json["items"]
    assert [f["rule_id"] for f in data["findings"]] == [f["rule_id"] for f in findings]
    assert "no.label.language" in [f["rule_id"] for f in data["findings"]]
    assert set(data["findings"][0]) == {"rule_id", "country", "severity", "message", "fix"}
    logged = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=acme.h("admin")).json["items"]
    assert [(d["event"], d["status"], d["attempts"], d["last_status_code"]) for d in logged] == \
        [("audit.violation", "delivered", 1, 200)]


def test_compliant_post_is_no_violation_event(client, runtime, acme, receiver):
    hook = register(client, acme, receiver.url, events=("audit.violation", "audit.completed"))
    posted = ingest_post(client, acme, COMPLIANT)
    # audit.completed arrives (so the thread did run), audit.violation does not
    [delivery] = wait_settled(runtime, hook["id"], 1)
    assert delivery.event == "audit.completed"
    [req] = receiver.requests
    payload = json.loads(req["body"])
    assert payload["type"] == "audit.completed" and payload["data"]["status"] == "compliant"
    assert payload["data"]["audit_id"] == posted["audit_id"] and payload["data"]["findings"] == []


def test_failed_attempt_is_retried_and_logged(client, runtime, acme, fast_retries):
    receiver = Receiver(codes=[500])
    try:
        hook = register(client, acme, receiver.url)
        ingest_post(client, acme, VIOLATING)
        [delivery] = wait_settled(runtime, hook["id"], 1)
    finally:
        receiver.close()
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert [a["status_code"] for a in delivery.history] == [500, 200]
    assert delivery.history[0]["error"] == "HTTP 500" and delivery.next_retry_at is None
    assert len(receiver.requests) == 2 and receiver.requests[0]["body"] == receiver.requests[1]["body"]
    logged = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=acme.h("admin")).json["items"]
    assert [a["status_code"] for a in logged[0]["history"]] == [500, 200]


def test_receiver_down_gives_up_after_the_attempts_and_the_audit_is_done(client, runtime, acme, fast_retries):
    receiver = Receiver(codes=[503, 503, 503])
    try:
        hook = register(client, acme, receiver.url)
        posted = ingest_post(client, acme, VIOLATING)
        assert posted["status"] == "done"
        [delivery] = wait_settled(runtime, hook["id"], 1)
    finally:
        receiver.close()
    assert delivery.status == "failed" and delivery.attempts == 3 and delivery.last_status_code == 503


def test_rerunning_an_audit_does_not_deliver_twice(client, runtime, acme, receiver, engine):
    hook = register(client, acme, receiver.url)
    posted = ingest_post(client, acme, VIOLATING)
    wait_settled(runtime, hook["id"], 1)
    audit_id = posted["audit_id"]
    again = audits.run_batch(runtime.db, engine, [audit_id])   # e.g. rq retried a finished job
    assert again.skipped == [audit_id] and again.deliveries == []
    # a crash after the write left it 'running': the re-run writes again, but records no second event
    with runtime.db.transaction() as s:
        s.execute(update(Audit).where(Audit.id == audit_id).values(status="running"))
    third = audits.run_batch(runtime.db, engine, [audit_id])
    assert third.done == [audit_id] and third.deliveries == []
    time.sleep(0.3)
    assert len(deliveries(runtime, hook["id"])) == 1 and len(receiver.requests) == 1


def test_no_endpoints_no_deliveries(runtime, acme, engine):
    with runtime.db.transaction() as s:
        [result] = ingest.store(s, acme.id, ingest.prepare(s, acme.id, [VIOLATING], runtime.rules.countries.keys()))
    done = audits.run_batch(runtime.db, engine, [result["audit_id"]])
    assert done.done == [result["audit_id"]] and done.deliveries == []
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)
                        .where(WebhookDelivery.org_id == acme.id)) == 0


# -- through Redis and an rq worker ----------------------------------------------------------------

@pytest.fixture
def queued_runtime(runtime, rules, engine):
    """The test database's runtime, but with Redis: audits and deliveries become rq jobs."""
    require_or_skip(redis_available(), "Redis is not reachable at 127.0.0.1:6379")
    from auditor.runtime import Runtime
    settings = dataclasses.replace(runtime.settings, redis_url=f"{REDIS}/{REDIS_DB}",
                                   queue_name=f"webhooks-test-{os.getpid()}-{unique('q').split()[1]}",
                                   retry_intervals=(0, 0))
    rt = Runtime(settings)
    rt.db = runtime.db   # one pool for the test's database
    rt._rules, rt._engine = rules, engine
    previous = jobs._runtime
    jobs.install(rt)
    yield rt
    jobs._runtime = previous
    rt.queue.queue.empty()


def work(rt) -> None:
    """An rq worker in this process until the queue is empty (retries with no interval requeue at once)."""
    from rq import SimpleWorker
    SimpleWorker([rt.queue.queue], connection=rt.queue.redis).work(burst=True, logging_level="WARNING")


def test_rq_job_delivers_and_retries(client, runtime, queued_runtime, acme, monkeypatch):
    monkeypatch.setattr(webhooks, "RETRY_DELAYS", (0, 0))   # rq requeues at once instead of scheduling
    receiver = Receiver(codes=[500])
    try:
        hook = register(client, acme, receiver.url)
        with runtime.db.transaction() as s:
            [result] = ingest.store(s, acme.id, ingest.prepare(s, acme.id, [VIOLATING],
                                                               runtime.rules.countries.keys()))
            plan = audits.dispatch(queued_runtime, s, [result["audit_id"]])
        assert audits.send(queued_runtime, plan, [result["audit_id"]])["status"] == "queued"
        work(queued_runtime)   # the audit job, which enqueues the delivery job, then its retry
        [delivery] = wait_settled(runtime, hook["id"], 1, timeout=5)
    finally:
        receiver.close()
    assert delivery.status == "delivered" and [a["status_code"] for a in delivery.history] == [500, 200]
    assert len(receiver.requests) == 2
    assert verify(hook["secret"], receiver.requests[1]["body"], receiver.requests[1]["headers"]["X-Auditor-Signature"])
    # the same audit job again (rq retried it after a lost ack): nothing new to deliver
    audits.send(queued_runtime, plan, [result["audit_id"]])
    work(queued_runtime)
    assert len(deliveries(runtime, hook["id"])) == 1 and len(receiver.requests) == 2


def test_many_organizations_one_batch(runtime, engine, receiver):
    """A batch spanning organizations sends each organization's events only to its own endpoints."""
    orgs = [make_org(runtime, unique("Batch")) for _ in range(2)]
    ids, hooks = [], []
    with runtime.db.transaction() as s:
        for org in orgs:
            e = WebhookEndpoint(org_id=org.id, url=receiver.url, events=["audit.violation"],
                                secret=webhooks.new_secret())
            s.add(e)
            s.flush()
            hooks.append(e.id)
            [r] = ingest.store(s, org.id, ingest.prepare(s, org.id, [VIOLATING], runtime.rules.countries.keys()))
            ids.append(r["audit_id"])
    result = audits.run_batch(runtime.db, engine, ids)
    assert sorted(result.done) == sorted(ids)
    for org, hook, audit_id in zip(orgs, hooks, ids):
        [d] = wait_settled(runtime, hook, 1)
        assert d.org_id == org.id and d.event_id == f"audit.violation:audit-{audit_id}"
    orgs_seen = sorted(json.loads(r["body"])["organization_id"] for r in receiver.requests)
    assert orgs_seen == sorted(o.id for o in orgs)


# -- recovery: `auditor requeue` sends deliveries that nothing else will ---------------------------

def lost_delivery(runtime, engine, org) -> int:
    """A violating post audited, its delivery recorded, but never handed on (the job or thread lost)."""
    with runtime.db.transaction() as s:
        [r] = ingest.store(s, org.id, ingest.prepare(s, org.id, [VIOLATING], runtime.rules.countries.keys()))
    done = audits.run_batch(runtime.db, engine, [r["audit_id"]], send_deliveries=lambda ids: None)
    [delivery_id] = done.deliveries
    return delivery_id


def age(runtime, delivery_id: int, **values) -> None:
    with runtime.db.transaction() as s:
        s.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values))


def test_requeue_sends_a_lost_delivery_once(client, runtime, acme, engine, receiver):
    from auditor import recovery
    hook = register(client, acme, receiver.url)
    delivery_id = lost_delivery(runtime, engine, acme)
    # just recorded: its job may still be on the way, so requeue leaves it alone
    assert delivery_id not in recovery.requeue(runtime).deliveries and receiver.requests == []
    age(runtime, delivery_id, created_at=datetime.now(timezone.utc) - timedelta(hours=1))
    assert delivery_id in recovery.requeue(runtime).deliveries
    [delivery] = wait_settled(runtime, hook["id"], 1)
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert delivery_id not in recovery.requeue(runtime).deliveries   # delivered: never again
    [req] = receiver.requests
    assert verify(hook["secret"], req["body"], req["headers"]["X-Auditor-Signature"])
    assert req["headers"]["X-Auditor-Delivery"] == delivery.event_id


def test_requeue_resends_an_overdue_retry_through_rq(client, runtime, queued_runtime, acme, engine):
    from auditor import recovery
    receiver = Receiver(codes=[500])
    try:
        hook = register(client, acme, receiver.url)
        delivery_id = lost_delivery(runtime, engine, acme)
        assert webhooks.deliver_once(runtime.db, [delivery_id]) == [delivery_id]   # 500: a retry is due
        # ... but its rq job is gone (Redis flushed), and the retry time long past
        age(runtime, delivery_id, next_retry_at=datetime.now(timezone.utc) - timedelta(hours=1))
        assert delivery_id in recovery.requeue(queued_runtime).deliveries
        assert delivery_id not in recovery.requeue(queued_runtime).deliveries   # claimed: not twice
        work(queued_runtime)
        [delivery] = wait_settled(runtime, hook["id"], 1, timeout=5)
        assert delivery_id not in recovery.requeue(queued_runtime).deliveries
        work(queued_runtime)
    finally:
        receiver.close()
    assert delivery.status == "delivered" and [a["status_code"] for a in delivery.history] == [500, 200]
    assert len(receiver.requests) == 2


def test_requeue_cli_reports_resent_deliveries(client, runtime, acme, engine, receiver, monkeypatch):
    from click.testing import CliRunner

    from auditor.cli import service
    register(client, acme, receiver.url)
    delivery_id = lost_delivery(runtime, engine, acme)
    age(runtime, delivery_id, created_at=datetime.now(timezone.utc) - timedelta(hours=1))
    monkeypatch.setattr(service, "runtime", lambda: runtime)
    out = CliRunner().invoke(service.main, ["requeue"])
    assert out.exit_code == 0 and "re-sent" in out.output and "pending webhook delivery(ies)" in out.output, out.output
    assert len(receiver.requests) == 1


# -- campaign.closed -------------------------------------------------------------------------------

def close_campaign(client, org, posts) -> tuple[dict, dict]:
    h = org.h("ingest")
    camp = client.post("/api/v1/campaigns", headers=h, json={
        "name": unique("Spring"), "brand": "@nike", "countries": ["NO"], "platforms": ["instagram"],
        "starts_on": "2025-03-01", "ends_on": "2025-05-31"}).json
    if posts:
        r = client.post("/api/v1/posts", headers=h, json={"posts": [dict(p, campaign_id=camp["id"]) for p in posts]})
        assert r.status_code == 202, r.json
    r = client.post(f"/api/v1/campaigns/{camp['id']}/close", headers=h)
    assert r.status_code == 202, r.json
    return camp, r.json["close"]


def test_campaign_close_delivers_one_signed_campaign_closed(client, runtime, acme, receiver):
    others = Receiver()
    try:
        hook = register(client, acme, receiver.url, events=("campaign.closed",))
        not_subscribed = register(client, acme, others.url, events=("audit.violation", "audit.completed"))
        camp, run = close_campaign(client, acme, [
            {"text": "Reklame for @nike: nye sko", "url": "https://i/1"}, {"text": "Nye sko", "url": "https://i/2"}])
        assert run["status"] == "done"
        [delivery] = wait_settled(runtime, hook["id"], 1)
        wait_settled(runtime, not_subscribed["id"], 1)
        assert "campaign.closed" not in {d.event for d in deliveries(runtime, not_subscribed["id"])}
        # closing again answers the same run: nothing new
        assert client.post(f"/api/v1/campaigns/{camp['id']}/close", headers=acme.h("ingest")).status_code == 200
        time.sleep(0.2)
        assert len(deliveries(runtime, hook["id"])) == 1
    finally:
        others.close()
    assert delivery.status == "delivered" and delivery.event_id == f"campaign.closed:close-run-{run['id']}"
    [req] = receiver.requests
    assert req["headers"]["X-Auditor-Event"] == "campaign.closed"
    assert req["headers"]["X-Auditor-Delivery"] == delivery.event_id
    assert verify(hook["secret"], req["body"], req["headers"]["X-Auditor-Signature"])
    payload = json.loads(req["body"])
    assert payload["id"] == delivery.event_id and payload["organization_id"] == acme.id
    data = payload["data"]
    assert data["campaign_id"] == camp["id"] and data["close_run_id"] == run["id"] and data["total"] == 2
    assert data["counts"] == {"done": 2, "failed": 0}
    report = json.loads(client.get(f"/api/v1/campaigns/{camp['id']}/report?format=json",
                                   headers=acme.h("read")).data)
    assert data["summary"] == report["summary"] and data["summary"]["posts"] == 2
    assert "results" not in data and "findings" not in data   # the summary, not the whole report
    assert not any("campaign.closed" in json.loads(r["body"])["type"] for r in others.requests)


def test_rerun_close_is_a_new_event_and_an_empty_campaign_is_sent_by_requeue(client, runtime, acme, receiver):
    from auditor import recovery
    hook = register(client, acme, receiver.url, events=("campaign.closed",))
    camp, run = close_campaign(client, acme, [])
    [pending] = deliveries(runtime, hook["id"])   # recorded as the run started (and finished)
    assert pending.status == "pending" and pending.event_id == f"campaign.closed:close-run-{run['id']}"
    age(runtime, pending.id, created_at=datetime.now(timezone.utc) - timedelta(hours=1))
    assert pending.id in recovery.requeue(runtime).deliveries
    [delivered] = wait_settled(runtime, hook["id"], 1)
    assert delivered.status == "delivered"
    assert json.loads(receiver.requests[0]["body"])["data"]["summary"]["posts"] == 0
    rerun = client.post(f"/api/v1/campaigns/{camp['id']}/close", headers=acme.h("ingest"), json={"rerun": True})
    assert rerun.status_code == 202 and rerun.json["close"]["id"] != run["id"]
    assert [d.event_id for d in deliveries(runtime, hook["id"])][-1] == \
        f"campaign.closed:close-run-{rerun.json['close']['id']}"
