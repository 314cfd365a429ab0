"""Alembic migrations, shipped inside the package so `auditor db upgrade` works when installed."""
