"""The service's commands: db, orgs, keys, users, worker, requeue, campaign close, serve."""
from __future__ import annotations

import sys
from functools import lru_cache

import click

from auditor.cli import main
from auditor.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_RULES, EXIT_USAGE, fail, write_output
from auditor.config import ConfigError, Settings


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The environment, read once per command."""
    try:
        return Settings.from_env()
    except ConfigError as exc:
        fail(str(exc), "fix the variable or unset it to use the default")


def runtime():
    from auditor.runtime import Runtime
    return Runtime(settings())


def _db_or_exit(action):
    """Run action(session) in a transaction; database and account errors become error:/hint: lines."""
    from auditor.accounts import AccountError
    from auditor.db import is_unavailable

    rt = runtime()
    try:
        with rt.db.transaction() as session:
            return action(session)
    except AccountError as exc:
        fail(exc.message)
    except Exception as exc:  # noqa: BLE001
        if is_unavailable(exc):
            fail(f"database unavailable: {str(exc).splitlines()[0]}",
                 "check AUDITOR_DATABASE_URL and that the server is up; then `auditor db upgrade`")
        if "no such table" in str(exc) or "does not exist" in str(exc):
            fail("the database has no schema yet", "run `auditor db upgrade`")
        raise


# -- db ----------------------------------------------------------------------------------------

@main.group()
def db() -> None:
    """Database schema (Alembic migrations shipped with the package)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema of AUDITOR_DATABASE_URL (default: SQLite in ./instance)."""
    from auditor.db import current_revision, is_unavailable, upgrade

    rt = runtime()
    try:
        upgrade(rt.db, revision)
        click.echo(f"database at revision {current_revision(rt.db)} ({rt.db.dialect})")
    except Exception as exc:  # noqa: BLE001
        if is_unavailable(exc):
            fail(f"database unavailable: {str(exc).splitlines()[0]}", "check AUDITOR_DATABASE_URL")
        raise


# -- orgs --------------------------------------------------------------------------------------

@main.group()
def orgs() -> None:
    """Organizations (tenants)."""


@orgs.command("create")
@click.argument("name")
def orgs_create(name: str) -> None:
    from auditor.accounts import create_org
    org = _db_or_exit(lambda s: create_org(s, name))
    click.echo(f"created organization {org.name!r} (id {org.id})")


@orgs.command("list")
def orgs_list() -> None:
    from sqlalchemy import select

    from auditor.models import Organization
    for org in _db_or_exit(lambda s: s.scalars(select(Organization).order_by(Organization.id)).all()):
        click.echo(f"{org.id}\t{org.name}")


# -- keys --------------------------------------------------------------------------------------

@main.group()
def keys() -> None:
    """API keys (stored hashed; the key itself is printed once, at creation)."""


@keys.command("create")
@click.option("--org", "org_name", required=True, help="Organization name.")
@click.option("--scopes", required=True, help="Comma-separated: check, ingest, read, review, admin.")
@click.option("--name", default="", help="A label for listings, e.g. 'extension' or 'ci'.")
def keys_create(org_name: str, scopes: str, name: str) -> None:
    from auditor.accounts import create_key, get_org, parse_scopes

    def action(session):
        return create_key(session, get_org(session, org_name), parse_scopes(scopes), name)
    new = _db_or_exit(action)
    click.echo(f"created key {new.key.id} ({new.key.name}) for {org_name!r}, scopes {new.key.scopes}", err=True)
    click.echo("store it now: it is shown only once", err=True)
    click.echo(new.secret)


@keys.command("revoke")
@click.option("--id", "key_id", type=int, help="Key id (see `auditor keys list`).")
@click.option("--prefix", help="The key's first characters, as listed.")
def keys_revoke(key_id: int | None, prefix: str | None) -> None:
    from auditor.accounts import revoke_key
    key = _db_or_exit(lambda s: revoke_key(s, key_id, prefix))
    click.echo(f"revoked key {key.id} ({key.prefix}...); running servers stop accepting it within "
               f"{settings().auth_cache_seconds:g} s")


@keys.command("list")
@click.option("--org", "org_name", help="Only this organization.")
def keys_list(org_name: str | None) -> None:
    from sqlalchemy import select

    from auditor.accounts import get_org
    from auditor.models import ApiKey

    def action(session):
        q = select(ApiKey).order_by(ApiKey.id)
        if org_name:
            q = q.where(ApiKey.org_id == get_org(session, org_name).id)
        return session.scalars(q).all()
    for k in _db_or_exit(action):
        state = "revoked" if k.revoked_at else "active"
        click.echo(f"{k.id}\t{k.prefix}...\torg {k.org_id}\t{k.name}\t{k.scopes}\t{state}")


# -- users (the review UI signs them in) --------------------------------------------------------

@main.group()
def users() -> None:
    """People who use the review UI."""


@users.command("create")
@click.option("--org", "org_name", required=True)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["reviewer", "admin"]), default="reviewer", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(org_name: str, email: str, role: str, password_stdin: bool) -> None:
    from auditor.accounts import create_user, get_org

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = _db_or_exit(lambda s: create_user(s, get_org(s, org_name), email, password, role))
    click.echo(f"created {user.role} {user.email} (id {user.id})")


@users.command("list")
@click.option("--org", "org_name", help="Only this organization.")
def users_list(org_name: str | None) -> None:
    """One line per user: id, e-mail, role, organization, state."""
    from sqlalchemy import select

    from auditor.accounts import get_org
    from auditor.models import Organization, User

    def action(session):
        q = select(User, Organization.name).join(Organization, Organization.id == User.org_id) \
            .order_by(Organization.name, User.email)
        if org_name:
            q = q.where(User.org_id == get_org(session, org_name).id)
        return session.execute(q).all()
    for user, org in _db_or_exit(action):
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{org}\t{'active' if user.active else 'deactivated'}")


DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@users.command("reset-password")
@click.argument("email")
@click.option("--base-url", help="Where the review UI is reached, e.g. https://auditor.example.com "
              f"(default: AUDITOR_SERVER_URL, else {DEFAULT_BASE_URL}).")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True, max=24 * 7), default=24, show_default=True,
              help="The link expires after this many hours.")
def users_reset_password(email: str, base_url: str | None, hours: float) -> None:
    """Print a one-time link that sets a new password for EMAIL (e.g. for an admin locked out).

    Earlier links for the user stop working; the password itself changes only when the link is used.
    """
    from sqlalchemy import select

    from auditor.accounts import AccountError, create_reset
    from auditor.models import User

    base = (base_url or settings().server_url or DEFAULT_BASE_URL).rstrip("/")
    if not base.startswith(("http://", "https://")):
        fail(f"--base-url {base!r} is not an http(s) URL", "e.g. --base-url https://auditor.example.com")

    def action(session):
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise AccountError("not_found", f"no user {email!r} (see `auditor users list`)")
        new = create_reset(session, user, hours=hours)
        return user.email, new.token, new.reset.expires_at
    address, token, expires = _db_or_exit(action)
    click.echo(f"one-time password reset link for {address}, valid until {expires:%Y-%m-%d %H:%M} UTC; "
               "hand it over privately (it works once; earlier links no longer work):", err=True)
    click.echo(f"{base}/reset/{token}")


# -- worker and recovery ------------------------------------------------------------------------

def worker_main(argv: list[str] | None = None) -> int:
    from auditor.worker import main as run_worker
    return run_worker(argv)


@main.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", help="Worker name.")
def worker_command(burst: bool, name: str | None) -> None:
    """Run an audit worker in the foreground (same as `python worker.py`)."""
    argv = (["--burst"] if burst else []) + (["--name", name] if name else [])
    raise SystemExit(worker_main(argv))


@main.command("requeue")
@click.option("--failed", is_flag=True, help="Also retry audits that failed for good.")
@click.option("--limit", type=int, default=None, help="At most this many audits.")
def requeue_command(failed: bool, limit: int | None) -> None:
    """Re-enqueue audits that Redis lost or that a dead worker left running."""
    from auditor.db import is_unavailable
    from auditor.queue import QueueUnavailable
    from auditor.recovery import requeue

    rt = runtime()
    try:
        result = requeue(rt, include_failed=failed, limit=limit)
    except QueueUnavailable as exc:
        fail(str(exc), "start Redis (AUDITOR_REDIS_URL) and try again")
    except Exception as exc:  # noqa: BLE001
        if is_unavailable(exc):
            fail(f"database unavailable: {str(exc).splitlines()[0]}", "check AUDITOR_DATABASE_URL")
        raise
    if not result.requeued and not result.deliveries:
        click.echo("nothing to requeue")
        return
    if result.requeued:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(result.reasons.items()))
        click.echo(f"requeued {len(result.requeued)} audit(s) in {result.jobs} job(s) ({reasons})")
    if result.deliveries:
        click.echo(f"re-sent {len(result.deliveries)} pending webhook delivery(ies)")


# -- campaign close against a running service ----------------------------------------------------

@main.group()
def campaign() -> None:
    """Campaign audits against a running service."""


@campaign.command("close")
@click.argument("campaign_ref", metavar="CAMPAIGN")
@click.option("--server", help="Service URL, e.g. https://auditor.example.com (or AUDITOR_SERVER_URL).")
@click.option("--api-key", help="API key with ingest and read scopes (or AUDITOR_API_KEY).")
@click.option("--wait/--no-wait", default=False, help="Wait for the audit to finish, then report.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl", "sarif", "junit", "markdown", "csv"]),
              default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--rerun", is_flag=True, help="Audit again even if the campaign is already closed.")
@click.option("--timeout", type=float, default=1800, show_default=True, help="Give up waiting after this many seconds.")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between progress checks.")
def campaign_close(campaign_ref, server, api_key, wait, fail_on, fmt, output, rerun, timeout, poll) -> None:
    """Close CAMPAIGN (id or name): audit all its posts on the service's workers, then report.

    Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 bad usage, server error or posts
    that could not be audited, 3 invalid rules.
    """
    from auditor.client import Client, RemoteError, close_and_report

    server = server or settings().server_url
    api_key = api_key or settings().api_key
    if not server:
        fail("no server", "pass --server URL or set AUDITOR_SERVER_URL")
    if not api_key:
        fail("no API key", "pass --api-key KEY or set AUDITOR_API_KEY (scopes: ingest, read)")
    try:
        outcome = close_and_report(Client(server, api_key), campaign_ref, wait=wait, fmt=fmt, fail_on=fail_on,
                                   rerun=rerun, timeout=timeout, poll=poll)
    except RemoteError as exc:
        fail(exc.message, exc.hint, EXIT_RULES if exc.code == "invalid_rules" else EXIT_USAGE)
    if outcome.report is None:
        click.echo(f"close audit of campaign {outcome.campaign_id} started: {outcome.run['total']} post(s); "
                   f"run again with --wait for the report", err=True)
        raise SystemExit(EXIT_OK)
    write_output(outcome.report, output)
    run = outcome.run
    if run["failed"]:
        click.echo(f"error: {run['failed']} post(s) could not be audited (see the report's errors, "
                   f"or GET /api/v1/audits?status=failed&run={run['id']})", err=True)
        raise SystemExit(EXIT_USAGE)
    threshold = {"error": ("error",), "warning": ("error", "warning"), "never": ()}[fail_on]
    failing = any(run["findings"].get(sev, 0) for sev in threshold)
    raise SystemExit(EXIT_FINDINGS if failing else EXIT_OK)


# -- development server ---------------------------------------------------------------------------

@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the development server (use gunicorn in production: see docs/service.md)."""
    from auditor.rulesets import RulesInvalid
    from auditor.web import create_app

    try:
        app = create_app(settings())
    except RulesInvalid as exc:
        for err in exc.errors:
            click.echo(f"error: {err}", err=True)
        raise SystemExit(EXIT_RULES) from None
    app.run(host=host, port=port, threaded=True)
