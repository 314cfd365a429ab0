"""API keys: `Authorization: Bearer <key>`, a scope per route, the key's organization on `g`.

Lookups are cached per process for a few seconds (settings.auth_cache_seconds) so that /check
does not touch the database on every request; a revoked key stops working within that time.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import wraps

from flask import current_app, g, request
from sqlalchemy import select

from auditor.accounts import hash_key
from auditor.models import ApiKey, Organization
from auditor.web.errors import ApiError

NEGATIVE_TTL = 2.0   # unknown keys: short, so a key created a moment ago soon works


@dataclass(frozen=True)
class Principal:
    key_id: int
    key_name: str
    org_id: int
    org_name: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


class KeyCache:
    def __init__(self, ttl: float):
        self.ttl = ttl
        self._items: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> tuple[bool, Principal | None]:
        item = self._items.get(digest)
        if item is None or item[0] < time.monotonic():
            return False, None
        return True, item[1]

    def put(self, digest: str, principal: Principal | None) -> None:
        ttl = self.ttl if principal is not None else min(self.ttl, NEGATIVE_TTL)
        if ttl <= 0:
            return
        with self._lock:
            if len(self._items) > 10_000:   # bounded: a flood of bogus keys cannot grow it forever
                self._items.clear()
            self._items[digest] = (time.monotonic() + ttl, principal)


def _lookup(rt, digest: str) -> Principal | None:
    with rt.db.session() as session:
        row = session.execute(select(ApiKey, Organization.name).join(Organization, Organization.id == ApiKey.org_id)
                              .where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))).first()
    if row is None:
        return None
    key, org_name = row
    return Principal(key.id, key.name, key.org_id, org_name, frozenset(key.scope_list))


def authenticate() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "missing API key: send 'Authorization: Bearer <key>'",
                       headers={"WWW-Authenticate": "Bearer"})
    rt = current_app.extensions["auditor"]
    cache: KeyCache | None = current_app.extensions.get("auditor.keycache")
    if cache is None:
        cache = current_app.extensions.setdefault("auditor.keycache", KeyCache(rt.settings.auth_cache_seconds))
    digest = hash_key(token.strip())
    hit, principal = cache.get(digest)
    if not hit:
        principal = _lookup(rt, digest)
        cache.put(digest, principal)
    if principal is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    return principal


def require(scope: str | None):
    """Route decorator: a valid key, holding `scope` (None: any valid key)."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = authenticate()
            if scope is not None and not principal.allows(scope):
                raise ApiError(403, "forbidden", f"this API key lacks the '{scope}' scope",
                               {"required_scope": scope})
            g.principal = principal
            return view(*args, **kwargs)
        wrapper.required_scope = scope
        return wrapper
    return decorator
