"""The extension's routes: /check (synchronous, no queue), /me, /meta; plus /ping and the OpenAPI document."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app, request

from auditor import audits, ingest
from auditor.errors import post_error_status
from auditor.posts import PostError, parse_post
from auditor.types import FORMATS, RELATIONSHIPS
from auditor.web.api import api
from auditor.web.api.common import body, bool_arg, principal, rt
from auditor.web.auth import require
from auditor.web.errors import ApiError, error_response, json_response
from auditor.web.ratelimit import RateLimiter

OPENAPI = Path(__file__).resolve().parent.parent.parent / "openapi.yaml"


@api.get("/ping")
def ping():
    """Trivial JSON endpoint: liveness, and the baseline bench/service.py compares /check with."""
    return json_response({"ok": True})


@api.get("/health")
def health():
    """Readiness: can we reach the database (and the queue, when there is one)?"""
    from sqlalchemy import text
    runtime = rt()
    status = {"database": "ok", "queue": "in-process" if runtime.queue is None else "ok"}
    try:
        with runtime.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - reported, not raised
        status["database"] = "unavailable"
    if runtime.queue is not None and not runtime.queue.ping():
        status["queue"] = "unavailable"
    ok = "unavailable" not in status.values()
    return json_response({"ok": ok, **status}, 200 if ok else 503)


@lru_cache(maxsize=1)
def _openapi() -> dict:
    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


@api.get("/openapi.json")
def openapi():
    return json_response(_openapi())


@api.route("/me", methods=["GET", "OPTIONS"])
@require(None)
def me():
    p = principal()
    return json_response({"organization": {"id": p.org_id, "name": p.org_name},
                          "key": {"id": p.key_id, "name": p.key_name, "scopes": sorted(p.scopes)}})


def _meta_document(runtime) -> dict:
    rules = runtime.rules
    return {
        "ruleset_version": rules.version,
        "countries": [{"code": c.code, "name": c.name, "languages": list(c.languages)}
                      for c in sorted(rules.countries.values(), key=lambda c: c.code)],
        "platforms": [{"id": pid, "name": p.name, "native_label": p.spec.native_label}
                      for pid, p in sorted(rules.platforms.items())],
        "formats": list(FORMATS), "relationships": list(RELATIONSHIPS),
    }


@api.route("/meta", methods=["GET", "OPTIONS"])
@require(None)
def meta():
    cache = current_app.extensions.setdefault("auditor.meta", {})
    if "doc" not in cache:
        cache["doc"] = _meta_document(rt())
    return json_response(cache["doc"])


def _limiter() -> RateLimiter:
    ext = current_app.extensions
    limiter = ext.get("auditor.ratelimit")
    if limiter is None:
        runtime = rt()
        limit, period = runtime.settings.check_rate
        redis = runtime.queue.redis if runtime.queue is not None else None
        limiter = ext["auditor.ratelimit"] = RateLimiter(limit, period, redis)
    return limiter


@api.route("/check", methods=["POST", "OPTIONS"])
@require("check")
def check():
    p = principal()
    limiter = _limiter()
    retry_after = limiter.hit(f"check:{p.key_id}") if limiter.limit > 0 else None
    if retry_after is not None:
        raise ApiError(429, "rate_limited", "too many checks with this key; slow down",
                       {"retry_after": int(retry_after)}, headers={"Retry-After": str(int(retry_after))})
    data = body()
    runtime = rt()
    if request.query_string and bool_arg("store", False):   # (parsing the query costs, when there is none)
        return _check_and_store(runtime, p.org_id, data)
    engine = runtime.engine
    try:
        post = parse_post(data, engine.rules.countries, fallback_id="check")
    except PostError as exc:
        return error_response(post_error_status(exc.code), exc.code, exc.message, {"field": exc.field})
    return json_response(engine.audit(post).to_dict())


def _check_and_store(runtime, org_id: int, data) -> object:
    """?store=true: the same answer, and the post, audit and findings kept for the audit trail."""
    with runtime.db.transaction() as session:
        prepared = ingest.prepare(session, org_id, [data], runtime.rules.countries.keys())
        result = ingest.store(session, org_id, prepared, kind="check")[0]
    if result["status"] == "queued":
        audits.run_batch(runtime.db, runtime.engine, [result["audit_id"]])
    from auditor.models import Audit
    with runtime.db.session() as session:
        audit = session.get(Audit, result["audit_id"])
        verdict = dict(audit.verdict or {})
    verdict.update(post_id=result["post_id"], audit_id=result["audit_id"])
    return json_response(verdict)


