"""`auditor users create|list|reset-password` on a SQLite database of the test's own."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.security import check_password_hash

from auditor import accounts
from auditor.cli import main
from auditor.cli import service
from auditor.db import Database
from auditor.models import PasswordReset, User

LINK = re.compile(r"^(https?://\S+)/reset/([A-Za-z0-9_-]{40,})$")


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITOR_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    monkeypatch.setenv("AUDITOR_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("AUDITOR_SERVER_URL", raising=False)

    def run(*args, stdin=None, env=None):
        service.settings.cache_clear()         # the environment is read once per command
        result = CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)
        service.settings.cache_clear()
        return result

    assert run("db", "upgrade").exit_code == 0
    assert run("orgs", "create", "Acme").exit_code == 0
    assert run("orgs", "create", "Other").exit_code == 0
    r = run("users", "create", "--org", "Acme", "--email", "Boss@acme.test", "--role", "admin", "--password-stdin",
            stdin="first password\n")
    assert r.exit_code == 0 and "created admin boss@acme.test" in r.output
    assert run("users", "create", "--org", "Other", "--email", "rev@other.test", "--password-stdin",
               stdin="other password\n").exit_code == 0
    run.db = Database(f"sqlite:///{tmp_path / 'cli.sqlite'}")
    yield run
    run.db.dispose()


def test_users_create_applies_the_password_rule(cli):
    r = cli("users", "create", "--org", "Acme", "--email", "x@acme.test", "--password-stdin", stdin="short\n")
    assert r.exit_code == 2 and "at least 8 characters" in r.output


def test_users_list(cli):
    everyone = cli("users", "list").output.splitlines()
    assert len(everyone) == 2
    r = cli("users", "list", "--org", "Acme")
    assert r.exit_code == 0
    (line,) = r.output.splitlines()
    assert line.split("\t")[1:] == ["boss@acme.test", "admin", "Acme", "active"]
    r = cli("users", "list", "--org", "Nope")
    assert r.exit_code == 2 and "no organization named 'Nope'" in r.output


def test_reset_password_prints_a_one_time_link(cli):
    r = cli("users", "reset-password", "BOSS@acme.test", "--base-url", "https://auditor.example.com/")
    assert r.exit_code == 0, r.output
    m = LINK.match(r.stdout.strip())
    assert m and m.group(1) == "https://auditor.example.com", r.stdout
    token = m.group(2)
    assert "boss@acme.test" in r.stderr and "works once" in r.stderr
    with cli.db.transaction() as s:
        row = s.scalar(select(PasswordReset))
        assert row.token_hash == accounts.hash_key(token) and row.created_by is None
        user = accounts.use_reset(s, token, "a new password")
        assert user is not None and user.email == "boss@acme.test"
    with cli.db.transaction() as s:
        assert check_password_hash(s.scalar(select(User).where(User.email == "boss@acme.test")).password_hash,
                                   "a new password")
        assert accounts.use_reset(s, token, "yet another one") is None          # once only


def test_reset_password_base_url_defaults(cli):
    r = cli("users", "reset-password", "boss@acme.test")
    assert r.stdout.startswith("http://127.0.0.1:8000/reset/")
    r = cli("users", "reset-password", "boss@acme.test", env={"AUDITOR_SERVER_URL": "https://review.acme.test"})
    assert r.stdout.startswith("https://review.acme.test/reset/")
    with cli.db.session() as s:                   # the newer link ended the older one
        rows = s.scalars(select(PasswordReset).order_by(PasswordReset.id)).all()
        assert [r.revoked_at is not None for r in rows] == [True, False]


def test_reset_password_errors(cli):
    r = cli("users", "reset-password", "nobody@acme.test")
    assert r.exit_code == 2 and "no user 'nobody@acme.test'" in r.output and "/reset/" not in r.output
    r = cli("users", "reset-password", "boss@acme.test", "--base-url", "auditor.example.com")
    assert r.exit_code == 2 and "not an http(s) URL" in r.output
