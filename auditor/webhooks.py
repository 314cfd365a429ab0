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
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any, Iterable
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from auditor import closing
from auditor.db import ids_in, insert_rows
from auditor.errors import Invalid
from auditor.models import WEBHOOK_EVENTS as AUDIT_EVENTS, CloseRun, WebhookDelivery, WebhookEndpoint, utcnow

log = logging.getLogger(__name__)

PING_EVENT = "ping"
CAMPAIGN_CLOSED = "campaign.closed"
EVENTS = (*AUDIT_EVENTS, CAMPAIGN_CLOSED)   # what an endpoint may subscribe to
SIGNATURE_HEADER = "X-Auditor-Signature"
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


def record_audit_events(session: Session, finished: list[dict[str, Any]], now: datetime) -> list[int]:
    """Inside the transaction that finishes the audits: a delivery row per (event, subscribed endpoint).
    `finished`: one dict per audit now done (audit_id, org_id, post_id, campaign_id, contract_id,
    status, ruleset_version, findings). When these audits finish a campaign-close run, its
    campaign.closed event too. Answers the new delivery ids (send them after commit)."""
    org_ids = {f["org_id"] for f in finished}
    if not org_ids:
        return []
    endpoints = _endpoints(session, org_ids)
    if not endpoints:   # the common case: one indexed probe and out
        return []
    rows = []
    for f in finished:
        for event in audit_events(f["status"]):
            rows += _rows(endpoints, f["org_id"], event, audit_payload(event, f["org_id"], f, now), now)
    if any(CAMPAIGN_CLOSED in e.events for e in endpoints):
        for run in closing.finished_runs(session, [f["audit_id"] for f in finished]):
            rows += _rows(endpoints, run.org_id, CAMPAIGN_CLOSED, closing.closed_event(session, run, now), now)
    return _insert_new(session, rows)


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

class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would turn the signed POST into a GET without its body: report the 3xx instead."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, secret: str, event: str, delivery_id: str, body: bytes,
         timeout: float = TIMEOUT_SECONDS) -> tuple[int | None, str | None]:
    """One HTTP attempt: (status code, error). Only a 2xx answer is a success."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "auditor-webhooks/1",
        SIGNATURE_HEADER: sign(secret, body), "X-Auditor-Event": event, "X-Auditor-Delivery": delivery_id})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except Exception as exc:  # noqa: BLE001 - refused, timeout, DNS, TLS: all a failed attempt
        return None, f"{type(exc).__name__}: {exc}"[:_ERROR_TEXT]


def attempt(db, delivery_id: int, max_attempts: int, delays: tuple[int, ...]) -> str | None:
    """Try one delivery once, record the attempt; answers its new status (None: nothing to do).
    The rows are read in one transaction and updated in another: no transaction spans the HTTP call."""
    with db.session() as session:
        row = session.execute(
            select(WebhookDelivery.status, WebhookDelivery.attempts, WebhookDelivery.event,
                   WebhookDelivery.event_id, WebhookDelivery.payload, WebhookEndpoint.url, WebhookEndpoint.secret)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id == delivery_id)).first()
    if row is None or row.status != "pending":   # endpoint deleted, or delivered by an earlier run
        return None
    code, error = post(row.url, row.secret, row.event, row.event_id, row.payload.encode())
    now = utcnow()
    attempts = row.attempts + 1
    ok = code is not None and 200 <= code < 300
    status = "delivered" if ok else ("pending" if attempts < max_attempts else "failed")
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


def deliver_once(db, delivery_ids: Iterable[int], delays: tuple[int, ...] = RETRY_DELAYS) -> list[int]:
    """One attempt at each delivery; answers those still pending (to retry after a delay)."""
    return [d for d in delivery_ids if attempt(db, d, len(delays) + 1, delays) == "pending"]


def deliver_with_retries(db, delivery_ids: list[int], delays: tuple[int, ...] | None = None) -> None:
    """Embedded mode (no Redis): attempt, sleep, attempt again; never raises."""
    delays = RETRY_DELAYS if delays is None else delays
    pending = list(delivery_ids)
    for wait in (*delays, None):
        try:
            pending = deliver_once(db, pending, delays)
        except Exception:  # noqa: BLE001 - the database went away: the rows stay pending, visible
            log.exception("webhook deliveries %s", pending[:5])
            return
        if not pending or wait is None:
            return
        time.sleep(wait)


def deliver_in_background(db, delivery_ids: list[int]) -> threading.Thread | None:
    if not delivery_ids:
        return None
    thread = threading.Thread(target=deliver_with_retries, args=(db, list(delivery_ids)),
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
    deliver_in_background(rt.db, delivery_ids)


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
        deliver_once(rt.db, delivery_ids)
