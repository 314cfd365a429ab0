"""The auditor's vocabulary: posts in, verdicts out. Frozen dataclasses, no I/O."""
from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Any

PLATFORMS = (
    "instagram", "facebook", "threads", "tiktok", "youtube", "x", "pinterest",
    "snapchat", "twitch", "linkedin", "blog",
)
FORMATS = ("post", "story", "reel", "video", "short", "live", "carousel", "pin", "article", "tweet")
VIDEO_FORMATS = frozenset({"reel", "video", "short", "live"})
RELATIONSHIPS = (
    "paid", "gifted", "affiliate", "discount_code", "loan", "trip", "ambassador",
    "employee", "family", "own_brand", "none",
)
SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
STATUSES = ("violation", "needs_review", "compliant")
STATUS_RANK = {"violation": 0, "needs_review": 1, "compliant": 2}


def fast_init(cls):
    """Give a frozen, slotted dataclass a quicker __init__ (same signature, same effect).

    A frozen dataclass assigns each field through object.__setattr__, about 4x the cost of a plain
    assignment; the engine makes several of these per post. Writing through each slot's own
    descriptor skips the generic path and keeps the instance just as immutable afterwards."""
    names = [f.name for f in fields(cls)]
    namespace = {f"_set_{f.name}": cls.__dict__[f.name].__set__ for f in fields(cls)}
    params = []
    for f in fields(cls):
        if f.default is MISSING:
            params.append(f.name)
        else:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
    body = "".join(f"\n    _set_{n}(self, {n})" for n in names)
    exec(f"def __init__(self, {', '.join(params)}):{body}", namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init
    return cls


@fast_init
@dataclass(frozen=True, slots=True)
class Post:
    """One post as the caller described it. Text fields are already extracted from HTML."""

    id: str
    countries: tuple[str, ...]
    platform: str | None = None
    format: str = "post"
    text: str = ""
    transcript: str = ""
    frames: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    platform_label: bool | None = None
    relationship: tuple[str, ...] = ()
    brand: str | None = None
    retouched: bool = False
    ai_generated: bool = False
    author: str | None = None
    url: str | None = None
    posted_at: str | None = None
    first_comment: str = ""   # the creator's own first comment: connection cues count, labels do not


@fast_init
@dataclass(frozen=True, slots=True)
class Reference:
    title: str
    url: str

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url}


@fast_init
@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of one field of the post: `field` is text, transcript, frames[2], links[0]..."""

    field: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "start": self.start, "end": self.end, "text": self.text}


@fast_init
@dataclass(frozen=True, slots=True)
class Evidence:
    """A signal found in the post: a disclosure label or a material-connection cue."""

    span: Span
    kind: str            # label class (ad, sponsored, ...) or connection kind (gifted, affiliate, ...)
    entry: str           # vocabulary entry id, e.g. "nb.reklame" or "links.amazon"
    language: str | None  # language of the vocabulary entry (None for links)
    strength: str = "strong"  # strong | weak | negative (connection signals); labels are "label"
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = self.span.to_dict()
        d.update(kind=self.kind, entry=self.entry, strength=self.strength)
        if self.language:
            d["language"] = self.language
        if self.source:
            d["source"] = self.source
        return d


@fast_init
@dataclass(frozen=True, slots=True)
class Language:
    code: str
    confidence: float
    source: str   # detected | prior | fallback
    method: str   # stopwords | langdetect | country

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "confidence": round(self.confidence, 2),
                "source": self.source, "method": self.method}


@fast_init
@dataclass(frozen=True, slots=True)
class Connection:
    """Is there a material connection between the author and a brand, and how do we know?"""

    strength: str                      # strong | weak | none
    known: tuple[str, ...] = ()        # from the contract / caller
    detected: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        kinds = sorted({e.kind for e in self.detected if e.strength != "negative"})
        return {"strength": self.strength, "known": list(self.known), "detected": kinds,
                "evidence": [e.to_dict() for e in self.detected]}


@fast_init
@dataclass(frozen=True, slots=True)
class Disclosure:
    """A label found in the post and how each audience country judges it."""

    evidence: Evidence
    placement: dict[str, Any]
    countries: dict[str, str]   # country -> accepted | weak | rejected | wrong_language

    def to_dict(self) -> dict[str, Any]:
        d = self.evidence.to_dict()
        d["placement"] = dict(self.placement)
        d["countries"] = dict(self.countries)
        return d


@fast_init
@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    country: str | None       # None for platform-policy findings
    severity: str
    message: str
    fix: str
    evidence: tuple[Span, ...] = ()
    references: tuple[Reference, ...] = ()
    confidence: str = "high"
    fix_label: str | None = None   # the label text to add, when the fix is a label

    def sort_key(self) -> tuple:
        first = self.evidence[0] if self.evidence else None
        return (SEVERITY_RANK[self.severity], self.country or "", self.rule_id,
                first.field if first else "", first.start if first else -1)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "rule_id": self.rule_id, "country": self.country, "severity": self.severity,
            "message": self.message, "fix": self.fix,
            "evidence": [s.to_dict() for s in self.evidence],
            "references": [r.to_dict() for r in self.references],
            "confidence": self.confidence,
        }
        if self.fix_label:
            d["fix_label"] = self.fix_label
        return d


def status_of(findings: tuple[Finding, ...] | list[Finding]) -> str:
    """Any error is a violation; else any warning needs review; else compliant."""
    worst = min((SEVERITY_RANK[f.severity] for f in findings), default=2)
    return ("violation", "needs_review", "compliant")[worst]


@fast_init
@dataclass(frozen=True, slots=True)
class Verdict:
    post_id: str
    status: str
    countries: tuple[str, ...]
    platform: str | None
    format: str
    language: Language
    connection: Connection
    disclosures: tuple[Disclosure, ...]
    findings: tuple[Finding, ...]
    ruleset_version: str
    platform_label: bool | None = None
    suggested_caption: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.post_id,
            "status": self.status,
            "countries": list(self.countries),
            "platform": self.platform,
            "format": self.format,
            "language": self.language.to_dict(),
            "connection": self.connection.to_dict(),
            "platform_label": self.platform_label,
            "disclosures": [x.to_dict() for x in self.disclosures],
            "findings": [f.to_dict() for f in self.findings],
            "ruleset_version": self.ruleset_version,
        }
        if self.suggested_caption is not None:
            d["suggested_caption"] = self.suggested_caption
        return d
