"""Markdown: a summary table and one section per post that needs attention (PR comments, wikis)."""
from __future__ import annotations

from typing import Any

from auditor.reports.summary import location, summarize

ICONS = {"violation": "🔴", "needs_review": "🟠", "compliant": "🟢"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(results: list[dict[str, Any]], errors: list[dict[str, Any]], ruleset_version: str,
           source_name: str, **_: Any) -> str:
    s = summarize(results, errors)
    out = [f"# Ad-disclosure audit: {source_name}", "",
           f"Ruleset `{ruleset_version}`. {s['posts']} posts: **{s['violation']} violation**, "
           f"{s['needs_review']} needs review, {s['compliant']} compliant.", ""]
    if errors:
        out.append(f"{len(errors)} input error(s):")
        out.extend(f"- `{e.get('file', '-')}:{e.get('line', 0)}` {e['message']}" for e in errors)
        out.append("")
    out += ["| Post | Status | Countries | Rules |", "|---|---|---|---|"]
    for r in results:
        rules = ", ".join(sorted({f["rule_id"] for f in r["findings"]})) or "-"
        out.append(f"| {_cell(str(r['id']))} | {ICONS.get(r['status'], '')} {r['status']} | "
                   f"{' '.join(r['countries'])} | {_cell(rules)} |")
    for r in results:
        if not r["findings"]:
            continue
        out += ["", f"## {ICONS.get(r['status'], '')} {r['id']} ({location(r)})", ""]
        for f in r["findings"]:
            ev = "; ".join(f"`{_cell(e['text'])}`" for e in f["evidence"][:3])
            refs = ", ".join(f"[{_cell(x['title'])}]({x['url']})" for x in f["references"][:2])
            out.append(f"- **{f['severity']}** `{f['rule_id']}` ({f['country'] or 'platform'}): {_cell(f['message'])}")
            out.append(f"  - Fix: {_cell(f['fix'])}")
            if ev:
                out.append(f"  - Evidence: {ev}")
            if refs:
                out.append(f"  - Source: {refs}")
    return "\n".join(out) + "\n"
