"""No route leaks another organization's data, and every route checks its scope: route by route."""
from __future__ import annotations

import pytest

from tests.service.conftest import make_org, unique

ROUTES = [  # method, path (filled with Acme's ids), scope, body
    ("GET", "/me", None, None), ("GET", "/meta", None, None),
    ("POST", "/check", "check", {"text": "hi", "countries": ["US"]}),
    ("POST", "/posts", "ingest", {"text": "hi", "countries": ["US"]}),
    ("GET", "/posts", "read", None), ("GET", "/posts/{post}", "read", None),
    ("GET", "/audits", "read", None), ("GET", "/audits/{audit}", "read", None),
    ("GET", "/findings", "read", None), ("GET", "/findings/{finding}", "read", None),
    ("POST", "/findings/{finding}/review", "review", {"state": "dismissed"}),
    ("POST", "/influencers", "ingest", {"name": "X"}), ("GET", "/influencers", "read", None),
    ("GET", "/influencers/{influencer}", "read", None), ("PATCH", "/influencers/{influencer}", "ingest", {"name": "Y"}),
    ("POST", "/campaigns", "ingest", {"name": "New"}), ("GET", "/campaigns", "read", None),
    ("GET", "/campaigns/{campaign}", "read", None), ("PATCH", "/campaigns/{campaign}", "ingest", {"brand": "b"}),
    ("POST", "/campaigns/{campaign}/close", "ingest", None), ("GET", "/campaigns/{campaign}/report", "read", None),
    ("POST", "/contracts", "ingest", {"campaign_id": "{campaign}", "influencer_id": "{influencer}",
                                      "compensation": "gifting"}),
    ("GET", "/contracts", "read", None), ("GET", "/contracts/{contract}", "read", None),
    ("PATCH", "/contracts/{contract}", "ingest", {"compensation": "affiliate"}),
]
PUBLIC = {"/ping", "/health", "/openapi.json"}
# admin-scope routes, checked route by route with admin keys in their own module
TESTED_ELSEWHERE = {"/webhooks": "tests/service/test_webhooks.py"}


@pytest.fixture(scope="module")
def acme_world(service_databases, database_kind):
    """Acme and its objects, once per module and database: the tests below only read them (as
    another organization, or with a key that lacks the scope), so they can share them."""
    sdb = service_databases(database_kind)
    acme = make_org(sdb.runtime, unique("Acme"))
    client, h = sdb.app.test_client(), acme.h()
    camp = client.post("/api/v1/campaigns", headers=h, json={"name": "C", "countries": ["GB"]}).json
    inf = client.post("/api/v1/influencers", headers=h, json={"name": "I", "handles": {"tiktok": "i"}}).json
    con = client.post("/api/v1/contracts", headers=h, json={"campaign_id": camp["id"], "influencer_id": inf["id"],
                                                            "compensation": "fixed_fee"}).json
    post = client.post("/api/v1/posts", headers=h, json={"text": "New shoes from @brand", "contract_id": con["id"]}).json
    finding = client.get(f"/api/v1/findings?post={post['post_id']}", headers=h).json["items"][0]
    return acme, {"campaign": camp["id"], "influencer": inf["id"], "contract": con["id"], "post": post["post_id"],
                  "audit": post["audit_id"], "finding": finding["id"]}


@pytest.fixture
def acme(acme_world):
    return acme_world[0]


@pytest.fixture
def acme_data(acme_world):
    return acme_world[1]


def _fill(value, ids):
    if isinstance(value, str):
        for k, v in ids.items():
            if value == "{" + k + "}":
                return v
            value = value.replace("{" + k + "}", str(v))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.databases("sqlite")   # the URL map only
def test_every_route_is_listed_here(app):
    listed = {path.split("{")[0].rstrip("/") for _, path, _, _ in ROUTES} | set(TESTED_ELSEWHERE)
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.rule[7:] not in PUBLIC:
            assert rule.rule[7:].split("<")[0].rstrip("/") in listed, rule.rule


@pytest.mark.parametrize("method,path,scope,body", ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_other_organization_sees_nothing(client, acme, other, acme_data, method, path, scope, body):
    url = "/api/v1" + _fill(path, acme_data)
    r = client.open(url, method=method, headers=other.h(), json=_fill(body, acme_data))
    if "{" in path:
        assert r.status_code == 404, (url, r.json)
        assert r.json["error"]["code"] == "not_found"
    elif method == "GET" and path not in ("/me", "/meta"):
        assert r.status_code == 200 and r.json["items"] == [], (url, r.json)
    elif path == "/contracts":
        assert r.status_code == 422   # Acme's campaign is not a campaign Other can reference
    elif path == "/me":
        assert r.json["organization"]["name"] == other.name


@pytest.mark.parametrize("method,path,scope,body", [r for r in ROUTES if r[2]],
                         ids=[f"{m} {p}" for m, p, s, _ in ROUTES if s])
def test_scope_is_checked(client, acme, acme_data, method, path, scope, body):
    wrong = next(s for s in ("read", "check", "ingest") if s != scope)
    url = "/api/v1" + _fill(path, acme_data)
    r = client.open(url, method=method, headers=acme.h(wrong), json=_fill(body, acme_data))
    assert r.status_code == 403, (url, r.json)
    assert r.json["error"]["details"]["required_scope"] == scope
    assert client.open(url, method=method, json=_fill(body, acme_data)).status_code == 401
