"""The HTTP API through Flask's test client, on SQLite and on PostgreSQL (routes whose answer does
not depend on the database: on SQLite only)."""
from __future__ import annotations

import json

import pytest

from tests.service.conftest import make_org, unique

NO_POST = {"text": "#ad Nye sko fra @nike!", "countries": ["NO"], "platform": "instagram"}
no_database = pytest.mark.databases("sqlite")   # nothing but the key lookup touches the database


@no_database
def test_check_answers_the_engines_verdict(client, acme, engine, rules):
    from auditor.posts import parse_post
    r = client.post("/api/v1/check", headers=acme.h("check"), json=dict(NO_POST, id="draft-1"))
    assert r.status_code == 200
    expected = engine.audit(parse_post(dict(NO_POST, id="draft-1"), rules.countries)).to_dict()
    assert r.json == expected
    assert r.json["status"] == "violation"
    assert "no.label.language" in [f["rule_id"] for f in r.json["findings"]]


@no_database
def test_check_input_errors_are_precise(client, acme):
    h = acme.h("check")
    r = client.post("/api/v1/check", headers=h, data="{not json")
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_json"
    r = client.post("/api/v1/check", headers=h, json={"text": "hi", "countries": ["XX"]})
    assert r.status_code == 422 and r.json["error"]["code"] == "unknown_country"
    assert r.json["error"]["details"]["field"] == "countries"
    r = client.post("/api/v1/check", headers=h, json={"text": "hi", "countries": ["NO"], "platform": "myspace"})
    assert r.status_code == 422 and r.json["error"]["code"] == "unknown_platform"
    r = client.post("/api/v1/check", headers=h, json={"countries": ["NO"]})
    assert r.status_code == 422 and r.json["error"]["code"] == "missing_text"
    r = client.post("/api/v1/check", headers=h, json={"text": "x" * 100_001, "countries": ["NO"]})
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"


@no_database
def test_check_body_over_the_limit_is_413(client, acme, runtime):
    big = json.dumps({"text": "a" * (runtime.settings.max_check_bytes + 10), "countries": ["NO"]})
    r = client.post("/api/v1/check", headers=acme.h("check"), data=big, content_type="application/json")
    assert r.status_code == 413
    assert r.json["error"]["code"] == "too_large"


def test_authentication_and_scopes(client, acme, runtime):
    r = client.post("/api/v1/check", json=NO_POST)
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    r = client.post("/api/v1/check", headers={"Authorization": "Bearer aud_nope"}, json=NO_POST)
    assert r.status_code == 401
    r = client.post("/api/v1/check", headers=acme.h("read"), json=NO_POST)
    assert r.status_code == 403 and r.json["error"]["details"]["required_scope"] == "check"
    # admin implies every scope
    assert client.post("/api/v1/check", headers=acme.h("admin"), json=NO_POST).status_code == 200
    # revoked keys stop working (the cache is off in these tests)
    from auditor import accounts
    with runtime.db.transaction() as s:
        accounts.revoke_key(s, prefix=acme.keys["check"][:12])
    assert client.post("/api/v1/check", headers=acme.h("check"), json=NO_POST).status_code == 401


def test_me_and_meta(client, acme, rules):
    r = client.get("/api/v1/me", headers=acme.h("read"))
    assert r.json["organization"] == {"id": acme.id, "name": acme.name}
    assert r.json["key"]["scopes"] == ["read"]
    r = client.get("/api/v1/meta", headers=acme.h("check"))
    assert r.json["ruleset_version"] == rules.version
    codes = [c["code"] for c in r.json["countries"]]
    assert {"US", "GB", "NO"} <= set(codes)
    no = next(c for c in r.json["countries"] if c["code"] == "NO")
    assert no["name"] == "Norway" and "nb" in no["languages"]
    assert "instagram" in [p["id"] for p in r.json["platforms"]]
    assert "story" in r.json["formats"] and "gifted" in r.json["relationships"]


@no_database
@pytest.mark.parametrize("path", ["/api/v1/check", "/api/v1/me", "/api/v1/meta"])
def test_cors_for_extension_origins(client, acme, path):
    for origin in ("chrome-extension://abcdef", "moz-extension://1234-5678"):
        r = client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                          "Access-Control-Request-Headers": "authorization,content-type"})
        assert r.status_code == 204
        assert r.headers["Access-Control-Allow-Origin"] == origin
        assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
    r = client.options(path, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = client.get("/api/v1/me", headers=dict(acme.h(), Origin="chrome-extension://abc"))
    assert r.headers["Access-Control-Allow-Origin"] == "chrome-extension://abc"


@no_database
def test_no_cors_on_other_routes(client, acme):
    r = client.get("/api/v1/findings", headers=dict(acme.h(), Origin="chrome-extension://abc"))
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers


@no_database
def test_rate_limit_on_check(runtime, rules, engine):
    from auditor.runtime import Runtime
    from auditor.web import create_app
    limited = Runtime(runtime.settings.with_(check_rate=(3, 60)))   # the same database, with a limit
    limited._rules, limited._engine = rules, engine
    app = create_app(runtime=limited, preload=False)
    org = make_org(limited, unique("Limited"))
    c = app.test_client()
    try:
        codes = [c.post("/api/v1/check", headers=org.h("check"), json=NO_POST).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        r = c.post("/api/v1/check", headers=org.h("check"), json=NO_POST)
        assert r.json["error"]["code"] == "rate_limited"
        assert int(r.headers["Retry-After"]) >= 1
        # another key has its own budget
        assert c.post("/api/v1/check", headers=org.h("all"), json=NO_POST).status_code == 200
    finally:
        limited.db.dispose()


@no_database
def test_unknown_route_and_method(client, acme):
    r = client.get("/api/v1/nothing-here", headers=acme.h())
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    r = client.delete("/api/v1/check", headers=acme.h())
    assert r.status_code == 405


@no_database
def test_openapi_document_lists_every_route(client, app):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops
                  if method in ("get", "post", "patch", "put", "delete")}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule[len("/api/v1"):].replace("<int:", "{").replace(">", "}")
        path = path.replace("{post_id}", "{id}").replace("{audit_id}", "{id}").replace("{finding_id}", "{id}") \
            .replace("{campaign_id}", "{id}").replace("{contract_id}", "{id}").replace("{influencer_id}", "{id}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} missing from openapi.yaml"
