"""Human-readable, linter-style report for a terminal."""
from __future__ import annotations

from typing import Any

from auditor.reports.summary import location, summarize


def render(results: list[dict[str, Any]], errors: list[dict[str, Any]], ruleset_version: str,
           source_name: str, **_: Any) -> str:
    lines: list[str] = []
    for r in results:
        where = ", ".join(r["countries"]) + (f", {r['platform']}" if r.get("platform") else "")
        lines.append(f"{location(r)} [{r['id']}] {r['status']} ({where})")
        for f in r["findings"]:
            ev = f["evidence"][0] if f["evidence"] else None
            at = f"  {ev['field']}:{ev['start']}-{ev['end']} \"{_short(ev['text'])}\"" if ev else ""
            country = f["country"] or "platform"
            lines.append(f"  {f['severity']:<7} {f['rule_id']} [{country}] {f['message']}{at}")
            lines.append(f"          fix: {f['fix']}")
            for ref in f["references"][:1]:
                lines.append(f"          ref: {ref['title']} <{ref['url']}>")
    for e in errors:
        lines.append(f"{e.get('file', '-')}:{e.get('line', 0)}: error: {e['message']} [{e['code']}]")
    s = summarize(results, errors)
    lines.append(
        f"{s['posts']} posts: {s['violation']} violation, {s['needs_review']} needs review, "
        f"{s['compliant']} compliant; {s['findings']['error']} errors, {s['findings']['warning']} warnings"
        + (f"; {s['input_errors']} input errors" if errors else "")
        + (f" (rules {ruleset_version})" if ruleset_version else "")
    )
    return "\n".join(lines) + "\n"


def _short(text: str, limit: int = 60) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
