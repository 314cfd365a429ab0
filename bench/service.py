"""Service benchmark: prints ratios, asserts nothing.

1. /api/v1/check against /api/v1/ping (a trivial JSON endpoint) on the same gunicorn set-up, in
   the same run (alternating slices): requests/s and p50/p99 latency at 32 concurrent keep-alive
   connections, and the gunicorn CPU time per request of each.
   Targets: check/ping throughput >= 0.5, check p99 < 25 ms.
2. Ingest-to-stored-findings throughput: posts POSTed over HTTP (1,000 per request) until every
   audit is done, with two workers on PostgreSQL. Target: >= 2,000 posts/s.

Needs PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379); makes its own database and queue.
    python bench/service.py [--seconds 10] [--posts 20000]

The ingest line ends with where the CPU went (gunicorn, workers, PostgreSQL, Redis, this client):
all of them share the machine, so posts per CPU-second bounds what more cores would give.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.service.conftest import (  # noqa: E402 - the same process helpers the tests use
    REDIS, create_pg_database, drop_pg_database, service_env, start_gunicorn, start_worker,
)

CHECK_BODY = {"text": "#ad Nye sko fra @nike! Bruk koden NIKE20 for 20% rabatt", "countries": ["NO", "GB"],
              "platform": "instagram"}


async def load(port: int, method: str, path: str, key: str, body: bytes, conns: int, seconds: float):
    """A minimal keep-alive HTTP/1.1 client: `conns` connections, each sending back-to-back."""
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    latencies: list[float] = []
    errors = [0]
    stop = time.perf_counter() + seconds

    async def one():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            writer.write(head)
            status = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if b" 200 " not in status:
                errors[0] += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(conns)))
    elapsed = time.perf_counter() - started
    return {"latencies": latencies, "elapsed": elapsed, "errors": errors[0]}


def summary(runs: list[dict], cpu: float) -> dict:
    latencies = sorted(x for r in runs for x in r["latencies"])
    elapsed = sum(r["elapsed"] for r in runs)
    n = len(latencies)
    return {"rps": n / elapsed, "p50": latencies[n // 2] * 1000, "p99": latencies[int(n * 0.99)] * 1000, "n": n,
            "errors": sum(r["errors"] for r in runs), "cpu": cpu / n * 1000}


def cpu_seconds(pids) -> float:
    """utime + stime of these processes and their children's threads (Linux /proc), in seconds."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def tree(pid: int) -> list[int]:
    out = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return out
    for child in children:
        out += tree(int(child))
    return out


def pids_named(name: str) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() == name:
                    out.append(int(d.name))
            except OSError:
                pass
    return out


def post_raw(url, key, data: bytes):
    import urllib.request
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read()


