"""The database handle: one SQLAlchemy engine per process, created on first use (never at import)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import JSON, create_engine, event
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


def insert_rows(session: Session, model, rows: list[dict], returning_ids: bool = True) -> list[int]:
    """Insert many rows, answer their ids in order.

    PostgreSQL: ids drawn from the sequence in one query, then COPY (one round trip, no SQL
    text to build or parse: ~10x faster than a multi-row INSERT of a thousand posts here).
    Other databases: SQLAlchemy's multi-row INSERT ... RETURNING.
    """
    from sqlalchemy import insert

    if not rows:
        return []
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        if not returning_ids:
            session.execute(insert(model), rows)
            return []
        return list(session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))
    from psycopg.types.json import Jsonb

    table = model.__table__
    ids = [r[0] for r in conn.exec_driver_sql(
        f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, {len(rows)})")]
    columns = [c for c in table.columns if c.name == "id" or c.name in rows[0] or c.default is not None]
    names = [c.name for c in columns]
    json_cols = {c.name for c in columns if isinstance(c.type, JSON)}
    defaults = {c.name: c.default.arg for c in columns if c.default is not None and c.name not in rows[0]}
    quote = conn.dialect.identifier_preparer.quote   # "references" is a reserved word
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(f"COPY {quote(table.name)} ({', '.join(map(quote, names))}) FROM STDIN") as copy:
            for row_id, row in zip(ids, rows):
                values = []
                for name in names:
                    if name == "id":
                        value = row_id
                    elif name in row:
                        value = row[name]
                    else:
                        arg = defaults[name]
                        value = arg(None) if callable(arg) else arg
                    if name in json_cols and value is not None:
                        value = Jsonb(value)
                    values.append(value)
                copy.write_row(values)
    return ids


def ids_in(session: Session, column, ids):
    """`column IN ids`; on PostgreSQL as `= ANY(array)`: one parameter instead of hundreds."""
    from sqlalchemy import Integer, any_, bindparam
    from sqlalchemy.dialects.postgresql import ARRAY

    ids = list(ids)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return column.in_(ids)


_PG_ARRAY_TYPES = {"Integer": "int[]", "String": "text[]", "Text": "text[]", "DateTime": "timestamptz[]",
                   "JSON": "jsonb[]", "Boolean": "boolean[]"}


def update_rows(session: Session, model, rows: list[dict]) -> None:
    """UPDATE many rows by id, each with its own values (all rows carry the same keys).

    PostgreSQL: one statement over unnest()ed arrays instead of an executemany round per row.
    """
    from sqlalchemy import update

    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        session.execute(update(model), rows)
        return
    from psycopg.types.json import Jsonb

    table = model.__table__
    quote = conn.dialect.identifier_preparer.quote
    names = [k for k in rows[0] if k != "id"]
    casts, params = ["int[]"], {"id": [r["id"] for r in rows]}
    for name in names:
        col = table.columns[name]
        kind = "JSON" if isinstance(col.type, JSON) else type(col.type).__name__
        casts.append(_PG_ARRAY_TYPES[kind])
        params[name] = [Jsonb(r[name]) if kind == "JSON" and r[name] is not None else r[name] for r in rows]
    keys = ["id", *names]
    unnest = ", ".join(f"%({k})s::{c}" for k, c in zip(keys, casts))
    sets = ", ".join(f"{quote(n)} = v.{quote(n)}" for n in names)
    sql = (f"UPDATE {quote(table.name)} AS t SET {sets} FROM unnest({unnest}) "
           f"AS v({', '.join(map(quote, keys))}) WHERE t.id = v.id")
    conn.exec_driver_sql(sql, params)
