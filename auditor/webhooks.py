"""Outgoing webhooks: which events an audit produces, their signed payloads, and delivering them.

The events are recorded as delivery rows inside the transaction that finishes the audits (an
outbox): an audit is never done without its events, and (endpoint_id, event_id) is unique, so a
re-run of the same audit records nothing twice. HTTP happens only afterwards, outside any
transaction: an rq job per batch of deliveries (rq retries it with back-off), or without Redis a
background thread. A receiver that is down never fails an audit.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from auditor import closing
from auditor.db import ids_in, insert_rows
from auditor.errors import Invalid, ServiceError
from auditor.models import WEBHOOK_EVENTS as AUDIT_EVENTS, Audit, CloseRun, WebhookDelivery, WebhookEndpoint, utcnow

log = logging.getLogger(__name__)

PING_EVENT = "ping"
CAMPAIGN_CLOSED = "campaign.closed"
EVENTS = (*AUDIT_EVENTS, CAMPAIGN_CLOSED)   # what an endpoint may subscribe to
SIGNATURE_HEADER = "X-Auditor-Signature"   # "sha256=<hex>", or "sha256=<new>,sha256=<old>" after a rotation
ROTATION_GRACE = timedelta(hours=24)   # how long the old secret still signs after a rotation
TIMEOUT_SECONDS = 5            # per attempt: a slow receiver must not hold a worker
RETRY_DELAYS = (10, 60, 300, 1800)   # seconds before attempts 2..5; then the delivery has failed
MAX_ENDPOINTS_PER_ORG = 20
_ERROR_TEXT = 500              # characters of an error kept per attempt
# recovery (`auditor requeue`): a pending delivery is stuck when its retry is this late (its rq job
# or thread is gone) or, never attempted, this old (it was never handed on); a re-sent one is left
# alone for RESEND_LEASE seconds, so a second requeue meanwhile does not send it again
RESEND_GRACE = 60
RESEND_AFTER = 120
RESEND_LEASE = 600
RESEND_BATCH = 500


# -- endpoints -----------------------------------------------------------------------------------

def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def rotate_secret(endpoint: WebhookEndpoint, now: datetime, grace_seconds: float | None = None) -> str:
    """A new secret for the endpoint; the one it replaces keeps signing for the grace period (a secret
    replaced earlier, still in its own grace period, stops now: two at most). Answers the new one."""
    grace = ROTATION_GRACE if grace_seconds is None else timedelta(seconds=grace_seconds)
    endpoint.previous_secret = endpoint.secret if grace > timedelta(0) else None
    endpoint.previous_secret_expires_at = now + grace if grace > timedelta(0) else None
    endpoint.secret = new_secret()
    return endpoint.secret


def validate_endpoint(data: dict[str, Any]) -> dict[str, Any]:
    """The fields of a new endpoint, or Invalid (422) naming the wrong one."""
    url = data.get("url")
    if not isinstance(url, str) or not url.strip():
        raise Invalid("'url' is required: the http(s) address to POST events to", "url")
    url = url.strip()
    if len(url) > 2000:
        raise Invalid("'url' is longer than 2000 characters", "url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Invalid("'url' must start with http:// or https://", "url")
    if not parts.hostname:
        raise Invalid("'url' has no host", "url")
    if parts.username or parts.password:
        raise Invalid("'url' must not carry credentials; verify the signature instead", "url")
    try:
        parts.port
    except ValueError:
        raise Invalid("'url' has an invalid port", "url") from None
    events = data.get("events")
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise Invalid(f"'events' must be a non-empty list of: {', '.join(EVENTS)}", "events")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise Invalid(f"unknown event(s) {', '.join(unknown)}; known: {', '.join(EVENTS)}", "events",
                      details={"unknown": unknown})
    description = data.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 200):
        raise Invalid("'description' must be a string of at most 200 characters", "description")
    return {"url": url, "events": list(dict.fromkeys(events)), "description": description}


# -- where webhooks may go (SSRF guard) ----------------------------------------------------------
#
# A tenant must not make the service call internal addresses: its own admin ports, the database,
# the cloud metadata service. The host is resolved when an endpoint is registered (a 400 names the
# address and why) and again at every delivery attempt (DNS may have changed since); every address
# the name resolves to must be allowed, and the connection then goes to one of those very
# addresses (no second lookup between the check and the connect: no DNS rebinding).

ALWAYS_REFUSED = {   # whatever the setting: no webhook receiver lives there
    ipaddress.ip_address("169.254.169.254"): "the cloud metadata address",   # AWS, GCP, Azure, ...
    ipaddress.ip_address("fd00:ec2::254"): "the cloud metadata address",     # AWS over IPv6
}
_allow_private: bool | None = None   # the process's setting; None: not configured, read on first use


def configure(settings) -> None:
    """Use these settings' `webhook_allow_private` for deliveries that are not told otherwise (the app
    factory's runtime does this as the API blueprint is registered; a worker reads the environment)."""
    global _allow_private
    _allow_private = bool(settings.webhook_allow_private)


