"""Fixtures for the service: a database of each kind (SQLite, PostgreSQL) per test session, an app
and organizations with keys per test, and helpers that start real gunicorn and worker processes."""
from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import sys
import tempfile
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
# a Redis database of our own (one per xdist worker): the flush test must not touch anyone else's keys
REDIS_DB = 13 - int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0) % 8
POSTGRESQL_LOCK = Path(tempfile.gettempdir()) / "auditor-tests-postgresql.lock"


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


# -- PostgreSQL may be stopped by a test: the others wait for it -----------------------------------
#
# test_integration.py::test_postgresql_stopped_answers_503_then_recovers stops the cluster. Every
# test that uses PostgreSQL holds a shared lock on POSTGRESQL_LOCK while it runs, and that test
# takes it exclusively: it waits for the PostgreSQL tests running in other xdist workers (or other
# pytest runs on this machine) to finish, and they wait for it to restart the cluster. So
# `pytest -n 2` is safe, in any order.

@contextlib.contextmanager
def postgresql_lock(exclusive: bool = False):
    with open(POSTGRESQL_LOCK, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def _postgresql_in_use(request):
    uses_pg = request.node.get_closest_marker("integration") is not None or \
        getattr(getattr(request.node, "callspec", None), "params", {}).get("database_kind") == "postgresql"
    if not uses_pg or request.node.get_closest_marker("stops_postgresql"):
        yield
        return
    with postgresql_lock():
        yield


# -- databases: one of each kind per test session (per xdist worker), migrated once ------------------
#
# Tests are isolated by organization, not by database: every test gets organizations of its own
# (`acme`, `other`, `make_org`), and every query the service makes is scoped to an organization.
# Tests that count rows count their own organization's or their own ids. Creating and migrating a
# database per test cost 1-2 s each, and building a fresh engine (spaCy pipelines) per test 2 s more.

DATABASES = ("sqlite", "postgresql")


def pytest_configure(config):
    config.addinivalue_line("markers", "databases(*kinds): run on these databases only (default: sqlite and "
                                       "postgresql), for tests where the database plays no part")
    config.addinivalue_line("markers", "stops_postgresql: stops the PostgreSQL cluster (takes POSTGRESQL_LOCK "
                                       "exclusively)")


def pytest_generate_tests(metafunc):
    if "database_kind" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("databases")
        metafunc.parametrize("database_kind", marker.args if marker else DATABASES, indirect=True,
                             scope="session")


@pytest.fixture(scope="session")
def database_kind(request) -> str:
    return request.param


class ServiceDatabase:
    def __init__(self, url: str, runtime: Runtime, app):
        self.url, self.runtime, self.app = url, runtime, app


@pytest.fixture(scope="session")
def service_databases(tmp_path_factory, rules, engine):
    """kind -> ServiceDatabase, made (and migrated) on first use, dropped at the end of the session.
    The runtimes share the session's rules and engine (its spaCy pipelines are built once)."""
    made: dict[str, ServiceDatabase] = {}
    missing: set[str] = set()   # asked once: without PostgreSQL, each of its tests skips (CI: fails) at once

    def get(kind: str) -> ServiceDatabase:
        if kind == "postgresql" and kind not in made:
            if kind in missing or not pg_available():
                missing.add(kind)
                require_or_skip(False, "PostgreSQL is not reachable at 127.0.0.1:5432")
        if kind not in made:
            tmp = tmp_path_factory.mktemp(kind)
            url = f"sqlite:///{tmp / 'auditor.sqlite'}" if kind == "sqlite" else create_pg_database()
            settings = Settings(instance_path=str(tmp / "instance"), database_url=url, redis_url=None,
                                auto_migrate=False, auth_cache_seconds=0, check_rate=(0, 1))
            rt = Runtime(settings)
            rt._rules, rt._engine = rules, engine
            upgrade(rt.db)
            from auditor.web import create_app
            made[kind] = ServiceDatabase(url, rt, create_app(runtime=rt, preload=False))
        return made[kind]

    yield get
    for kind, sdb in made.items():
        sdb.runtime.db.dispose()
        if kind == "postgresql":
            drop_pg_database(sdb.url)


@pytest.fixture
def service_db(service_databases, database_kind) -> ServiceDatabase:
    return service_databases(database_kind)


@pytest.fixture
def database_url(service_db) -> str:
    return service_db.url


@pytest.fixture
def settings(service_db) -> Settings:
    return service_db.runtime.settings


@pytest.fixture
def runtime(service_db) -> Runtime:
    return service_db.runtime


@pytest.fixture
def app(service_db):
    return service_db.app


@pytest.fixture
def client(app):
    return app.test_client()


class Org:
    def __init__(self, org_id: int, name: str, keys: dict[str, str]):
        self.id, self.name, self.keys = org_id, name, keys

    def h(self, scope: str = "all") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}


def unique(name: str) -> str:
    """Organization names are unique per database, and tests share databases."""
    return f"{name} {uuid.uuid4().hex[:8]}"


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
    return make_org(runtime, unique("Acme"))


@pytest.fixture
def other(runtime) -> Org:
    return make_org(runtime, unique("Other"))


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


def start_gunicorn(env: dict[str, str], log: Path, workers: int = 2, wait: bool = True) -> tuple[Proc, str]:
    """gunicorn with the production settings; wait=False returns at once (see wait_http)."""
    port = free_port()
    env = dict(env, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS=str(workers))
    proc = Proc([sys.executable, "-m", "gunicorn", "-c", "python:auditor.web.gunicorn_conf", "wsgi:app"], env, log)
    url = f"http://127.0.0.1:{port}"
    if wait:
        wait_http(url + "/api/v1/ping", proc)
    return proc, url


def start_worker(env: dict[str, str], log: Path, *extra: str) -> Proc:
    return Proc([sys.executable, "worker.py", *extra], env, log)


def wait_workers(redis_url: str, queue_name: str, n: int, procs: list[Proc], timeout: float = 120) -> None:
    """Until n rq workers listen on the queue (they have preloaded the rules and pipelines)."""
    from redis import Redis
    from rq import Queue, Worker
    queue = Queue(queue_name, connection=Redis.from_url(redis_url))
    deadline = time.monotonic() + timeout
    while Worker.count(queue=queue) < n:
        for proc in procs:
            if proc.p.poll() is not None:
                raise RuntimeError(f"worker exited:\n{proc.tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{n} worker(s) not listening after {timeout} s")
        time.sleep(0.1)


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
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout} s:\n{proc.tail()}")
