"""Alembic environment: runs on a connection handed in by auditor.migrate, or on the configured URL."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from auditor.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # noqa: ANN001
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from auditor.config import Settings
        from auditor.db import normalize_url
        url = normalize_url(Settings.from_env().effective_database_url)
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `auditor db upgrade`")
run_migrations_online()
