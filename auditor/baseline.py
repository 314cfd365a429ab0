"""Baselines: accept today's findings so that CI fails only on new ones.

A fingerprint names a finding without character offsets: the post's content, the rule, the country
and the evidence text. Reordering a file or moving text around keeps fingerprints; editing the
post's text or a new rule firing makes new ones.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

from auditor.types import Finding, Post

FORMAT_VERSION = 1


def content_hash(post: Post) -> str:
    parts = [post.platform or "", post.format, ",".join(post.countries), post.text, post.transcript,
             *post.frames]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def fingerprint(post: Post, finding: Finding) -> str:
    evidence = "|".join(sorted(s.text.lower() for s in finding.evidence))
    key = "\0".join([content_hash(post), finding.rule_id, finding.country or "", evidence])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def dump(fingerprints: Iterable[str], ruleset_version: str) -> str:
    return json.dumps({"tool": "auditor", "format": FORMAT_VERSION, "ruleset_version": ruleset_version,
                       "fingerprints": sorted(set(fingerprints))}, indent=2) + "\n"


def parse(text: str) -> frozenset[str]:
    """Raises ValueError with a reason when the file is not a baseline."""
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict) or doc.get("tool") != "auditor" or not isinstance(doc.get("fingerprints"), list):
        raise ValueError("not an auditor baseline (write one with `auditor baseline write`)")
    return frozenset(str(f) for f in doc["fingerprints"])
