"""campaign.closed when a close run's last batch only failed: before, the event was recorded only
from audits that finished `done`, so a run whose last batch held nothing but failures (each post
failing, or the batch failing as a whole on its last attempt) never sent it. Now it is recorded
once per run in either case, and its counts include the failures."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select, update

from auditor import audits, closing
from auditor.models import Audit, Campaign
from auditor.posts import PostError
from tests.service.test_webhooks import (  # noqa: F401 - fixtures
    allow_private, deliveries, receiver, register, unique, wait_settled,
)

POSTS = [{"text": "Reklame for @nike: nye sko", "url": "https://i/1"}, {"text": "Nye sko", "url": "https://i/2"}]


def campaign_with_posts(client, org, posts) -> int:
    h = org.h("ingest")
    camp = client.post("/api/v1/campaigns", headers=h, json={
        "name": unique("Autumn"), "brand": "@nike", "countries": ["NO"], "platforms": ["instagram"],
        "starts_on": "2025-09-01", "ends_on": "2025-11-30"}).json
    r = client.post("/api/v1/posts", headers=h, json={"posts": [dict(p, campaign_id=camp["id"]) for p in posts]})
    assert r.status_code == 202, r.json
    return camp["id"]


def start_close(runtime, campaign_id: int) -> tuple[int, list[int]]:
    """The close run started, its audits queued but not run (as with Redis, before the workers)."""
    with runtime.db.transaction() as s:
        run, _, audit_ids = closing.start(s, s.get(Campaign, campaign_id))
        return run.id, audit_ids


@pytest.fixture
def failing(monkeypatch):
    """Audits of these post urls fail (the stored post no longer fits the rules)."""
    urls: set[str] = set()
    real = audits.audit_post

    def audit_post(engine, data, contract, campaign, public_id):
        if data.get("url") in urls:
            raise PostError("unknown_country", "country 'NO' is not in the rules any more", "countries")
        return real(engine, data, contract, campaign, public_id)

    monkeypatch.setattr(audits, "audit_post", audit_post)
    return urls


def closed_deliveries(runtime, hook_id: int):
    return [d for d in deliveries(runtime, hook_id) if d.event == "campaign.closed"]


def test_last_batch_only_failed_still_sends_campaign_closed_once(client, runtime, engine, acme, receiver, failing):
    hook = register(client, acme, receiver.url, events=("campaign.closed",))
    campaign_id = campaign_with_posts(client, acme, POSTS)
    run_id, (first, last) = start_close(runtime, campaign_id)
    assert audits.run_batch(runtime.db, engine, [first]).done == [first]
    assert closed_deliveries(runtime, hook["id"]) == []   # one audit still queued: no event yet
    failing.add("https://i/2")
    result = audits.run_batch(runtime.db, engine, [last])   # the last batch: a failure only
    assert result.failed == [last] and result.done == [] and len(result.deliveries) == 1
    [delivery] = wait_settled(runtime, hook["id"], 1)
    assert delivery.status == "delivered" and delivery.event_id == f"campaign.closed:close-run-{run_id}"
    payload = json.loads(receiver.requests[0]["body"])
    assert payload["type"] == "campaign.closed" and payload["data"]["close_run_id"] == run_id
    assert payload["data"]["total"] == 2 and payload["data"]["counts"] == {"done": 1, "failed": 1}
    summary = payload["data"]["summary"]
    assert summary["posts"] == 1 and summary["input_errors"] == 1
    report = json.loads(client.get(f"/api/v1/campaigns/{campaign_id}/report?format=json",
                                   headers=acme.h("read")).data)
    assert summary == report["summary"]
    # re-runs of either batch (rq retrying, requeue) record nothing new
    for ids in ([last], [first], [first, last]):
        again = audits.run_batch(runtime.db, engine, ids)
        assert again.deliveries == [] and sorted(again.skipped) == sorted(ids)
    time.sleep(0.2)
    assert len(closed_deliveries(runtime, hook["id"])) == 1 and len(receiver.requests) == 1


def test_every_post_failing_sends_campaign_closed_with_the_failures(client, runtime, engine, acme, receiver, failing):
    hook = register(client, acme, receiver.url, events=("campaign.closed", "audit.completed"))
    campaign_id = campaign_with_posts(client, acme, POSTS)
    wait_settled(runtime, hook["id"], 2)   # the ingest audits' audit.completed events
    run_id, audit_ids = start_close(runtime, campaign_id)
    failing.update({"https://i/1", "https://i/2"})
    result = audits.run_batch(runtime.db, engine, audit_ids)   # one batch, nothing but failures
    assert sorted(result.failed) == sorted(audit_ids) and len(result.deliveries) == 1
    [delivery] = wait_settled(runtime, hook["id"], 3)[2:]
    assert delivery.event == "campaign.closed" and delivery.status == "delivered"
    data = json.loads(delivery.payload)["data"]
    assert data["counts"] == {"done": 0, "failed": 2} and data["summary"]["posts"] == 0
    assert data["summary"]["input_errors"] == 2
    assert [r for r in receiver.requests if json.loads(r["body"])["type"] == "audit.completed"].__len__() == 2


def test_failed_audits_without_a_close_run_record_nothing(client, runtime, engine, acme, receiver, failing):
    hook = register(client, acme, receiver.url, events=("campaign.closed", "audit.completed", "audit.violation"))
    failing.add("https://i/9")
    r = client.post("/api/v1/posts", headers=acme.h("ingest"),
                    json={"text": "Nye sko", "countries": ["NO"], "platform": "instagram", "url": "https://i/9"})
    assert r.status_code == 202
    time.sleep(0.2)
    assert deliveries(runtime, hook["id"]) == []


def give_up(runtime, audit_ids: list[int], attempts: int) -> None:
    """The batch job failed as a whole (timeout, database error) on its `attempts`-th try."""
    with runtime.db.transaction() as s:
        s.execute(update(Audit).where(Audit.id.in_(audit_ids)).values(status="running", attempts=attempts))
    audits.record_failure(runtime.db, audit_ids, TimeoutError("job exceeded its 300 s"), max_attempts=3)


def test_last_batch_failing_as_a_whole_sends_campaign_closed_once(client, runtime, engine, acme, receiver):
    hook = register(client, acme, receiver.url, events=("campaign.closed",))
    campaign_id = campaign_with_posts(client, acme, POSTS)
    run_id, (first, last) = start_close(runtime, campaign_id)
    audits.run_batch(runtime.db, engine, [first])
    give_up(runtime, [last], attempts=1)   # not the last try: requeued, the run goes on
    with runtime.db.session() as s:
        assert s.scalar(select(Audit.status).where(Audit.id == last)) == "queued"
    assert closed_deliveries(runtime, hook["id"]) == []
    give_up(runtime, [last], attempts=3)   # the last try: given up, the run is finished
    [delivery] = wait_settled(runtime, hook["id"], 1)
    assert delivery.status == "delivered" and delivery.event_id == f"campaign.closed:close-run-{run_id}"
    data = json.loads(receiver.requests[0]["body"])["data"]
    assert data["counts"] == {"done": 1, "failed": 1} and data["summary"]["input_errors"] == 1
    # the failure recorded again (a second worker giving up on the same batch): no second event
    give_up(runtime, [last], attempts=3)
    audits.record_failure(runtime.db, [first, last], RuntimeError("again"), max_attempts=3)
    time.sleep(0.2)
    assert len(closed_deliveries(runtime, hook["id"])) == 1 and len(receiver.requests) == 1


def test_rerun_close_whose_last_batch_fails_is_its_own_event(client, runtime, engine, acme, receiver, failing):
    hook = register(client, acme, receiver.url, events=("campaign.closed",))
    campaign_id = campaign_with_posts(client, acme, POSTS[:1])
    run_id, ids = start_close(runtime, campaign_id)
    audits.run_batch(runtime.db, engine, ids)
    wait_settled(runtime, hook["id"], 1)
    with runtime.db.transaction() as s:
        rerun, _, rerun_ids = closing.start(s, s.get(Campaign, campaign_id), rerun=True)
        rerun_id = rerun.id
    failing.add("https://i/1")
    audits.run_batch(runtime.db, engine, rerun_ids)
    rows = wait_settled(runtime, hook["id"], 2)
    assert [d.event_id for d in rows] == [f"campaign.closed:close-run-{run_id}", f"campaign.closed:close-run-{rerun_id}"]
    assert json.loads(rows[1].payload)["data"]["counts"] == {"done": 0, "failed": 1}