def http(method, url, key, body=None):
    import urllib.request
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, method=method,
                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--posts", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=4, help="ping/check alternations within --seconds")
    args = ap.parse_args()

    import subprocess
    tmp = Path(f"/tmp/auditor-bench-{uuid.uuid4().hex[:6]}")
    tmp.mkdir()
    db = create_pg_database()
    env = service_env({"AUDITOR_DATABASE_URL": db, "AUDITOR_REDIS_URL": f"{REDIS}/14",
                       "AUDITOR_QUEUE": f"bench-{os.getpid()}", "AUDITOR_INSTANCE_PATH": str(tmp),
                       "AUDITOR_CHECK_RATE_LIMIT": "off"})
    procs = []
    try:
        run = lambda *a: subprocess.run([sys.executable, "-m", "auditor.cli", *a], cwd=REPO, env=env,  # noqa: E731
                                        capture_output=True, text=True, check=True).stdout.strip()
        run("db", "upgrade")
        run("orgs", "create", "Bench")
        key = run("keys", "create", "--org", "Bench", "--scopes", "check,ingest,read")
        gunicorn, base = start_gunicorn(env, tmp / "gunicorn.log")
        procs.append(gunicorn)
        port = int(base.rsplit(":", 1)[1])
        body = json.dumps(CHECK_BODY).encode()
        from auditor.web import gunicorn_conf
        print(f"gunicorn: {gunicorn_conf.worker_class}, {gunicorn_conf.workers} process(es) x "
              f"{gunicorn_conf.threads} threads; {args.conns} connections, {args.seconds:g} s each "
              f"(load average {os.getloadavg()[0]:.2f})")
        asyncio.run(load(port, "GET", "/api/v1/ping", key, b"", args.conns, 2))   # warm-up
        asyncio.run(load(port, "POST", "/api/v1/check", key, body, args.conns, 2))
        # alternating slices (ping, check, ping, check, ...): a change in the machine's load during
        # the run weighs on both sides alike
        runs: dict[str, list] = {"ping": [], "check": []}
        server_cpu = {"ping": 0.0, "check": 0.0}
        for _ in range(args.rounds):
            for name, method, path, data in (("ping", "GET", "/api/v1/ping", b""),
                                             ("check", "POST", "/api/v1/check", body)):
                before = cpu_seconds(tree(gunicorn.p.pid))
                runs[name].append(asyncio.run(load(port, method, path, key, data, args.conns,
                                                   args.seconds / args.rounds)))
                server_cpu[name] += cpu_seconds(tree(gunicorn.p.pid)) - before
        ping, check = (summary(runs[k], server_cpu[k]) for k in ("ping", "check"))
        for name, r in (("ping ", ping), ("check", check)):
            print(f"  {name}: {r['rps']:8.0f} req/s   p50 {r['p50']:6.1f} ms   p99 {r['p99']:6.1f} ms   "
                  f"({r['n']} requests, {r['errors']} non-200; gunicorn CPU {r['cpu']:.3f} ms/request)")
        print(f"  check/ping throughput ratio: {check['rps'] / ping['rps']:.2f} (target >= 0.5); "
              f"check p99 {check['p99']:.1f} ms (target < 25); gunicorn CPU per request ping/check "
              f"{ping['cpu'] / check['cpu']:.2f}")

        # workers warm (every pipeline built at start) so that the timing is the steady state
        wenv = dict(env, AUDITOR_WORKER_PRELOAD="true")
        procs += [start_worker(wenv, tmp / "w1.log"), start_worker(wenv, tmp / "w2.log")]
        from redis import Redis
        from rq import Queue, Worker
        queue = Queue(env["AUDITOR_QUEUE"], connection=Redis.from_url(env["AUDITOR_REDIS_URL"]))
        deadline = time.monotonic() + 180
        while Worker.count(queue=queue) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)   # both workers have preloaded rules and pipelines and are listening
        texts = ["#ad Nye sko fra @nike! bruk koden NIKE20", "Loving my new @adidas trainers, thanks for sending them",
                 "Ad | New drop from @zara", "Just a sunny day at the beach", "Gifted by @lush #gifted"]
        countries = [["NO"], ["US"], ["GB", "NO"], ["GB"]]
        posts = [{"id": f"b{i}", "text": f"{texts[i % 5]} #{i}", "countries": countries[i % 4],
                  "platform": "instagram"} for i in range(args.posts)]
        import psycopg
        bodies = [json.dumps({"posts": posts[i:i + 1000]}).encode() for i in range(0, len(posts), 1000)]
        pg_sql = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                  "OR backend_type IN ('autovacuum worker', 'walwriter', 'checkpointer', 'background writer')")
        with psycopg.connect(db, autocommit=True) as conn:
            pg0 = {pid: cpu_seconds([pid]) for (pid,) in conn.execute(pg_sql).fetchall()}
        groups = {"gunicorn": tree(gunicorn.p.pid), "workers": tree(procs[1].p.pid) + tree(procs[2].p.pid),
                  "redis": pids_named("redis-server")}
        cpu0 = {k: cpu_seconds(v) for k, v in groups.items()}
        me0, load0 = time.process_time(), os.getloadavg()[0]
        t0 = time.perf_counter()
        for data in bodies:
            post_raw(base + "/api/v1/posts", key, data)
        t_ingest = time.perf_counter() - t0
        with psycopg.connect(db, autocommit=True) as conn:
            while conn.execute("SELECT count(*) FROM audits WHERE status IN ('queued', 'running')").fetchone()[0]:
                time.sleep(0.05)
            t_all = time.perf_counter() - t0
            done, findings = conn.execute("SELECT (SELECT count(*) FROM audits WHERE status = 'done'), "
                                          "(SELECT count(*) FROM findings)").fetchone()
            # PostgreSQL: this database's backends (new ones in full) and the shared background processes
            pg1 = {pid: cpu_seconds([pid]) for (pid,) in conn.execute(pg_sql).fetchall()}
        cpu = {k: cpu_seconds(v) - cpu0[k] for k, v in groups.items()}
        cpu["postgresql"] = sum(c - pg0.get(pid, 0.0) for pid, c in pg1.items())
        cpu["bench client"] = time.process_time() - me0
        print(f"ingest: {args.posts} posts over HTTP in {t_ingest:.2f} s ({args.posts / t_ingest:.0f} posts/s stored); "
              f"all audited with 2 workers on PostgreSQL in {t_all:.2f} s: {args.posts / t_all:.0f} posts/s "
              f"({done} audits done, {findings} findings) (target >= 2000; load average {load0:.2f})")
        used = sum(cpu.values())
        print(f"  CPU per post: " + ", ".join(f"{k} {v / args.posts * 1000:.3f} ms" for k, v in cpu.items())
              + f"; total {used / args.posts * 1000:.3f} ms = {args.posts / used:.0f} posts per CPU-second "
              f"({used / t_all:.2f} of {os.cpu_count()} cores busy with this pipeline)")
    finally:
        for p in reversed(procs):
            p.stop()
        drop_pg_database(db)


if __name__ == "__main__":
    main()
