"""The database handle: one SQLAlchemy engine per process, created on first use (never at import)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """postgresql:// and postgres:// mean psycopg 3 here (the driver we ship)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_unavailable(exc: BaseException) -> bool:
    """True when the error means 'the database cannot be reached', not 'the query is wrong'."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    # connection refused, server restarting, SQLite "database is locked": all worth a 503 + retry
    return isinstance(exc, (OperationalError, InterfaceError))


class Database:
    def __init__(self, url: str):
        self.url = normalize_url(url)
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._pid = os.getpid()

    @property
    def dialect(self) -> str:
        return make_url(self.url).get_backend_name()

    @property
    def engine(self) -> Engine:
        if self._engine is not None and self._pid != os.getpid():
            # a forked child must not share the parent's sockets
            self._engine.dispose(close=False)
            self._engine = None
        if self._engine is None:
            self._engine = self._create()
            self._sessions = sessionmaker(self._engine, expire_on_commit=False)
            self._pid = os.getpid()
        return self._engine

    def _create(self) -> Engine:
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            if url.database and url.database != ":memory:":
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url, connect_args={"timeout": 30, "check_same_thread": False})

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn, _record):  # noqa: ANN001
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA journal_mode=WAL")   # readers do not block the writer
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()

            @event.listens_for(engine, "begin")
            def _begin(conn):  # noqa: ANN001
                # take the write lock up front: no deadlock when a reader later writes
                conn.exec_driver_sql("BEGIN IMMEDIATE")

            # pysqlite's own transaction handling would fight the explicit BEGIN above
            @event.listens_for(engine, "connect", insert=True)
            def _no_autobegin(dbapi_conn, _record):  # noqa: ANN001
                dbapi_conn.isolation_level = None

            return engine
        # pre_ping: after a database restart, stale pooled connections are replaced, not reused
        return create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                             pool_recycle=1800, connect_args={"connect_timeout": 5})

    def session(self) -> Session:
        self.engine  # noqa: B018 - creates the engine and session factory
        assert self._sessions is not None
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any error."""
        with self.session() as session, session.begin():
            yield session

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def alembic_config(db: Database):
    """An Alembic Config pointing at the packaged migrations (no alembic.ini needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "auditor:migrations")
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    from alembic import command

    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
