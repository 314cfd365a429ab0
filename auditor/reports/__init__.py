"""Report renderers: one module per format, one entry point.

Every renderer takes the same inputs: verdict dicts (Verdict.to_dict(), optionally with a
"source": {"file", "line"}), input errors ({"file", "line", "code", "message"}), the ruleset version
and a name for the whole run. Output is stable: results keep input order, findings are sorted.
"""
from __future__ import annotations

from typing import Any, Callable

from auditor.reports import csv as csv_report
from auditor.reports import json as json_report
from auditor.reports import junit, markdown, sarif, text

REPORT_FORMATS = ("text", "json", "jsonl", "sarif", "junit", "markdown", "csv")

_RENDERERS: dict[str, Callable[..., str]] = {
    "text": text.render,
    "json": json_report.render,
    "jsonl": json_report.render_lines,
    "sarif": sarif.render,
    "junit": junit.render,
    "markdown": markdown.render,
    "csv": csv_report.render,
}


def render(fmt: str, results: list[dict[str, Any]], errors: list[dict[str, Any]] | None = None,
           ruleset_version: str = "", source_name: str = "auditor", **options: Any) -> str:
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; known: {', '.join(REPORT_FORMATS)}") from None
    return renderer(results, errors or [], ruleset_version, source_name, **options)
