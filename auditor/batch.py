"""Audit a stream of input records: good posts become results, bad ones precise errors."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from auditor.engine import Engine
from auditor.inputs import Record
from auditor.posts import Defaults, PostError, parse_post
from auditor.types import Post, Verdict


@dataclass
class BatchOutcome:
    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    audited: list[tuple[Record, Post, Verdict]] = field(default_factory=list)


def audit_records(engine: Engine, records: Iterable[Record], *, strict: bool = False,
                  defaults: Defaults = Defaults()) -> BatchOutcome:
    out = BatchOutcome()
    countries = engine.rules.countries
    for rec in records:
        if rec.error:
            code, message = rec.error
            out.errors.append({"file": rec.file, "line": rec.line, "code": code, "message": message})
            continue
        try:
            post = parse_post(rec.data, countries, strict=strict, defaults=defaults,
                              fallback_id=f"line-{rec.line}")
        except PostError as exc:
            out.errors.append({"file": rec.file, "line": rec.line, "code": exc.code, "message": exc.message,
                               "field": exc.field})
            continue
        verdict = engine.audit(post)
        result = verdict.to_dict()
        result["source"] = {"file": rec.file, "line": rec.line}
        out.results.append(result)
        out.audited.append((rec, post, verdict))
    return out
