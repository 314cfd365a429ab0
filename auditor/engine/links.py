"""Affiliate and tracking links: host-scoped patterns, never a bare `ref=` on every host."""
from __future__ import annotations

import re
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

from auditor.rulesets.schema import LinksFile, LinkPattern

# http(s)://..., www...., or a bare host with a path (amzn.to/3xYz, rstyle.me/abc)
URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'()\[\]]+"
    r"|\b[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.[a-z]{2,}/[^\s<>\"'()\[\]]+",
    re.IGNORECASE,
)
TRAILING = ".,;:!?…»”’"


WWW_RE = re.compile(r"www\.", re.IGNORECASE)
# careers pages (karriere.x.de, x.se/jobb, x.com/careers): a job advert, not a shop
CAREERS_RE = re.compile(r"karri|career|jobs?\b|jobb|stellen|vacanc|recruit|werkenbij|rekry|empleo|emploi")


SPACE_RE = re.compile(r"\s")


def _url_chunks(text: str) -> list[tuple[int, int]]:
    """The stretches of a text a URL can be in, in order: every URL_RE match holds a "/" or "www." and
    no whitespace, so only the whitespace-free chunks around these are scanned (URL_RE tried at every
    position of a caption was most of the cost of finding its links). A chunk may start early (at
    the last plain space, newline or tab): a stretch without "/" or "www." holds no match."""
    anchors = []
    at = text.find("/")
    while at >= 0:
        anchors.append(at)
        at = text.find("/", at + 1)
    if "w" in text or "W" in text:
        anchors.extend(m.start() for m in WWW_RE.finditer(text))
        anchors.sort()
    chunks: list[tuple[int, int]] = []
    scanned = 0
    for at in anchors:
        if at < scanned:
            continue
        start = max(scanned, text.rfind(" ", 0, at) + 1, text.rfind("\n", 0, at) + 1, text.rfind("\t", 0, at) + 1)
        space = SPACE_RE.search(text, at)
        scanned = space.start() if space else len(text)
        chunks.append((start, scanned))
    return chunks


class LinkHit:
    """A link found in a text, and what it is (a plain class: see signals.LabelHit)."""
    __slots__ = ("start", "end", "url", "pattern_id", "name", "kind", "strength", "source")

    def __init__(self, start: int, end: int, url: str, pattern_id: str, name: str, kind: str, strength: str,
                 source: str) -> None:
        self.start = start
        self.end = end
        self.url = url
        self.pattern_id = pattern_id
        self.name = name
        self.kind = kind            # affiliate | tracking_link | discount_code
        self.strength = strength
        self.source = source


class LazyNames:
    """Names worked out on first use (a brand's folded spellings: most links never need them)."""
    __slots__ = ("_make", "_names")

    def __init__(self, make: Callable[[], tuple[str, ...]]) -> None:
        self._make = make
        self._names: tuple[str, ...] | None = None

    def get(self) -> tuple[str, ...]:
        names = self._names
        if names is None:
            names = self._names = self._make()
        return names


class LinkClassifier:
    """Host-indexed patterns: exact hosts, parent-domain wildcards (*.x.com) and any-TLD names (amazon.*)."""

    def __init__(self, spec: LinksFile):
        self.exact: dict[str, list[LinkPattern]] = {}
        self.any_tld: dict[str, list[LinkPattern]] = {}
        for p in spec.networks:
            for host in p.hosts:
                if host.startswith("*."):
                    self.exact.setdefault("." + host[2:], []).append(p)   # any subdomain
                    self.exact.setdefault(host[2:], []).append(p)
                elif host.endswith(".*"):
                    self.any_tld.setdefault(host[:-2], []).append(p)
                else:
                    self.exact.setdefault(host, []).append(p)
        self.tracking = spec.tracking
        self.tracking_params = frozenset(spec.tracking.params)
        self.affiliate_params = spec.tracking.affiliate_params
        self.referral_params = frozenset(spec.tracking.referral_params)
        self.shorteners = frozenset(spec.shorteners)

    def candidates(self, host: str) -> list[LinkPattern]:
        bare = host.removeprefix("www.")
        found = [*self.exact.get(host, ()), *(self.exact.get(bare, ()) if bare != host else ())]
        parts = bare.split(".")
        for i in range(1, len(parts) - 1):      # a.b.awin1.com matches *.awin1.com
            found.extend(self.exact.get("." + ".".join(parts[i:]), ()))
        for i, label in enumerate(parts[:-1]):   # amazon.de, amazon.co.uk, smile.amazon.de match amazon.*
            tld = parts[i + 1:]
            if label in self.any_tld and len(tld) <= 2 and all(2 <= len(x) <= 3 for x in tld):
                found.extend(self.any_tld[label])
        return found

    def find(self, text: str, brands: tuple[str, ...] | LazyNames = ()) -> list[LinkHit]:
        """Affiliate and tracking links in a text; with `brands` (folded names: fold_name), also links
        to a brand's own site."""
        if "/" not in text and "www" not in text:   # every URL_RE match has one of these
            return []
        hits = []
        for start, end in _url_chunks(text):
            for m in URL_RE.finditer(text, start, end):
                url = m.group(0).rstrip(TRAILING)
                hit = self.classify(url, m.start(), brands)
                if hit:
                    hits.append(hit)
        return hits

    def classify(self, url: str, start: int = 0, brands: tuple[str, ...] | LazyNames = ()) -> LinkHit | None:
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
        for p in self.candidates(host):
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
        for key in params:
            if key in self.affiliate_params:
                return LinkHit(start, end, url, "tracking." + key, self.affiliate_params[key],
                               "affiliate", "strong", "a parameter only affiliate software sets")
        names = brands.get() if isinstance(brands, LazyNames) else brands
        if names and _names_brand(host, names):
            referral = self.referral_params.intersection(params)
            if referral:
                key = min(referral)
                return LinkHit(start, end, url, "brand_site.referral", f"{key}={params[key]}", "affiliate",
                               "strong", "a referral code on the brand's own site")
            if CAREERS_RE.search(host + path):
                return None   # a company's job advert links its careers page: no product promoted
            # BGH Influencer I: a link to the maker's shop can make a post commercial; elsewhere a cue
            return LinkHit(start, end, url, "brand_site", host, "call_to_action", "weak",
                           "a link to the brand's own site")
        return None


def _names_brand(host: str, brands: tuple[str, ...]) -> bool:
    """Is the host the brand's own ("klango.se", "shop.beerenglueck.de" for Klango, Beerenglück)?
    A label of the host (not its TLD) is the brand's folded name, give or take a short affix."""
    # "eisenwerk-manufaktur.de" names @eisenwerk.manufaktur: hyphens are how hosts write separators
    labels = host.removeprefix("www.").replace("-", "").split(".")[:-1]
    return any(name in label and len(label) - len(name) <= 6 for label in labels for name in brands)
