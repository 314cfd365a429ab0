"""The database handle: one SQLAlchemy engine per process, created on first use (never at import)."""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator

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
    """Insert many rows, answer their ids in order (or [] when `returning_ids` is false).

    PostgreSQL: the ids drawn from the sequence in one query (so their order is known), then one
    `INSERT ... SELECT FROM json_to_recordset(...)` with all the rows as a single JSON document:
    json.dumps runs in C, where COPY or executemany adapt each value in Python.
    Other databases: SQLAlchemy's multi-row INSERT (... RETURNING).
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
    table = model.__table__
    ids: list[int] = []
    if "id" in rows[0]:   # drawn before (reserve_ids)
        ids = [r["id"] for r in rows]
    elif returning_ids:
        ids = reserve_ids(session, model, len(rows))
        rows = [{"id": row_id, **row} for row_id, row in zip(ids, rows)]
    quote = conn.dialect.identifier_preparer.quote   # "references" is a reserved word
    names = list(rows[0])
    params: dict[str, Any] = {"rows": json_document(rows)}
    selected = [f"v.{quote(n)}" for n in names]
    columns = list(names)
    for c in table.columns:   # Python-side defaults of the columns the rows leave out: once per batch
        if c.name in rows[0] or c.name == "id" or c.default is None:
            continue
        arg = c.default.arg
        value = arg(None) if callable(arg) else arg
        key = f"d{len(params)}"
        params[key] = json.dumps(value) if isinstance(c.type, JSON) and value is not None else value
        columns.append(c.name)
        selected.append(f"%({key})s::{_pg_type(c)}")
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) "
                         f"SELECT {', '.join(selected)} FROM {_recordset(table, names, quote)}", params)
    return ids


def reserve_ids(session: Session, model, n: int) -> list[int] | None:
    """n ids from the table's sequence (PostgreSQL), for rows that need their id before the insert;
    None elsewhere."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return None
    name = model.__table__.name
    return [r[0] for r in conn.exec_driver_sql(
        f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) FROM generate_series(1, {int(n)})")]


def ids_in(session: Session, column, ids):
    """`column IN ids`; on PostgreSQL as `= ANY(array)`: one parameter instead of hundreds."""
    from sqlalchemy import Integer, any_, bindparam
    from sqlalchemy.dialects.postgresql import ARRAY

    ids = list(ids)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return column.in_(ids)


_PG_TYPES = {"Integer": "int", "String": "text", "Text": "text", "DateTime": "timestamptz", "Date": "date",
             "Boolean": "boolean"}


def _pg_type(column) -> str:
    return "jsonb" if isinstance(column.type, JSON) else _PG_TYPES[type(column.type).__name__]


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


try:
    import orjson
except ImportError:  # pragma: no cover - a dependency; json below gives the same text, slower
    orjson = None


def json_document(rows) -> str:
    """Rows as one JSON text, serialized in C (orjson: ~10x json.dumps), where adapting a value at a
    time runs in Python. Datetimes as isoformat() either way."""
    if orjson is not None:
        try:
            return orjson.dumps(rows, default=_json_default, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()
        except TypeError:   # e.g. an integer over 64 bits: json.dumps handles it
            pass
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _recordset(table, names: list[str], quote) -> str:
    """`json_to_recordset(%(rows)s::json) AS v(col type, ...)`: a batch of rows as one parameter."""
    spec = ", ".join(f"{quote(n)} {_pg_type(table.columns[n])}" for n in names)
    return f"json_to_recordset(%(rows)s::json) AS v({spec})"


def update_rows(session: Session, model, rows: list[dict]) -> None:
    """UPDATE many rows by id, each with its own values (all rows carry the same keys).

    PostgreSQL: one statement joining the table to the rows given as one JSON document (adapting
    arrays of JSON values one by one in Python cost more than everything else in a worker batch).
    """
    from sqlalchemy import update

    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        session.execute(update(model), rows)
        return
    table = model.__table__
    quote = conn.dialect.identifier_preparer.quote
    names = [k for k in rows[0] if k != "id"]
    sets = ", ".join(f"{quote(n)} = v.{quote(n)}" for n in names)
    sql = (f"UPDATE {quote(table.name)} AS t SET {sets} FROM {_recordset(table, ['id', *names], quote)} "
           f"WHERE t.id = v.id")
    conn.exec_driver_sql(sql, {"rows": json_document(rows)})
