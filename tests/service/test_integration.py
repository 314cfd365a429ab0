"""The service for real: gunicorn and worker processes, Redis and PostgreSQL, HTTP.

Process starts dominate here (a worker or gunicorn preloads the rules and spaCy pipelines: ~4 s,
more on a busy machine), so the module starts gunicorn and two workers at once, reuses running
workers where the scenario allows, and polls instead of sleeping. The last test stops PostgreSQL;
it holds the PostgreSQL lock exclusively (see conftest.py), so tests in other xdist workers wait.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import require_or_skip
from tests.service.conftest import (
    REDIS, REDIS_DB, REPO, create_pg_database, drop_pg_database, pg_available, postgresql_lock, redis_available,
    service_env, start_gunicorn, start_worker, wait_http, wait_workers,
)

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("integration")]
TEXTS = ["#ad Nye sko fra @nike! bruk koden NIKE20", "Loving my new @adidas trainers, thanks for sending them",
         "Ad | New drop from @zara", "Just a sunny day at the beach", "Reklame for @hm: ny kolleksjon",
         "Use my code ANNA20 at @glow for 20% off", "Gifted by @lush #gifted"]


def http(method: str, url: str, key: str | None = None, body=None, timeout: float = 60):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def cli(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor.cli", *args], cwd=REPO, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, rules):
    require_or_skip(pg_available(), "PostgreSQL is not reachable at 127.0.0.1:5432")
    require_or_skip(redis_available(), "Redis is not reachable at 127.0.0.1:6379")
    from redis import Redis

    from auditor import accounts
    from auditor.config import Settings
    from auditor.db import upgrade
    from auditor.runtime import Runtime
    tmp = tmp_path_factory.mktemp("stack")
    url = create_pg_database()
    redis_url = f"{REDIS}/{REDIS_DB}"
    Redis.from_url(redis_url).flushdb()
    queue = f"itest-{os.getpid()}"
    env = service_env({"AUDITOR_DATABASE_URL": url, "AUDITOR_REDIS_URL": redis_url,
                       "AUDITOR_QUEUE": queue, "AUDITOR_INSTANCE_PATH": str(tmp),
                       "AUDITOR_AUTH_CACHE_SECONDS": "0", "AUDITOR_CHECK_RATE_LIMIT": "off",
                       "AUDITOR_RETRY_INTERVALS": "1,2", "AUDITOR_BATCH_SIZE": "100"})
    # schema, organization and key in this process: what the CLI does, without three more
    # interpreter starts (the CLI's own commands are exercised by the requeue and close tests)
    rt = Runtime(Settings(database_url=url))
    upgrade(rt.db)
    with rt.db.transaction() as s:
        key = accounts.create_key(s, accounts.create_org(s, "Acme"), ["check", "ingest", "read"], "it").secret
    rt.db.dispose()
    # everything starts at once: the servers preload while the others do
    gunicorn, base = start_gunicorn(env, tmp / "gunicorn.log", wait=False)
    # (it only stores posts: no engine, so no spaCy pipelines to build at its start)
    noredis, noredis_base = start_gunicorn(dict(env, AUDITOR_REDIS_URL="redis://127.0.0.1:1/0",
                                                AUDITOR_WEB_PRELOAD="false"),
                                           tmp / "gunicorn-noredis.log", workers=1, wait=False)
    workers = [start_worker(env, tmp / "w1.log"), start_worker(env, tmp / "w2.log")]
    state = {"env": env, "key": key, "base": base + "/api/v1", "db": url, "tmp": tmp, "queue": queue,
             "redis_url": redis_url, "redis": Redis.from_url(redis_url), "workers": workers,
             "noredis": (noredis, noredis_base)}
    try:
        wait_http(base + "/api/v1/ping", gunicorn)
        yield state
    finally:   # how they shut down is not what is tested here
        for proc in [*state["workers"], noredis, gunicorn]:
            proc.stop(signal.SIGKILL)
        state["redis"].flushdb()
        drop_pg_database(url)


def stop_workers(stack) -> None:
    for w in stack["workers"]:
        w.stop()
    stack["workers"].clear()


def counts(stack) -> dict:
    import psycopg
    with psycopg.connect(stack["db"]) as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM audits GROUP BY status").fetchall())
        findings, distinct = conn.execute("SELECT count(*), count(DISTINCT (audit_id, seq)) FROM findings").fetchone()
        per_audit = dict(conn.execute("SELECT audit_id, count(*) FROM findings GROUP BY audit_id").fetchall())
    return {"statuses": statuses, "findings": findings, "distinct": distinct, "per_audit": per_audit}


def expected_findings(engine, rules, posts, audit_ids) -> dict[int, int]:
    from auditor.posts import parse_post
    return {aid: len(engine.audit(parse_post(p, rules.countries)).findings) for p, aid in zip(posts, audit_ids)}


def submit(stack, posts) -> list[int]:
    ids = []
    for i in range(0, len(posts), 1000):
        status, body = http("POST", stack["base"] + "/posts", stack["key"], {"posts": posts[i:i + 1000]})
        assert status == 202, body
        ids += [p["audit_id"] for p in body["posts"]]
    return ids


def wait_done(stack, n_total: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c = counts(stack)
        if c["statuses"].get("done", 0) + c["statuses"].get("failed", 0) >= n_total:
            return c
        time.sleep(0.1)
    raise AssertionError(f"audits not finished in {timeout} s: {counts(stack)['statuses']}")


def make_posts(prefix: str, n: int) -> list[dict]:
    countries = [["NO"], ["US"], ["GB", "NO"], ["GB"]]
    return [{"id": f"{prefix}-{i}", "text": f"{TEXTS[i % len(TEXTS)]} #{prefix}{i}", "countries": countries[i % 4],
             "platform": "instagram"} for i in range(n)]


def test_1000_posts_over_http_each_finding_once(stack, engine, rules):
    if not stack["workers"]:   # another xdist worker ran the tests before this one
        stack["workers"] += [start_worker(stack["env"], stack["tmp"] / "w1b.log"),
                             start_worker(stack["env"], stack["tmp"] / "w2b.log")]
    before = counts(stack)
    posts = make_posts("a", 1000)
    audit_ids = submit(stack, posts)
    assert len(set(audit_ids)) == 1000
    wait_workers(stack["redis_url"], stack["queue"], 2, stack["workers"])   # a worker that cannot start shows its log
    c = wait_done(stack, sum(before["statuses"].values()) + 1000)
    assert c["statuses"] == {"done": sum(before["statuses"].values()) + 1000}
    expected = expected_findings(engine, rules, posts, audit_ids)
    assert c["findings"] - before["findings"] == sum(expected.values()) > 0
    assert c["findings"] == c["distinct"]
    assert {a: n for a, n in c["per_audit"].items() if a in expected} == {a: n for a, n in expected.items() if n}
    # the API shows them with their links
    status, page = http("GET", stack["base"] + f"/findings?audit={audit_ids[0]}", stack["key"])
    assert status == 200 and all(f["audit_id"] == audit_ids[0] for f in page["items"])


def test_worker_killed_mid_batch_loses_and_doubles_nothing(stack, engine, rules):
    # one worker, already warm, is the victim: paused while the posts arrive, so that it is
    # certainly in the middle of the 30 batches when it dies
    while len(stack["workers"]) > 1:
        stack["workers"].pop().stop()
    if not stack["workers"]:
        stack["workers"].append(start_worker(stack["env"], stack["tmp"] / "victim.log"))
    victim = stack["workers"].pop()
    before = counts(stack)
    os.killpg(victim.p.pid, signal.SIGSTOP)
    try:
        posts = make_posts("k", 3000)
        audit_ids = submit(stack, posts)
    finally:
        os.killpg(victim.p.pid, signal.SIGCONT)
    import psycopg
    deadline, running = time.monotonic() + 120, 0
    with psycopg.connect(stack["db"], autocommit=True) as conn:
        while time.monotonic() < deadline and not running:
            running = conn.execute("SELECT count(*) FROM audits WHERE status = 'running'").fetchone()[0]
            time.sleep(0.005)
    assert running, "the worker never started a batch"
    os.killpg(victim.p.pid, signal.SIGKILL)   # no clean-up of any kind
    victim.stop()
    mid = counts(stack)
    assert mid["statuses"].get("running", 0) > 0 or mid["statuses"].get("queued", 0) > 0
    # a new worker recovers what the dead one held (its pid is gone) and finishes the rest
    stack["workers"].append(start_worker(stack["env"], stack["tmp"] / "after-kill.log"))
    total = sum(before["statuses"].values()) + 3000
    c = wait_done(stack, total)
    assert c["statuses"].get("failed", 0) == 0
    expected = expected_findings(engine, rules, posts, audit_ids)
    new = {a: n for a, n in c["per_audit"].items() if a in expected}
    assert new == {a: n for a, n in expected.items() if n}
    assert c["findings"] == c["distinct"]


def test_redis_flushed_requeue_recovers(stack, engine, rules):
    stop_workers(stack)
    before = counts(stack)
    posts = make_posts("f", 500)
    audit_ids = submit(stack, posts)
    stack["redis"].flushdb()   # this Redis keeps nothing on disk: a restart loses the queue
    assert counts(stack)["statuses"].get("queued", 0) == 500
    r = cli(stack["env"], "requeue")
    assert r.returncode == 0, r.stderr
    assert "requeued 500 audit(s)" in r.stdout and "job_lost" in r.stdout
    w = start_worker(stack["env"], stack["tmp"] / "after-flush.log", "--burst")
    w.p.wait(120)
    c = counts(stack)
    assert c["statuses"].get("done", 0) == sum(before["statuses"].values()) + 500
    expected = expected_findings(engine, rules, posts, audit_ids)
    assert {a: n for a, n in c["per_audit"].items() if a in expected} == {a: n for a, n in expected.items() if n}
    assert cli(stack["env"], "requeue").stdout.strip() == "nothing to requeue"


def test_redis_down_at_ingest_keeps_the_posts(stack):
    # a second server (started with the stack) points at a Redis port where nothing listens:
    # the posts must still be stored
    stop_workers(stack)   # none may requeue them before the CLI does
    proc, base = stack["noredis"]
    wait_http(base + "/api/v1/ping", proc)
    status, body = http("POST", base + "/api/v1/posts", stack["key"], {"posts": make_posts("d", 5)})
    assert status == 202 and body["queue"]["status"] == "unavailable"
    ids = [p["audit_id"] for p in body["posts"]]
    status, audit = http("GET", base + f"/api/v1/audits/{ids[0]}", stack["key"])
    assert audit["status"] == "queued"
    r = cli(stack["env"], "requeue")   # the real Redis again
    assert "requeued 5 audit(s)" in r.stdout, r.stdout + r.stderr
    # a worker (kept for the next test) audits them
    stack["workers"].append(start_worker(stack["env"], stack["tmp"] / "after-noredis.log"))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if all(http("GET", stack["base"] + f"/audits/{aid}", stack["key"])[1]["status"] == "done" for aid in ids):
            break
        time.sleep(0.1)
    for aid in ids:
        assert http("GET", stack["base"] + f"/audits/{aid}", stack["key"])[1]["status"] == "done"


def test_campaign_close_cli_against_the_service(stack):
    key, base = stack["key"], stack["base"]
    camp = http("POST", base + "/campaigns", key, {"name": "Launch", "countries": ["NO"], "brand": "@nike"})[1]
    inf = http("POST", base + "/influencers", key, {"name": "Anna"})[1]
    con = http("POST", base + "/contracts", key, {"campaign_id": camp["id"], "influencer_id": inf["id"],
                                                  "compensation": "fixed_fee"})[1]
    http("POST", base + "/posts", key, {"posts": [
        {"text": "Reklame for @nike: nye sko", "contract_id": con["id"], "url": "https://ig/1"},
        {"text": "Nye sko fra @nike", "contract_id": con["id"], "url": "https://ig/2"}]})
    if not stack["workers"]:
        stack["workers"].append(start_worker(stack["env"], stack["tmp"] / "w-close.log"))
    out = stack["tmp"] / "close.sarif"
    r = cli(stack["env"], "campaign", "close", "Launch", "--server", base.rsplit("/api/v1", 1)[0],
            "--api-key", key, "--wait", "--fail-on", "error", "--format", "sarif", "--output", str(out))
    assert r.returncode == 1, r.stderr          # a violation at 'error'
    assert "closing: 2/2" in r.stderr
    sarif = json.loads(out.read_text())
    assert sarif["version"] == "2.1.0" and "https://ig/2" in out.read_text()
    r = cli(stack["env"], "campaign", "close", str(camp["id"]), "--server", base, "--api-key", key,
            "--wait", "--fail-on", "never", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)
    # the error paths, run side by side (each is an interpreter start)
    errors = [("Launch", base, "aud_wrong", "unauthorized"), ("Nope", base, key, "no campaign named 'Nope'"),
              ("Launch", "http://127.0.0.1:1", key, "cannot reach")]
    procs = [subprocess.Popen([sys.executable, "-m", "auditor.cli", "campaign", "close", name, "--server", server,
                               "--api-key", api_key, "--wait"], cwd=REPO, env=stack["env"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for name, server, api_key, _ in errors]
    for (_, _, _, message), p in zip(errors, procs):
        _, stderr = p.communicate(timeout=120)
        assert p.returncode == 2 and message in stderr, stderr


@pytest.mark.stops_postgresql
def test_postgresql_stopped_answers_503_then_recovers(stack):
    with postgresql_lock(exclusive=True):   # tests using PostgreSQL elsewhere wait (see conftest.py)
        _postgresql_stopped_answers_503_then_recovers(stack)


def _postgresql_stopped_answers_503_then_recovers(stack):
    cluster = [os.listdir("/etc/postgresql")[0], "main"]
    key, base = stack["key"], stack["base"]
    assert http("GET", base + "/findings?limit=1", key)[0] == 200
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "stop", "-m", "fast"], check=True)
    try:
        status, body = http("GET", base + "/findings?limit=1", key)
        assert status == 503, body
        assert body["error"]["code"] == "unavailable" and "database" in body["error"]["message"]
        status, body = http("POST", base + "/posts", key, {"text": "hello", "countries": ["US"]})
        assert status == 503
        assert http("GET", base + "/health")[0] == 503
    finally:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "start"], check=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if http("GET", base + "/findings?limit=1", key)[0] == 200:
            break
        time.sleep(0.1)
    assert http("GET", base + "/findings?limit=1", key)[0] == 200
    assert http("GET", base + "/health")[0] == 200
