"""Webhook endpoints (admin scope): register, list, delete, ping, and each one's delivery log."""
from __future__ import annotations

from flask import Response
from sqlalchemy import delete, func, select

from auditor import webhooks
from auditor.catalog import owned
from auditor.errors import Conflict
from auditor.models import WebhookDelivery, WebhookEndpoint
from auditor.web.api import api
from auditor.web.api.common import iso, object_body, paginate, principal, rt
from auditor.web.auth import require
from auditor.web.errors import json_response


def endpoint_json(e: WebhookEndpoint, with_secret: bool = False) -> dict:
    d = {"id": e.id, "url": e.url, "events": e.events, "description": e.description,
         "created_at": iso(e.created_at)}
    if with_secret:   # once, at creation: listings never show it
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
    webhooks.attempt(runtime.db, delivery_id, max_attempts=1, delays=())
    with runtime.db.session() as session:
        return json_response(delivery_json(session.get(WebhookDelivery, delivery_id)))


@api.get("/webhooks/<int:id>/deliveries")
@require("admin")
def list_deliveries(id: int):  # noqa: A002 - the path parameter openapi.yaml documents
    with rt().db.session() as session:
        endpoint = owned(session, WebhookEndpoint, principal().org_id, id, "webhook")
        query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        return json_response(paginate(session, query, WebhookDelivery.id, delivery_json))
