"""Affiliate and tracking links: host-scoped patterns, never a bare `ref=` on every host."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from auditor.rulesets.schema import LinksFile, LinkPattern

# http(s)://..., www...., or a bare host with a path (amzn.to/3xYz, rstyle.me/abc)
URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'()\[\]]+"
    r"|\b[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.[a-z]{2,}/[^\s<>\"'()\[\]]+",
    re.IGNORECASE,
)
TRAILING = ".,;:!?…»”’"


@dataclass(frozen=True, slots=True)
class LinkHit:
    start: int
    end: int
    url: str
    pattern_id: str
    name: str
    kind: str        # affiliate | tracking_link | discount_code
    strength: str
    source: str


def _host_regex(host: str) -> str:
    if host.startswith("*."):
        return r"(?:[a-z0-9\-]+\.)*" + re.escape(host[2:])
    if host.endswith(".*"):
        # amazon.* -> amazon.com, amazon.co.uk, amazon.de ...
        return r"(?:www\.|smile\.)?" + re.escape(host[:-2]) + r"\.[a-z]{2,3}(?:\.[a-z]{2})?"
    return r"(?:www\.)?" + re.escape(host)


class LinkClassifier:
    def __init__(self, spec: LinksFile):
        self.patterns: list[tuple[re.Pattern, LinkPattern]] = [
            (re.compile("^(?:" + "|".join(_host_regex(h) for h in p.hosts) + ")$"), p)
            for p in spec.networks
        ]
        self.tracking = spec.tracking
        self.tracking_params = frozenset(spec.tracking.params)
        self.shorteners = frozenset(spec.shorteners)

    def find(self, text: str) -> list[LinkHit]:
        if "." not in text:
            return []
        hits = []
        for m in URL_RE.finditer(text):
            url = m.group(0).rstrip(TRAILING)
            hit = self.classify(url, m.start())
            if hit:
                hits.append(hit)
        return hits

    def classify(self, url: str, start: int = 0) -> LinkHit | None:
        raw = url if "://" in url else "http://" + url
        try:
            parts = urlsplit(raw)
        except ValueError:
            return None
        host = (parts.hostname or "").lower()
        if not host:
            return None
        params = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
        path = parts.path or "/"
        end = start + len(url)
        for regex, p in self.patterns:
            if not regex.match(host):
                continue
            if (not p.params and not p.paths) or any(k in params for k in p.params) \
                    or any(path.startswith(prefix) for prefix in p.paths):
                return LinkHit(start, end, url, p.id, p.name, p.kind, p.strength, p.source)
        tracked = self.tracking_params.intersection(params)
        if tracked:
            for key, values in self.tracking.affiliate_values.items():
                if params.get(key, "").lower() in values:
                    return LinkHit(start, end, url, "tracking." + key, f"{key}={params[key]}",
                                   "affiliate", "strong", "tracking parameter naming paid/affiliate traffic")
            return LinkHit(start, end, url, "tracking.utm", ", ".join(sorted(tracked)),
                           "tracking_link", "weak", "campaign tracking parameters")
        return None
