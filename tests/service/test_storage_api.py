"""Posts, versions, contracts, findings, campaigns, close and report (in-process audits)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from auditor.models import Audit, Finding, Post


def _setup_campaign(client, org):
    h = org.h("ingest")
    camp = client.post("/api/v1/campaigns", headers=h, json={
        "name": "Spring", "brand": "@nike", "countries": ["NO"], "platforms": ["instagram"],
        "starts_on": "2025-03-01", "ends_on": "2025-05-31"}).json
    inf = client.post("/api/v1/influencers", headers=h, json={"name": "Anna", "handles": {"instagram": "@Anna"}}).json
    con = client.post("/api/v1/contracts", headers=h, json={
        "campaign_id": camp["id"], "influencer_id": inf["id"], "compensation": "gifting",
        "countries": ["NO", "GB"]}).json
    return camp, inf, con


def test_contract_gives_relationship_and_countries(client, acme):
    camp, inf, con = _setup_campaign(client, acme)
    assert con["relationship"] == "gifted"
    # no wording, no countries in the post: without the contract this would be compliant
    text = "Nye sko! Elsker dem"
    r = client.post("/api/v1/posts", headers=acme.h("ingest"), json={"text": text, "contract_id": con["id"],
                                                                      "platform": "instagram", "url": "https://i/p/1"})
    assert r.status_code == 202, r.json
    audit = client.get(f"/api/v1/audits/{r.json['audit_id']}", headers=acme.h("read")).json
    assert audit["status"] == "done"
    assert audit["verdict"]["countries"] == ["NO", "GB"]
    assert audit["verdict"]["connection"]["known"] == ["gifted"]
    assert audit["verdict"]["status"] == "violation"
    findings = client.get(f"/api/v1/findings?contract={con['id']}", headers=acme.h("read")).json["items"]
    assert {f["country"] for f in findings} >= {"NO", "GB"}
    for f in findings:
        assert (f["post_id"], f["audit_id"], f["campaign_id"], f["contract_id"]) == \
            (r.json["post_id"], r.json["audit_id"], camp["id"], con["id"])
        assert f["influencer_id"] == inf["id"]


def test_author_handle_links_the_contract(client, acme):
    camp, inf, con = _setup_campaign(client, acme)
    r = client.post("/api/v1/posts", headers=acme.h("ingest"), json={
        "text": "Nye sko!", "campaign_id": camp["id"], "author": "@anna", "platform": "instagram"})
    post = client.get(f"/api/v1/posts/{r.json['post_id']}", headers=acme.h("read")).json
    assert post["contract_id"] == con["id"] and post["influencer_id"] == inf["id"]


def test_contract_disclosure_wording(client, acme):
    camp, inf, _ = _setup_campaign(client, acme)
    inf2 = client.post("/api/v1/influencers", headers=acme.h("ingest"), json={"name": "Bo"}).json
    con = client.post("/api/v1/contracts", headers=acme.h("ingest"), json={
        "campaign_id": camp["id"], "influencer_id": inf2["id"], "compensation": "fixed_fee",
        "disclosure_wording": "Reklame for Nike"}).json
    bad = client.post("/api/v1/posts", headers=acme.h("ingest"), json={"text": "Reklame: nye sko", "contract_id": con["id"]})
    good = client.post("/api/v1/posts", headers=acme.h("ingest"), json={"text": "Reklame for  nike: nye sko",
                                                                        "contract_id": con["id"]})
    rules_of = lambda r: [f["rule_id"] for f in client.get(f"/api/v1/findings?post={r.json['post_id']}",  # noqa: E731
                                                           headers=acme.h("read")).json["items"]]
    assert "contract.disclosure.wording" in rules_of(bad)
    assert "contract.disclosure.wording" not in rules_of(good)


def test_versions_and_duplicates(client, acme, runtime):
    h = acme.h("ingest")
    first = client.post("/api/v1/posts", headers=h, json={"text": "New shoes", "countries": ["US"],
                                                          "url": "https://x/1", "relationship": ["paid"]}).json
    again = client.post("/api/v1/posts", headers=h, json={"text": "New shoes", "countries": ["US"],
                                                          "url": "https://x/1", "relationship": ["paid"]}).json
    assert again["status"] == "duplicate" and again["post_id"] == first["post_id"]
    assert again["audit_id"] == first["audit_id"]
    edited = client.post("/api/v1/posts", headers=h, json={"text": "#ad New shoes", "countries": ["US"],
                                                           "url": "https://x/1", "relationship": ["paid"]}).json
    assert edited["version"] == 2 and edited["post_id"] != first["post_id"]
    post = client.get(f"/api/v1/posts/{edited['post_id']}", headers=acme.h("read")).json
    assert post["previous_id"] == first["post_id"]
    assert [v["version"] for v in post["versions"]] == [1, 2]
    old = client.get(f"/api/v1/posts/{first['post_id']}", headers=acme.h("read")).json
    assert old["is_current"] is False and old["text"] == "New shoes"   # the old version is kept
    # only the current version's findings are listed by default; history shows the old ones
    current = client.get("/api/v1/findings", headers=acme.h("read")).json["items"]
    assert all(f["post_id"] == edited["post_id"] for f in current)
    history = client.get("/api/v1/findings?history=true", headers=acme.h("read")).json["items"]
    assert any(f["post_id"] == first["post_id"] for f in history)


def test_batch_is_all_or_nothing(client, acme, runtime):
    posts = [{"text": f"post {i}", "countries": ["US"]} for i in range(5)]
    posts[3] = {"text": "bad", "countries": ["XX"]}
    r = client.post("/api/v1/posts", headers=acme.h("ingest"), json={"posts": posts})
    assert r.status_code == 422
    err = r.json["error"]
    assert err["code"] == "unknown_country"
    assert err["details"]["errors"][0]["index"] == 3
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Post).where(Post.org_id == acme.id)) == 0
    too_many = {"posts": [{"text": "x", "countries": ["US"]}] * (runtime.settings.max_posts_per_request + 1)}
    r = client.post("/api/v1/posts", headers=acme.h("ingest"), json=too_many)
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    r = client.post("/api/v1/posts", headers=acme.h("ingest"), data="[1, 2", content_type="application/json")
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_json"


def test_batch_ingest_and_pagination(client, acme, runtime):
    posts = [{"id": f"p{i}", "text": f"Got these from @brand{i} #gifted", "countries": ["GB"]} for i in range(30)]
    r = client.post("/api/v1/posts", headers=acme.h("ingest"), json={"posts": posts})
    assert r.status_code == 202
    assert len({p["audit_id"] for p in r.json["posts"]}) == 30
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/findings?limit=7" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=acme.h("read")).json
        seen += [f["id"] for f in page["items"]]
        pages += 1
        cursor = page["next"]
        if not cursor:
            break
    with runtime.db.session() as s:
        total = s.scalar(select(func.count()).select_from(Finding).where(Finding.org_id == acme.id))
    assert len(seen) == len(set(seen)) == total > 0
    assert pages == -(-total // 7)
    r = client.get("/api/v1/findings?cursor=garbage", headers=acme.h("read"))
    assert r.status_code == 400
    r = client.get("/api/v1/findings?severity=fatal", headers=acme.h("read"))
    assert r.status_code == 400 and r.json["error"]["details"]["field"] == "severity"
    gb = client.get("/api/v1/findings?country=GB&severity=error&platform=instagram", headers=acme.h("read")).json
    assert gb["items"] == []   # the posts have no platform


def test_campaign_crud_and_validation(client, acme):
    h = acme.h("ingest")
    r = client.post("/api/v1/campaigns", headers=h, json={"name": "A", "countries": ["XX"]})
    assert r.status_code == 422 and r.json["error"]["code"] == "unknown_country"
    r = client.post("/api/v1/campaigns", headers=h, json={"name": "A", "starts_on": "2025-02-01", "ends_on": "2025-01-01"})
    assert r.status_code == 422 and r.json["error"]["details"]["field"] == "ends_on"
    c = client.post("/api/v1/campaigns", headers=h, json={"name": "A", "countries": ["uk"]}).json
    assert c["countries"] == ["GB"] and c["status"] == "open"
    assert client.post("/api/v1/campaigns", headers=h, json={"name": "A"}).status_code == 409
    r = client.patch(f"/api/v1/campaigns/{c['id']}", headers=h, json={"brand": "@acme"})
    assert r.json["brand"] == "@acme"
    listed = client.get("/api/v1/campaigns?name=A", headers=acme.h("read")).json["items"]
    assert [x["id"] for x in listed] == [c["id"]]
    inf = client.post("/api/v1/influencers", headers=h, json={"name": "I"}).json
    body = {"campaign_id": c["id"], "influencer_id": inf["id"], "compensation": "affiliate"}
    con = client.post("/api/v1/contracts", headers=h, json=body)
    assert con.status_code == 201
    assert client.post("/api/v1/contracts", headers=h, json=body).status_code == 409
    r = client.post("/api/v1/contracts", headers=h, json=dict(body, compensation="beer"))
    assert r.status_code == 422
    r = client.patch(f"/api/v1/contracts/{con.json['id']}", headers=h, json={"compensation": "fixed_fee"})
    assert r.json["relationship"] == "paid"


def test_close_and_report(client, acme):
    camp, inf, con = _setup_campaign(client, acme)
    h = acme.h("ingest")
    client.post("/api/v1/posts", headers=h, json={"posts": [
        {"text": "Reklame for @nike: nye sko", "contract_id": con["id"], "url": "https://i/1"},
        {"text": "Nye sko", "contract_id": con["id"], "url": "https://i/2"}]})
    r = client.get(f"/api/v1/campaigns/{camp['id']}/report", headers=acme.h("read"))
    assert r.status_code == 409   # not closed yet
    r = client.post(f"/api/v1/campaigns/{camp['id']}/close", headers=h)
    assert r.status_code == 202
    run = r.json["close"]
    assert r.json["status"] == "closed" and run["total"] == 2 and run["status"] == "done"
    assert run["verdicts"]["violation"] >= 1
    again = client.post(f"/api/v1/campaigns/{camp['id']}/close", headers=h)
    assert again.status_code == 200 and again.json["close"]["id"] == run["id"]
    rerun = client.post(f"/api/v1/campaigns/{camp['id']}/close", headers=h, json={"rerun": True})
    assert rerun.status_code == 202 and rerun.json["close"]["id"] != run["id"]
    report = client.get(f"/api/v1/campaigns/{camp['id']}/report?format=json", headers=acme.h("read"))
    assert report.status_code == 200
    doc = json.loads(report.data)
    assert "https://i/2" in report.data.decode()
    assert doc   # the reports module's JSON document
    sarif = client.get(f"/api/v1/campaigns/{camp['id']}/report?format=sarif", headers=acme.h("read"))
    assert json.loads(sarif.data)["version"] == "2.1.0"
    for fmt in ("junit", "markdown", "csv"):
        r = client.get(f"/api/v1/campaigns/{camp['id']}/report?format={fmt}", headers=acme.h("read"))
        assert r.status_code == 200 and "https://i/2" in r.data.decode()
    assert client.get(f"/api/v1/campaigns/{camp['id']}/report?format=pdf", headers=acme.h("read")).status_code == 400
    # findings of the re-run replace the earlier audits' findings in the default listing
    current = client.get(f"/api/v1/findings?campaign={camp['id']}", headers=acme.h("read")).json["items"]
    audits_listed = {f["audit_id"] for f in current}
    run_audits = {a["id"] for a in client.get(f"/api/v1/audits?run={rerun.json['close']['id']}",
                                              headers=acme.h("read")).json["items"]}
    assert audits_listed <= run_audits


def test_review_log_is_append_only(client, acme, runtime):
    client.post("/api/v1/posts", headers=acme.h("ingest"), json={"text": "Thanks @brand for the gift", "countries": ["GB"]})
    finding = client.get("/api/v1/findings", headers=acme.h("read")).json["items"][0]
    assert client.post(f"/api/v1/findings/{finding['id']}/review", headers=acme.h("read"),
                       json={"state": "confirmed"}).status_code == 403
    r = client.post(f"/api/v1/findings/{finding['id']}/review", headers=acme.h("review"),
                    json={"state": "confirmed", "note": "clear case"})
    assert r.status_code == 200 and r.json["review_state"] == "confirmed"
    r = client.post(f"/api/v1/findings/{finding['id']}/review", headers=acme.h("review"), json={"state": "nope"})
    assert r.status_code == 422
    log = client.get(f"/api/v1/findings/{finding['id']}", headers=acme.h("read")).json["review_log"]
    assert [(e["from_state"], e["to_state"], e["note"]) for e in log] == [("open", "confirmed", "clear case")]
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    for statement in (f"UPDATE review_log SET note = 'changed' WHERE org_id = {acme.id}",
                      f"DELETE FROM review_log WHERE org_id = {acme.id}"):
        with pytest.raises(DBAPIError, match="append-only"):
            with runtime.db.transaction() as s:
                s.execute(text(statement))
