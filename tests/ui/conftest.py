"""Fixtures for the review UI: an app on a fresh database (SQLite; PostgreSQL where a test asks),
two organizations with data ingested through the real API, users of each role, and a signed-in
test client (CSRF tokens read from the pages, as a browser would)."""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass

import pytest

from auditor import accounts
from auditor.config import Settings
from auditor.db import upgrade
from auditor.runtime import Runtime
from tests.conftest import require_or_skip
from tests.service.conftest import Org, create_pg_database, drop_pg_database, make_org, pg_available

PASSWORD = "correct horse battery"
SCRIPT_TEXT = 'Unboxing @nordicrun <script>alert("pwned")</script> <b>bold</b> & more. Code LINE20 for 20% off'

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)" name="csrf_token"|'
                   r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    m = TOKEN.search(html)
    assert m, "no CSRF token on the page"
    return next(g for g in m.groups() if g)


def _settings(url: str, tmp_path) -> Settings:
    return Settings(instance_path=str(tmp_path / "instance"), database_url=url, redis_url=None,
                    auto_migrate=False, auth_cache_seconds=0, check_rate=(0, 1), secret_key="ui-tests")


def _runtime(url: str, tmp_path, rules, engine) -> Runtime:
    rt = Runtime(_settings(url, tmp_path))
    rt._rules, rt._engine = rules, engine   # built once for the whole run
    return rt


@pytest.fixture
def db_kind():
    """SQLite unless a test asks for PostgreSQL (parametrize db_kind)."""
    return "sqlite"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, rules, engine):
    """The seeded database, built once: each SQLite test gets a copy of the file (milliseconds)."""
    tmp = tmp_path_factory.mktemp("ui-template")
    rt = _runtime(f"sqlite:///{tmp / 'ui.sqlite'}", tmp, rules, engine)
    upgrade(rt.db)
    from auditor.web import create_app
    world = build_world(create_app(runtime=rt, preload=False), rt)
    rt.db.dispose()   # closes the connections: the WAL is folded into the file
    return tmp / "ui.sqlite", world


@pytest.fixture
def runtime(db_kind, tmp_path, rules, engine, request):
    if db_kind == "sqlite":
        template, world = request.getfixturevalue("sqlite_template")
        shutil.copy(template, tmp_path / "ui.sqlite")
        rt = _runtime(f"sqlite:///{tmp_path / 'ui.sqlite'}", tmp_path, rules, engine)
        rt.seeded_world = world
        yield rt
        rt.db.dispose()
        return
    require_or_skip(pg_available(), "PostgreSQL is not reachable at 127.0.0.1:5432")
    url = create_pg_database()
    rt = _runtime(url, tmp_path, rules, engine)
    upgrade(rt.db)
    rt.seeded_world = None
    yield rt
    rt.db.dispose()
    drop_pg_database(url)


@pytest.fixture
def app(runtime):
    from auditor.web import create_app
    return create_app(runtime=runtime, preload=False)


@dataclass
class World:
    acme: Org
    other: Org
    ids: dict          # Acme's objects by name
    other_ids: dict    # Other's objects by name


def add_user(rt: Runtime, org_name: str, email: str, role: str) -> int:
    with rt.db.transaction() as s:
        return accounts.create_user(s, accounts.get_org(s, org_name), email, PASSWORD, role).id


