"""CSV: one row per finding (a compliant post gets one row with no rule), for spreadsheets."""
from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = ["post_id", "status", "countries", "platform", "rule_id", "country", "severity", "message",
           "fix", "evidence", "reference", "ruleset_version"]


def render(results: list[dict[str, Any]], errors: list[dict[str, Any]], ruleset_version: str,
           source_name: str, **_: Any) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in results:
        base = [r["id"], r["status"], " ".join(r["countries"]), r.get("platform") or ""]
        if not r["findings"]:
            writer.writerow(base + ["", "", "", "", "", "", "", r.get("ruleset_version", ruleset_version)])
        for f in r["findings"]:
            evidence = " | ".join(e["text"] for e in f["evidence"])
            ref = f["references"][0]["url"] if f["references"] else ""
            writer.writerow(base + [f["rule_id"], f["country"] or "", f["severity"], f["message"], f["fix"],
                                    evidence, ref, r.get("ruleset_version", ruleset_version)])
    for e in errors:
        writer.writerow([f"{e.get('file', '')}:{e.get('line', '')}", "input_error", "", "", e["code"], "", "error",
                         e["message"], "", "", "", ruleset_version])
    return buf.getvalue()
