"""Rotating a webhook's signing secret: the new secret is answered once; for the grace period (24 h)
deliveries carry both signatures (`sha256=<new>,sha256=<old>`), then only the new one."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from auditor.models import WebhookEndpoint
from tests.service.test_webhooks import (  # noqa: F401 - fixtures
    VIOLATING, allow_private, ingest_post, lost_delivery, receiver, register, wait_settled,
)


def verified(secret: str, body: bytes, header: str) -> bool:
    """The check docs/service.md gives receivers: any of the comma-separated values matches."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value.strip()) for value in header.split(","))


def rotate(client, org, hook_id, **body):
    return client.post(f"/api/v1/webhooks/{hook_id}/rotate-secret", headers=org.h("admin"), json=body or None)


def ping(client, org, hook_id, receiver) -> tuple[bytes, str]:
    r = client.post(f"/api/v1/webhooks/{hook_id}/test", headers=org.h("admin"))
    assert r.status_code == 200 and r.json["status"] == "delivered", r.json
    req = receiver.requests[-1]
    return req["body"], req["headers"]["X-Auditor-Signature"]


def expire_previous(runtime, hook_id: int) -> None:
    with runtime.db.transaction() as s:
        s.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == hook_id).values(
            previous_secret_expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))


def test_rotation_signs_with_both_secrets_for_the_grace_period_then_the_new_one(client, runtime, acme, receiver):
    hook = register(client, acme, receiver.url)
    old = hook["secret"]
    body, header = ping(client, acme, hook["id"], receiver)
    assert header.count("sha256=") == 1 and verified(old, body, header)   # before: one value, as ever

    before = datetime.now(timezone.utc)
    r = rotate(client, acme, hook["id"])
    assert r.status_code == 200, r.json
    new = r.json["secret"]
    assert new.startswith("whsec_") and new != old and r.json["id"] == hook["id"] and r.json["url"] == receiver.url
    expires = datetime.fromisoformat(r.json["previous_secret_expires_at"])
    assert before + timedelta(hours=24) - timedelta(seconds=5) < expires < \
        datetime.now(timezone.utc) + timedelta(hours=24, seconds=5)
    shown = client.get(f"/api/v1/webhooks/{hook['id']}", headers=acme.h("admin")).json
    assert "secret" not in shown and shown["previous_secret_expires_at"] == r.json["previous_secret_expires_at"]

    body, header = ping(client, acme, hook["id"], receiver)
    new_sig, old_sig = header.split(",")
    assert verified(new, body, new_sig) and verified(old, body, old_sig)   # the new one first
    assert verified(new, body, header) and verified(old, body, header)     # receivers with either secret
    assert not verified("whsec_other", body, header)

    expire_previous(runtime, hook["id"])   # 24 h later
    body, header = ping(client, acme, hook["id"], receiver)
    assert header.count("sha256=") == 1 and verified(new, body, header) and not verified(old, body, header)
    assert client.get(f"/api/v1/webhooks/{hook['id']}",
                      headers=acme.h("admin")).json["previous_secret_expires_at"] is None


def test_event_recorded_before_the_rotation_is_signed_with_both_when_sent(client, runtime, acme, engine, receiver):
    hook = register(client, acme, receiver.url)
    delivery_id = lost_delivery(runtime, engine, acme)   # recorded, not sent yet
    new = rotate(client, acme, hook["id"]).json["secret"]
    from auditor import webhooks
    assert webhooks.deliver_once(runtime.db, [delivery_id]) == []
    [req] = receiver.requests
    header = req["headers"]["X-Auditor-Signature"]
    assert verified(new, req["body"], header.split(",")[0]) and verified(hook["secret"], req["body"], header)


def test_a_second_rotation_drops_the_first_secret(client, acme, receiver):
    hook = register(client, acme, receiver.url)
    second = rotate(client, acme, hook["id"]).json["secret"]
    third = rotate(client, acme, hook["id"]).json["secret"]
    body, header = ping(client, acme, hook["id"], receiver)
    assert header.count("sha256=") == 2
    assert verified(third, body, header.split(",")[0]) and verified(second, body, header.split(",")[1])
    assert not verified(hook["secret"], body, header)


def test_grace_seconds_zero_stops_the_old_secret_at_once(client, acme, receiver):
    hook = register(client, acme, receiver.url)
    r = rotate(client, acme, hook["id"], grace_seconds=0)
    assert r.status_code == 200 and r.json["previous_secret_expires_at"] is None
    body, header = ping(client, acme, hook["id"], receiver)
    assert header.count("sha256=") == 1 and verified(r.json["secret"], body, header)
    assert not verified(hook["secret"], body, header)


def test_a_shorter_grace_period(client, acme, receiver):
    hook = register(client, acme, receiver.url)
    r = rotate(client, acme, hook["id"], grace_seconds=3600)
    expires = datetime.fromisoformat(r.json["previous_secret_expires_at"])
    assert timedelta(minutes=59) < expires - datetime.now(timezone.utc) <= timedelta(hours=1)


@pytest.mark.databases("sqlite")
@pytest.mark.parametrize("body,status", [
    ({"grace_seconds": -1}, 422), ({"grace_seconds": 86401}, 422), ({"grace_seconds": "3600"}, 422),
    ({"grace_seconds": True}, 422), ({"grace_seconds": 1.5}, 422), ([1], 400),
])
def test_bad_rotation_bodies(client, acme, receiver, body, status):
    hook = register(client, acme, receiver.url)
    r = client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=acme.h("admin"), json=body)
    assert r.status_code == status, r.json
    if status == 422:
        assert r.json["error"]["details"]["field"] == "grace_seconds"
    # nothing changed: the old secret alone still signs
    assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=acme.h("admin")).json["previous_secret_expires_at"] is None


@pytest.mark.databases("sqlite")
def test_rotation_needs_the_admin_scope_and_the_own_organization(client, acme, other, receiver):
    hook = register(client, acme, receiver.url)
    url = f"/api/v1/webhooks/{hook['id']}/rotate-secret"
    assert client.post(url).status_code == 401
    r = client.post(url, headers=acme.h())
    assert r.status_code == 403 and r.json["error"]["details"]["required_scope"] == "admin"
    r = client.post(url, headers=other.h("admin"))
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    assert client.post("/api/v1/webhooks/999999999/rotate-secret", headers=acme.h("admin")).status_code == 404
    body, header = ping(client, acme, hook["id"], receiver)
    assert header.count("sha256=") == 1 and verified(hook["secret"], body, header)   # untouched


def test_audit_events_after_rotation_carry_both(client, runtime, acme, receiver):
    hook = register(client, acme, receiver.url)
    new = rotate(client, acme, hook["id"]).json["secret"]
    ingest_post(client, acme, VIOLATING)
    wait_settled(runtime, hook["id"], 1)
    [req] = receiver.requests
    header = req["headers"]["X-Auditor-Signature"]
    assert verified(new, req["body"], header) and verified(hook["secret"], req["body"], header)
