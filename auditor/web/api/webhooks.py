"""Webhook endpoints (admin scope): register, list, delete, ping, rotate the secret, and each one's
delivery log."""
from __future__ import annotations

from flask import Response
from sqlalchemy import delete, func, select

from auditor import webhooks
from auditor.catalog import owned
from auditor.errors import Conflict, Invalid
from auditor.models import WebhookDelivery, WebhookEndpoint, utcnow
from auditor.web.api import api
from auditor.web.api.common import body, iso, object_body, paginate, principal, rt
from auditor.web.auth import require
from auditor.web.errors import ApiError, json_response


@api.record
def _configure_deliveries(state) -> None:
    """Deliveries this process makes (embedded mode) follow the app's settings, not only the environment."""
    runtime = state.app.extensions.get("auditor")
    if runtime is not None:
        webhooks.configure(runtime.settings)


def endpoint_json(e: WebhookEndpoint, with_secret: bool = False) -> dict:
    now = utcnow()
    expires = webhooks.aware(e.previous_secret_expires_at)
    d = {"id": e.id, "url": e.url, "events": e.events, "description": e.description,
         "created_at": iso(e.created_at),
         # while the replaced secret still signs deliveries (after a rotation), until when
         "previous_secret_expires_at": iso(expires) if e.previous_secret and expires and expires > now else None}
    if with_secret:   # once, at creation or rotation: listings never show it
        d["secret"] = e.secret
    return d


def delivery_json(d: WebhookDelivery) -> dict:
    return {"id": d.id, "endpoint_id": d.endpoint_id, "event": d.event, "event_id": d.event_id,
            "status": d.status, "attempts": d.attempts, "last_status_code": d.last_status_code,
            "last_error": d.last_error, "next_retry_at": iso(d.next_retry_at), "history": d.history,
            "created_at": iso(d.created_at), "delivered_at": iso(d.delivered_at)}


@api.post("/webhooks")
@require("admin")
def create_webhook():
    fields = webhooks.validate_endpoint(object_body())
    # resolved now (and again at each delivery): a tenant must not reach internal addresses (400)
    webhooks.check_target(fields["url"], rt().settings.webhook_allow_private)
    org_id = principal().org_id
    with rt().db.transaction() as session:
        count = session.scalar(select(func.count()).select_from(WebhookEndpoint)
                               .where(WebhookEndpoint.org_id == org_id))
        if count >= webhooks.MAX_ENDPOINTS_PER_ORG:
            raise Conflict(f"an organization may register at most {webhooks.MAX_ENDPOINTS_PER_ORG} webhooks")
        endpoint = WebhookEndpoint(org_id=org_id, secret=webhooks.new_secret(), **fields)
        session.add(endpoint)
        session.flush()
        return json_response(endpoint_json(endpoint, with_secret=True), 201)


@api.get("/webhooks")
@require("admin")
def list_webhooks():
    with rt().db.session() as session:
        query = select(WebhookEndpoint).where(WebhookEndpoint.org_id == principal().org_id)
        return json_response(paginate(session, query, WebhookEndpoint.id, endpoint_json))


@api.get("/webhooks/<int:id>")
@require("admin")
def get_webhook(id: int):  # noqa: A002 - the path parameter openapi.yaml documents
    with rt().db.session() as session:
        return json_response(endpoint_json(owned(session, WebhookEndpoint, principal().org_id, id,
                                                 "webhook")))


@api.delete("/webhooks/<int:id>")
@require("admin")
def delete_webhook(id: int):  # noqa: A002 - the path parameter openapi.yaml documents
    with rt().db.transaction() as session:
        endpoint = owned(session, WebhookEndpoint, principal().org_id, id, "webhook")
        # explicitly: SQLite enforces ON DELETE CASCADE only with foreign keys switched on
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
        session.delete(endpoint)
    return Response(status=204)


@api.post("/webhooks/<int:id>/test")
@require("admin")
def ping_webhook(id: int):  # noqa: A002 - the path parameter openapi.yaml documents
    """Send a ping now, once, and answer how it went (the receiver's status code or the error)."""
    runtime = rt()
    with runtime.db.transaction() as session:
        endpoint = owned(session, WebhookEndpoint, principal().org_id, id, "webhook")
        delivery_id = webhooks.record_ping(session, endpoint).id
    webhooks.attempt(runtime.db, delivery_id, max_attempts=1, delays=(),
                     private_ok=runtime.settings.webhook_allow_private)
    with runtime.db.session() as session:
        return json_response(delivery_json(session.get(WebhookDelivery, delivery_id)))


@api.post("/webhooks/<int:id>/rotate-secret")
@require("admin")
def rotate_webhook_secret(id: int):  # noqa: A002 - the path parameter openapi.yaml documents
    """A new signing secret, answered this once. For the grace period (default 24 h, `grace_seconds`
    0..86400 to shorten it, 0 for a leaked secret) deliveries are signed with the new and the old one."""
    data = body(required=False)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", 'the body must be a JSON object, e.g. {"grace_seconds": 3600}, or empty')
    limit = int(webhooks.ROTATION_GRACE.total_seconds())
    grace = data.get("grace_seconds", limit)
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= limit:
        raise Invalid(f"'grace_seconds' must be a whole number of seconds from 0 to {limit}", "grace_seconds")
    with rt().db.transaction() as session:
        endpoint = owned(session, WebhookEndpoint, principal().org_id, id, "webhook")
        webhooks.rotate_secret(endpoint, utcnow(), grace)
        session.flush()
        return json_response(endpoint_json(endpoint, with_secret=True))


@api.get("/webhooks/<int:id>/deliveries")
@require("admin")
def list_deliveries(id: int):  # noqa: A002 - the path parameter openapi.yaml documents
    with rt().db.session() as session:
        endpoint = owned(session, WebhookEndpoint, principal().org_id, id, "webhook")
        query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        return json_response(paginate(session, query, WebhookDelivery.id, delivery_json))
