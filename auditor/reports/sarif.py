"""SARIF 2.1.0, for code-scanning dashboards. Each finding is a result located at its post."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from auditor import __version__

LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def fingerprint(result: dict[str, Any], finding: dict[str, Any]) -> str:
    """Stable across runs and offsets: the post, the rule, the country and the evidence text."""
    evidence = "|".join(sorted(e["text"].lower() for e in finding["evidence"]))
    key = "\0".join([str(result["id"]), finding["rule_id"], finding["country"] or "", evidence])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def render(results: list[dict[str, Any]], errors: list[dict[str, Any]], ruleset_version: str,
           source_name: str, **_: Any) -> str:
    rules: dict[str, dict[str, Any]] = {}
    sarif_results = []
    for r in results:
        src = r.get("source") or {}
        uri = src.get("file") or f"posts/{r['id']}"
        for f in r["findings"]:
            if f["rule_id"] not in rules:
                rules[f["rule_id"]] = {
                    "id": f["rule_id"],
                    "shortDescription": {"text": f["message"][:200]},
                    "helpUri": f["references"][0]["url"] if f["references"] else None,
                    "properties": {"country": f["country"], "confidence": f["confidence"]},
                }
            region: dict[str, Any] = {"startLine": int(src.get("line", 1))}
            sarif_results.append({
                "ruleId": f["rule_id"],
                "level": LEVELS[f["severity"]],
                "message": {"text": f"{f['message']} Fix: {f['fix']}"},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": uri}, "region": region},
                    "logicalLocations": [{"name": str(r["id"]), "kind": "post"}],
                }],
                "partialFingerprints": {"auditor/v1": fingerprint(r, f)},
                "properties": {
                    "post_id": r["id"], "country": f["country"], "status": r["status"], "fix": f["fix"],
                    "evidence": f["evidence"], "references": f["references"],
                },
            })
    notifications = [{
        "level": "error",
        "message": {"text": f"{e['message']} [{e['code']}]"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": e.get("file") or "-"},
                                            "region": {"startLine": max(1, int(e.get("line") or 1))}}}],
    } for e in errors]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "auditor", "version": __version__,
                "informationUri": "https://github.com/auditor/auditor",
                "rules": [rules[k] for k in sorted(rules)],
                "properties": {"ruleset_version": ruleset_version},
            }},
            "automationDetails": {"id": source_name},
            "invocations": [{"executionSuccessful": not errors, "toolExecutionNotifications": notifications}],
            "results": sarif_results,
        }],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
