"""What the API routes share: the runtime, JSON bodies, cursors, and how rows look as JSON."""
from __future__ import annotations

import base64
import json
from datetime import date, datetime, timezone
from typing import Any

from flask import current_app, g, request
from sqlalchemy import Select

from auditor.runtime import Runtime
from auditor.web.auth import Principal
from auditor.web.errors import ApiError, orjson


def rt() -> Runtime:
    return current_app.extensions["auditor"]


def principal() -> Principal:
    return g.principal


def body(required: bool = True) -> Any:
    raw = request.get_data(cache=False)
    if not raw.strip():
        if required:
            raise ApiError(400, "invalid_json", "the request body is empty; send a JSON document")
        return {}
    if orjson is not None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:   # json.loads decides (NaN, other encodings) and words the error
            pass
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "the request body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                       {"line": exc.lineno, "column": exc.colno}) from None


def object_body() -> dict[str, Any]:
    data = body()
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    return data


# -- query parameters ----------------------------------------------------------------------------

def int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit():
        raise ApiError(400, "bad_request", f"query parameter '{name}' must be a positive integer", {"field": name})
    return int(raw)


def choice_arg(name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw not in choices:
        raise ApiError(400, "bad_request", f"query parameter '{name}' must be one of {', '.join(choices)}",
                       {"field": name})
    return raw


def bool_arg(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise ApiError(400, "bad_request", f"query parameter '{name}' must be true or false", {"field": name})


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind == "id" and value.isdigit():
            return int(value)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ApiError(400, "bad_request", "invalid 'cursor'; pass the 'next' value of the previous page",
                   {"field": "cursor"})


def paginate(session, query: Select, id_column, serialize) -> dict[str, Any]:
    """Keyset pagination by id: stable while rows are added. Answers {"items", "next"}."""
    settings = rt().settings
    limit = int_arg("limit") or settings.page_size
    limit = max(1, min(limit, settings.max_page_size))
    cursor = request.args.get("cursor")
    if cursor:
        query = query.where(id_column > decode_cursor(cursor))
    rows = session.scalars(query.order_by(id_column).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [serialize(r) for r in rows], "next": encode_cursor(rows[-1].id) if more and rows else None}


# -- rows as JSON --------------------------------------------------------------------------------

def iso(value: datetime | date | None) -> str | None:
    if isinstance(value, datetime) and value.tzinfo is None:   # SQLite hands back naive UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat() if value is not None else None


def campaign_json(c) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "brand": c.brand, "countries": c.countries, "platforms": c.platforms,
            "starts_on": iso(c.starts_on), "ends_on": iso(c.ends_on), "status": c.status,
            "closed_at": iso(c.closed_at), "created_at": iso(c.created_at), "updated_at": iso(c.updated_at)}


def contract_json(c) -> dict[str, Any]:
    from auditor.models import COMPENSATION_RELATIONSHIP
    return {"id": c.id, "campaign_id": c.campaign_id, "influencer_id": c.influencer_id,
            "compensation": c.compensation, "relationship": COMPENSATION_RELATIONSHIP[c.compensation],
            "deliverables": c.deliverables, "countries": c.countries,
            "disclosure_wording": c.disclosure_wording, "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at)}


def influencer_json(i, handles: dict[str, str]) -> dict[str, Any]:
    return {"id": i.id, "name": i.name, "handles": handles, "created_at": iso(i.created_at),
            "updated_at": iso(i.updated_at)}


def post_json(p) -> dict[str, Any]:
    return {"id": p.id, "external_id": p.external_id, "version": p.version, "is_current": p.is_current,
            "previous_id": p.previous_id, "platform": p.platform, "url": p.url, "author": p.author,
            "posted_at": p.posted_at, "text": p.text, "content_hash": p.content_hash,
            "campaign_id": p.campaign_id, "contract_id": p.contract_id, "influencer_id": p.influencer_id,
            "data": p.data, "created_at": iso(p.created_at)}


def audit_json(a, with_verdict: bool = False) -> dict[str, Any]:
    d = {"id": a.id, "post_id": a.post_id, "run_id": a.run_id, "kind": a.kind, "status": a.status,
         "attempts": a.attempts, "error": a.error, "queued_at": iso(a.queued_at),
         "started_at": iso(a.started_at), "finished_at": iso(a.finished_at),
         "verdict_status": a.verdict_status, "ruleset_version": a.ruleset_version}
    if with_verdict:
        d["verdict"] = a.verdict
    return d


def finding_json(f) -> dict[str, Any]:
    return {"id": f.id, "post_id": f.post_id, "audit_id": f.audit_id, "campaign_id": f.campaign_id,
            "contract_id": f.contract_id, "influencer_id": f.influencer_id, "platform": f.platform,
            "rule_id": f.rule_id, "country": f.country, "severity": f.severity, "message": f.message,
            "fix": f.fix, "fix_label": f.fix_label, "evidence": f.evidence, "references": f.references,
            "confidence": f.confidence, "ruleset_version": f.ruleset_version,
            "review_state": f.review_state, "current": f.current, "created_at": iso(f.created_at)}
