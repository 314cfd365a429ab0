"""JSON (one document) and JSON Lines (one verdict per line) reports."""
from __future__ import annotations

import json
from typing import Any

from auditor import __version__
from auditor.reports.summary import summarize


def render(results: list[dict[str, Any]], errors: list[dict[str, Any]], ruleset_version: str,
           source_name: str, **_: Any) -> str:
    doc = {
        "tool": {"name": "auditor", "version": __version__},
        "source": source_name,
        "ruleset_version": ruleset_version,
        "summary": summarize(results, errors),
        "results": results,
        "errors": errors,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def render_lines(results: list[dict[str, Any]], errors: list[dict[str, Any]], ruleset_version: str,
                 source_name: str, **_: Any) -> str:
    out = [json.dumps(r, ensure_ascii=False) for r in results]
    out.extend(json.dumps({"error": e}, ensure_ascii=False) for e in errors)
    return "\n".join(out) + ("\n" if out else "")
