"""Counts shared by the renderers."""
from __future__ import annotations

from typing import Any


def summarize(results: list[dict[str, Any]], errors: list[dict[str, Any]]) -> dict[str, Any]:
    statuses = {"violation": 0, "needs_review": 0, "compliant": 0}
    severities = {"error": 0, "warning": 0, "info": 0}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        for f in r["findings"]:
            severities[f["severity"]] += 1
    return {"posts": len(results), **statuses, "findings": severities, "input_errors": len(errors)}


def location(result: dict[str, Any]) -> str:
    src = result.get("source") or {}
    if src.get("file"):
        return f"{src['file']}:{src.get('line', 1)}"
    return f"post {result['id']}"