def allow_private(explicit: bool | None = None) -> bool:
    global _allow_private
    if explicit is not None:
        return explicit
    if _allow_private is None:
        from auditor.config import Settings
        _allow_private = Settings.from_env().webhook_allow_private
    return _allow_private


class TargetRefused(ServiceError):
    """The URL's host is (or resolves to) an address webhooks may not reach: a 400 at creation; at
    delivery, a failed delivery that is not retried."""
    status, code = 400, "webhook_target_refused"


def address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, private_ok: bool) -> str | None:
    """Why webhooks may not go to this address (None: they may)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped   # ::ffff:127.0.0.1 is 127.0.0.1
    if ip in ALWAYS_REFUSED:
        return ALWAYS_REFUSED[ip]
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if private_ok:
        return None
    for test, what in (("is_loopback", "a loopback address"), ("is_link_local", "a link-local address"),
                       ("is_reserved", "a reserved address"), ("is_private", "a private address")):
        if getattr(ip, test):
            return what
    if not ip.is_global:   # e.g. 100.64.0.0/10 (carrier-grade NAT), 192.0.0.0/24
        return "not a public address"
    return None


def _is_literal(host: str, ip) -> bool:
    try:
        return ipaddress.ip_address(host) == ip
    except ValueError:
        return False


def _port(parts) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def resolve_target(url: str, private_ok: bool) -> list[tuple[int, tuple]]:
    """The addresses to connect to, as (family, sockaddr): every address the host resolves to, each
    one checked. TargetRefused when any is not allowed (or the scheme is not http/https); OSError
    when the name does not resolve (at delivery: a failed attempt, retried)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(f"webhook URLs must be http:// or https:// with a host, not {url[:100]!r}")
    host = parts.hostname
    try:
        port = _port(parts)
    except ValueError:
        raise TargetRefused(f"webhook URL {url[:100]!r} has an invalid port", details={"field": "url"}) from None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except UnicodeError as exc:
        raise OSError(f"cannot resolve {host!r}: {exc}") from None
    targets: list[tuple[int, tuple]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        problem = address_problem(ip, private_ok)
        if problem:
            shown = host if _is_literal(host, ip) else f"{host} resolves to {ip}, which"
            raise TargetRefused(f"{shown} is {problem}: webhooks may only be sent to public internet "
                                f"addresses", details={"field": "url", "host": host, "address": str(ip)})
        if (family, sockaddr) not in targets:
            targets.append((family, sockaddr))
    if not targets:
        raise OSError(f"{host!r} resolves to no address")
    return targets


def check_target(url: str, private_ok: bool) -> None:
    """At registration: TargetRefused (400) for a forbidden or unresolvable host."""
    try:
        resolve_target(url, private_ok)
    except OSError as exc:
        host = urlsplit(url).hostname
        raise TargetRefused(f"the host {host!r} of 'url' cannot be resolved ({exc}); register an address "
                            f"that resolves", details={"field": "url", "host": host}) from None


# -- events and payloads -------------------------------------------------------------------------

def event_id(event: str, audit_id: int) -> str:
    """Deterministic: the same audit's event always has the same id, so receivers can de-duplicate."""
    return f"{event}:audit-{audit_id}"


def audit_events(status: str) -> list[str]:
    return ["audit.completed", "audit.violation"] if status == "violation" else ["audit.completed"]


def audit_payload(event: str, org_id: int, finished: dict[str, Any], created_at: datetime) -> dict[str, Any]:
    return {
        "id": event_id(event, finished["audit_id"]), "type": event, "created_at": created_at.isoformat(),
        "organization_id": org_id,
        "data": {"audit_id": finished["audit_id"], "post_id": finished["post_id"],
                 "campaign_id": finished["campaign_id"], "contract_id": finished["contract_id"],
                 "status": finished["status"], "ruleset_version": finished["ruleset_version"],
                 "findings": [{k: f.get(k) for k in ("rule_id", "country", "severity", "message", "fix")}
                              for f in finished["findings"]]},
    }


def encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _endpoints(session: Session, org_ids: set[int]) -> list:
    return session.execute(select(WebhookEndpoint.id, WebhookEndpoint.org_id, WebhookEndpoint.events)
                           .where(WebhookEndpoint.org_id.in_(org_ids))).all()


def _rows(endpoints: list, org_id: int, event: str, payload: dict[str, Any], now: datetime) -> list[dict]:
    """A pending delivery row of this event for each of the organization's endpoints subscribed to it."""
    body = encode(payload)
    return [{"org_id": org_id, "endpoint_id": e.id, "event": event, "event_id": payload["id"], "payload": body,
             "status": "pending", "attempts": 0, "history": [], "created_at": now}
            for e in endpoints if e.org_id == org_id and event in e.events]


def _insert_new(session: Session, rows: list[dict]) -> list[int]:
    """Insert the rows whose (endpoint, event id) is not recorded yet; answers the new ids."""
    # a re-run of an interrupted audit: its events may already be recorded (the audit rows are locked
    # by the caller, so nobody else records them meanwhile)
    seen = set(session.execute(select(WebhookDelivery.endpoint_id, WebhookDelivery.event_id).where(
        ids_in(session, WebhookDelivery.endpoint_id, sorted({r["endpoint_id"] for r in rows})),
        WebhookDelivery.event_id.in_(sorted({r["event_id"] for r in rows})))).all()) if rows else set()
    return insert_rows(session, WebhookDelivery, [r for r in rows if (r["endpoint_id"], r["event_id"]) not in seen])


def record_audit_events(session: Session, finished: list[dict[str, Any]], now: datetime,
                        failed: Iterable[dict[str, Any]] = ()) -> list[int]:
    """Inside the transaction that finishes the audits: a delivery row per (event, subscribed endpoint).
    `finished`: one dict per audit now done (audit_id, org_id, post_id, campaign_id, contract_id,
    status, ruleset_version, findings); `failed`: one dict (audit_id, org_id) per audit now failed,
    which has no event of its own but may be the last of a campaign-close run. When these audits
    finish a close run, its campaign.closed event too. Answers the new delivery ids (send them after
    commit)."""
    failed = list(failed)
    org_ids = {f["org_id"] for f in finished} | {f["org_id"] for f in failed}
    if not org_ids:
        return []
    endpoints = _endpoints(session, org_ids)
    if not endpoints:   # the common case: one indexed probe and out
        return []
    rows = []
    for f in finished:
        for event in audit_events(f["status"]):
            rows += _rows(endpoints, f["org_id"], event, audit_payload(event, f["org_id"], f, now), now)
    rows += _close_rows(session, endpoints, [f["audit_id"] for f in finished + failed], now)
    return _insert_new(session, rows)


def _close_rows(session: Session, endpoints: list, audit_ids: list[int], now: datetime) -> list[dict]:
    """campaign.closed rows of the close runs these audits (done or failed) have just finished."""
    if not audit_ids or not any(CAMPAIGN_CLOSED in e.events for e in endpoints):
        return []
    rows = []
    for run in closing.finished_runs(session, audit_ids):
        rows += _rows(endpoints, run.org_id, CAMPAIGN_CLOSED, closing.closed_event(session, run, now), now)
    return rows


def record_failed_audits(session: Session, audit_ids: list[int], now: datetime) -> list[int]:
    """Inside the transaction that gives up on audits (a batch that failed as a whole, its last
    attempt): the campaign.closed events of the close runs they finish. Answers the new delivery ids."""
    org_ids = set(session.scalars(select(Audit.org_id).where(
        ids_in(session, Audit.id, audit_ids), Audit.run_id.isnot(None)))) if audit_ids else set()
    endpoints = _endpoints(session, org_ids) if org_ids else []
    return _insert_new(session, _close_rows(session, endpoints, audit_ids, now)) if endpoints else []


def record_close_event(session: Session, run: CloseRun, now: datetime) -> list[int]:
    """A close run with no posts is finished as it starts: its campaign.closed event, recorded in that
    transaction (`auditor requeue` sends it: no audit finishing hands it on)."""
    endpoints = [e for e in _endpoints(session, {run.org_id}) if CAMPAIGN_CLOSED in e.events]
    if not endpoints:
        return []
    return _insert_new(session, _rows(endpoints, run.org_id, CAMPAIGN_CLOSED,
                                      closing.closed_event(session, run, now), now))


def record_ping(session: Session, endpoint: WebhookEndpoint) -> WebhookDelivery:
    now = utcnow()
    ping_id = f"ping:{secrets.token_hex(8)}"
    body = encode({"id": ping_id, "type": PING_EVENT, "created_at": now.isoformat(),
                   "organization_id": endpoint.org_id, "data": {"endpoint_id": endpoint.id}})
    delivery = WebhookDelivery(org_id=endpoint.org_id, endpoint_id=endpoint.id, event=PING_EVENT,
                               event_id=ping_id, payload=body, status="pending", attempts=0, history=[],
                               created_at=now)
    session.add(delivery)
    session.flush()
    return delivery


# -- delivering ----------------------------------------------------------------------------------

def _connect(targets: list[tuple[int, tuple]], timeout: float) -> socket.socket:
    """A TCP connection to the first of the checked addresses that answers."""
    last: OSError | None = None
    for family, sockaddr in targets:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise last or OSError("no address to connect to")


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to an address resolved and checked beforehand; the Host header still names the host."""

    def __init__(self, host: str, port: int, targets: list, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._targets = targets

    def connect(self):
        self.sock = _connect(self._targets, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address; TLS still verifies the certificate against the host name (SNI)."""

    def __init__(self, host: str, port: int, targets: list, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._targets = targets

    def connect(self):
        self.sock = self._context.wrap_socket(_connect(self._targets, self.timeout), server_hostname=self.host)


def signature(secrets_: Iterable[str], body: bytes) -> str:
    """The X-Auditor-Signature value: one `sha256=<hex>` per secret, current first, comma-separated."""
    return ",".join(sign(s, body) for s in secrets_)


def post(url: str, secret: str | Iterable[str], event: str, delivery_id: str, body: bytes,
         timeout: float = TIMEOUT_SECONDS, private_ok: bool | None = None) -> tuple[int | None, str | None]:
    """One HTTP attempt: (status code, error). Only a 2xx answer is a success; redirects are not
    followed (one would turn the signed POST into a GET without its body). TargetRefused when the
    host now resolves to an address webhooks may not reach."""
    parts = urlsplit(url)
    try:
        targets = resolve_target(url, allow_private(private_ok))
    except OSError as exc:   # DNS: a failed attempt, retried
        return None, f"DNS: {type(exc).__name__}: {exc}"[:_ERROR_TEXT]
    connection = (_PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP)(
        parts.hostname, _port(parts), targets, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Content-Type": "application/json", "User-Agent": "auditor-webhooks/1",
               SIGNATURE_HEADER: signature([secret] if isinstance(secret, str) else secret, body),
               "X-Auditor-Event": event, "X-Auditor-Delivery": delivery_id}
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        code = response.status
        return code, None if 200 <= code < 300 else f"HTTP {code}"
    except Exception as exc:  # noqa: BLE001 - refused, timeout, TLS: all a failed attempt
        return None, f"{type(exc).__name__}: {exc}"[:_ERROR_TEXT]
    finally:
        connection.close()


def aware(ts: datetime | None) -> datetime | None:
    if ts is not None and ts.tzinfo is None:   # SQLite hands back naive UTC
        return ts.replace(tzinfo=timezone.utc)
    return ts


def signing_secrets(secret: str, previous: str | None, previous_expires_at: datetime | None,
                    now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and within a rotation's grace
    period the previous one too."""
    expires = aware(previous_expires_at)
    return [secret, previous] if previous and expires is not None and expires > now else [secret]


def attempt(db, delivery_id: int, max_attempts: int, delays: tuple[int, ...],
            private_ok: bool | None = None) -> str | None:
    """Try one delivery once, record the attempt; answers its new status (None: nothing to do).
    The rows are read in one transaction and updated in another: no transaction spans the HTTP call.
    A host that now resolves to a refused address fails the delivery at once (no retries).
    private_ok: the webhook_allow_private setting (None: the process's, see configure)."""
    with db.session() as session:
        row = session.execute(
            select(WebhookDelivery.status, WebhookDelivery.attempts, WebhookDelivery.event,
                   WebhookDelivery.event_id, WebhookDelivery.payload, WebhookEndpoint.url, WebhookEndpoint.secret,
                   WebhookEndpoint.previous_secret, WebhookEndpoint.previous_secret_expires_at)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id == delivery_id)).first()
    if row is None or row.status != "pending":   # endpoint deleted, or delivered by an earlier run
        return None
    keys = signing_secrets(row.secret, row.previous_secret, row.previous_secret_expires_at, utcnow())
    refused = False
    try:
        code, error = post(row.url, keys, row.event, row.event_id, row.payload.encode(), private_ok=private_ok)
    except TargetRefused as exc:
        code, error, refused = None, f"refused: {exc.message}"[:_ERROR_TEXT], True
        log.warning("webhook delivery %s not sent: %s", delivery_id, exc.message)
    now = utcnow()
    attempts = row.attempts + 1
    ok = code is not None and 200 <= code < 300
    status = "delivered" if ok else ("pending" if attempts < max_attempts and not refused else "failed")
    next_retry = now + timedelta(seconds=delays[min(attempts, len(delays)) - 1]) \
        if status == "pending" and delays else None
    with db.transaction() as session:
        history = session.scalar(select(WebhookDelivery.history).where(WebhookDelivery.id == delivery_id))
        if history is None:
            return None
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(
            status=status, attempts=attempts, last_status_code=code, last_error=error, next_retry_at=next_retry,
            delivered_at=now if ok else None,
            history=[*history, {"at": now.isoformat(), "status_code": code, "error": error}]))
    return status


def deliver_once(db, delivery_ids: Iterable[int], delays: tuple[int, ...] = RETRY_DELAYS,
                 private_ok: bool | None = None) -> list[int]:
    """One attempt at each delivery; answers those still pending (to retry after a delay)."""
    return [d for d in delivery_ids if attempt(db, d, len(delays) + 1, delays, private_ok) == "pending"]


def deliver_with_retries(db, delivery_ids: list[int], delays: tuple[int, ...] | None = None,
                         private_ok: bool | None = None) -> None:
    """Embedded mode (no Redis): attempt, sleep, attempt again; never raises."""
    delays = RETRY_DELAYS if delays is None else delays
    pending = list(delivery_ids)
    for wait in (*delays, None):
        try:
            pending = deliver_once(db, pending, delays, private_ok)
        except Exception:  # noqa: BLE001 - the database went away: the rows stay pending, visible
            log.exception("webhook deliveries %s", pending[:5])
            return
        if not pending or wait is None:
            return
        time.sleep(wait)


def deliver_in_background(db, delivery_ids: list[int], private_ok: bool | None = None) -> threading.Thread | None:
    if not delivery_ids:
        return None
    thread = threading.Thread(target=deliver_with_retries, args=(db, list(delivery_ids), None, private_ok),
                              name="auditor-webhooks", daemon=True)
    thread.start()
    return thread


def send(rt, delivery_ids: list[int]) -> None:
    """After commit: hand new deliveries to the queue (rq retries with back-off), else to a thread."""
    if not delivery_ids:
        return
    if rt.queue is not None:
        from auditor.queue import QueueUnavailable
        try:
            rt.queue.enqueue_deliveries(delivery_ids, RETRY_DELAYS)
            return
        except QueueUnavailable as exc:
            log.warning("%s; delivering %d webhook(s) from this process", exc, len(delivery_ids))
    deliver_in_background(rt.db, delivery_ids, rt.settings.webhook_allow_private)


# -- recovery ------------------------------------------------------------------------------------

def _stuck(now: datetime):
    d = WebhookDelivery
    return and_(d.status == "pending", or_(
        and_(d.next_retry_at.isnot(None), d.next_retry_at < now - timedelta(seconds=RESEND_GRACE)),
        and_(d.next_retry_at.is_(None), d.created_at < now - timedelta(seconds=RESEND_AFTER))))


def claim_stuck(session: Session, now: datetime, limit: int = RESEND_BATCH) -> list[int]:
    """Pending deliveries nothing will send any more (their job, thread or process is gone); marks them
    re-sent (next_retry_at = now + RESEND_LEASE), so that a concurrent or repeated requeue skips them."""
    ids = list(session.scalars(select(WebhookDelivery.id).where(_stuck(now)).order_by(WebhookDelivery.id)
                               .limit(limit).with_for_update(skip_locked=True)))
    if not ids:
        return []
    return sorted(session.scalars(
        update(WebhookDelivery).where(ids_in(session, WebhookDelivery.id, ids), _stuck(now))
        .values(next_retry_at=now + timedelta(seconds=RESEND_LEASE)).returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)))


def resend(rt, delivery_ids: list[int]) -> None:
    """After commit, the way fresh deliveries go: an rq job with Redis. Without Redis, one attempt each
    here and now (the caller may be a short command); a failed one is retried by a later requeue."""
    if not delivery_ids:
        return
    if rt.queue is not None:
        send(rt, delivery_ids)
    else:
        deliver_once(rt.db, delivery_ids, private_ok=rt.settings.webhook_allow_private)