def seed(client, org: Org, prefix: str = "") -> dict:
    """A campaign in NO and GB with two influencers under contract and a handful of posts."""
    h = org.h()

    def post(path, body):
        r = client.post("/api/v1" + path, headers=h, json=body)
        assert r.status_code in (200, 201, 202), (path, r.json)
        return r.json

    camp = post("/campaigns", {"name": f"{prefix}Spring launch", "brand": "@nordicrun", "countries": ["NO", "GB"]})
    other_camp = post("/campaigns", {"name": f"{prefix}Autumn teaser", "brand": "@nordicrun", "countries": ["GB"]})
    lina = post("/influencers", {"name": f"{prefix}Lina Berg", "handles": {"instagram": f"{prefix}lina.runs"}})
    tom = post("/influencers", {"name": f"{prefix}Tom Price", "handles": {"tiktok": f"{prefix}tomtrains"}})
    c_lina = post("/contracts", {"campaign_id": camp["id"], "influencer_id": lina["id"], "compensation": "fixed_fee",
                                 "countries": ["NO"]})
    c_tom = post("/contracts", {"campaign_id": camp["id"], "influencer_id": tom["id"], "compensation": "gifting",
                                "countries": ["GB"]})
    posts = {
        "no_wrong_language": {"url": f"https://instagram.com/p/{prefix}a1", "platform": "instagram",
                              "author": f"{prefix}lina.runs", "posted_at": "2026-03-02T10:00:00Z",
                              "text": "#ad Nye løpesko fra @nordicrun til høstens turer 🍂 Bruk koden min LINE20 for 20% rabatt",
                              "contract_id": c_lina["id"]},
        "no_compliant": {"url": f"https://instagram.com/p/{prefix}a2", "platform": "instagram",
                         "author": f"{prefix}lina.runs", "posted_at": "2026-03-03T10:00:00Z",
                         "text": "Reklame for @nordicrun | Nye løpesko til høstens turer", "contract_id": c_lina["id"]},
        "gb_script": {"url": f"https://tiktok.com/@{prefix}tomtrains/1", "platform": "tiktok",
                      "author": f"{prefix}tomtrains", "posted_at": "2026-03-04T10:00:00Z", "text": SCRIPT_TEXT,
                      "contract_id": c_tom["id"]},
        "gb_gifted": {"url": f"https://tiktok.com/@{prefix}tomtrains/2", "platform": "tiktok",
                      "author": f"{prefix}tomtrains", "posted_at": "2026-03-05T10:00:00Z",
                      "text": "Thanks @nordicrun for the new running shoes! Link in bio", "contract_id": c_tom["id"]},
    }
    ids = {"campaign": camp["id"], "campaign2": other_camp["id"], "lina": lina["id"], "tom": tom["id"],
           "contract_lina": c_lina["id"], "contract_tom": c_tom["id"]}
    for name, body in posts.items():
        r = post("/posts", body)
        ids[name] = r["post_id"]
        ids[name + "_audit"] = r["audit_id"]
    findings = client.get(f"/api/v1/findings?post={ids['no_wrong_language']}", headers=h).json["items"]
    ids["finding"] = findings[0]["id"]
    ids["finding_rule"] = findings[0]["rule_id"]
    return ids


def build_world(app, runtime) -> World:
    client = app.test_client()
    acme, other = make_org(runtime, "Acme"), make_org(runtime, "Other")
    ids, other_ids = seed(client, acme), seed(client, other, prefix="o-")
    ids["admin"] = add_user(runtime, "Acme", "admin@acme.test", "admin")
    ids["reviewer"] = add_user(runtime, "Acme", "rev@acme.test", "reviewer")
    other_ids["reviewer"] = add_user(runtime, "Other", "rev@other.test", "reviewer")
    return World(acme, other, ids, other_ids)


@pytest.fixture
def world(app, runtime) -> World:
    if runtime.seeded_world is not None:
        w = runtime.seeded_world
        return World(w.acme, w.other, dict(w.ids), dict(w.other_ids))
    return build_world(app, runtime)


def sign_in(client, email: str, password: str = PASSWORD, expect: int = 302):
    page = client.get("/login")
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(page.text)})
    assert r.status_code == expect, r.text[:500]
    return r


class UiClient:
    """A test client that posts forms with the CSRF token of the page they are on."""

    def __init__(self, client):
        self.c = client

    def get(self, path, **kw):
        return self.c.get(path, **kw)

    def form(self, page_path: str, action: str, data: dict | None = None, **kw):
        token = csrf_token(self.c.get(page_path).text)
        return self.c.post(action, data={**(data or {}), "csrf_token": token}, **kw)


@pytest.fixture
def reviewer(app, world):
    client = app.test_client()
    sign_in(client, "rev@acme.test")
    return UiClient(client)


@pytest.fixture
def admin(app, world):
    client = app.test_client()
    sign_in(client, "admin@acme.test")
    return UiClient(client)


@pytest.fixture
def outsider(app, world):
    """A reviewer of the other organization."""
    client = app.test_client()
    sign_in(client, "rev@other.test")
    return UiClient(client)
