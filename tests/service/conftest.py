"""Fixtures for the service: a fresh database per test module on SQLite and on PostgreSQL,
an app and keys, and helpers that start real gunicorn and worker processes."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from auditor import accounts
from auditor.config import Settings
from auditor.db import Database, upgrade
from auditor.runtime import Runtime
from tests.conftest import require_or_skip

REPO = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379"
REDIS_DB = 13   # a database of our own: the flush test must not touch anyone else's keys


def pg_available() -> bool:
    try:
        import psycopg
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001
        return False


def redis_available() -> bool:
    try:
        from redis import Redis
        return bool(Redis.from_url(REDIS, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


def create_pg_database() -> str:
    import psycopg
    name = f"auditor_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def drop_pg_database(url: str) -> None:
    import psycopg
    name = url.rsplit("/", 1)[1]
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # noqa: BLE001 - best effort clean-up
        pass


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each storage/API test runs on both databases."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'auditor.sqlite'}"
        return
    require_or_skip(pg_available(), "PostgreSQL is not reachable at 127.0.0.1:5432")
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(instance_path=str(tmp_path / "instance"), database_url=database_url, redis_url=None,
                    auto_migrate=False, auth_cache_seconds=0, check_rate=(0, 1))


@pytest.fixture
def runtime(settings, rules) -> Runtime:
    rt = Runtime(settings)
    rt._rules = rules   # the session's rules: loaded once for the whole run
    upgrade(rt.db)
    yield rt
    rt.db.dispose()


@pytest.fixture
def app(runtime):
    from auditor.web import create_app
    return create_app(runtime=runtime, preload=False)


@pytest.fixture
def client(app):
    return app.test_client()


class Org:
    def __init__(self, org_id: int, name: str, keys: dict[str, str]):
        self.id, self.name, self.keys = org_id, name, keys

    def h(self, scope: str = "all") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}


def make_org(rt: Runtime, name: str) -> Org:
    keys = {}
    with rt.db.transaction() as s:
        org = accounts.create_org(s, name)
        keys["all"] = accounts.create_key(s, org, ["check", "ingest", "read", "review"], "all").secret
        for scope in ("check", "ingest", "read", "review", "admin"):
            keys[scope] = accounts.create_key(s, org, [scope], scope).secret
        return Org(org.id, org.name, keys)


@pytest.fixture
def acme(runtime) -> Org:
    return make_org(runtime, "Acme")


@pytest.fixture
def other(runtime) -> Org:
    return make_org(runtime, "Other")


# -- real processes --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service_env(settings_env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    env.update(settings_env)
    env["PYTHONPATH"] = str(REPO)
    return env


class Proc:
    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = log
        self.handle = open(log, "wb")
        self.p = subprocess.Popen(args, cwd=REPO, env=env, stdout=self.handle, stderr=subprocess.STDOUT,
                                  start_new_session=True)

    def stop(self, sig=15, timeout: float = 15) -> None:
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, 9)
                self.p.wait(5)
        self.handle.close()

    def tail(self, n: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def start_gunicorn(env: dict[str, str], log: Path, workers: int = 2) -> tuple[Proc, str]:
    port = free_port()
    env = dict(env, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS=str(workers))
    proc = Proc([sys.executable, "-m", "gunicorn", "-c", "python:auditor.web.gunicorn_conf", "wsgi:app"], env, log)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/api/v1/ping", proc)
    return proc, url


def start_worker(env: dict[str, str], log: Path, *extra: str) -> Proc:
    return Proc([sys.executable, "worker.py", *extra], env, log)


def wait_http(url: str, proc: Proc, timeout: float = 60) -> None:
    import urllib.request
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.p.poll() is not None:
            raise RuntimeError(f"process exited:\n{proc.tail()}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout} s:\n{proc.tail()}")
