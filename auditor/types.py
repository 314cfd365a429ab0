"""The auditor's vocabulary: posts in, verdicts out. Immutable value classes, no I/O.

The engine makes several of these per post, so they are plain classes with their own __init__, which
the build compiles with the engine (setup.py): a compiled class is built in tens of nanoseconds and
its attributes are read-only (`Final`), where a frozen dataclass took several hundred. Value
equality, hashing and repr come from `Value`, over each class's FIELDS."""
from __future__ import annotations

from typing import Any, ClassVar, Final

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


class Value:
    """Equality, hash and repr over a class's FIELDS, as a frozen dataclass has them."""
    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and isinstance(other, Value) and self._values() == other._values()

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self.FIELDS)})"


class Post(Value):
    """One post as the caller described it. Text fields are already extracted from HTML."""
    FIELDS: ClassVar[tuple[str, ...]] = ("id", "countries", "platform", "format", "text", "transcript",
                                         "frames", "links", "platform_label", "relationship", "brand",
                                         "retouched", "ai_generated", "author", "url", "posted_at",
                                         "first_comment")

    def __init__(self, id: str, countries: tuple[str, ...], platform: str | None = None,
                 format: str = "post", text: str = "", transcript: str = "", frames: tuple[str, ...] = (),
                 links: tuple[str, ...] = (), platform_label: bool | None = None,
                 relationship: tuple[str, ...] = (), brand: str | None = None, retouched: bool = False,
                 ai_generated: bool = False, author: str | None = None, url: str | None = None,
                 posted_at: str | None = None, first_comment: str = "") -> None:
        self.id: Final = id
        self.countries: Final = countries
        self.platform: Final = platform
        self.format: Final = format
        self.text: Final = text
        self.transcript: Final = transcript
        self.frames: Final = frames
        self.links: Final = links
        self.platform_label: Final = platform_label
        self.relationship: Final = relationship
        self.brand: Final = brand
        self.retouched: Final = retouched
        self.ai_generated: Final = ai_generated
        self.author: Final = author
        self.url: Final = url
        self.posted_at: Final = posted_at
        # the creator's own first comment: connection cues count, labels do not
        self.first_comment: Final = first_comment


class Reference(Value):
    FIELDS: ClassVar[tuple[str, ...]] = ("title", "url")

    def __init__(self, title: str, url: str) -> None:
        self.title: Final = title
        self.url: Final = url

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url}


class Span(Value):
    """A stretch of one field of the post: `field` is text, transcript, frames[2], links[0]..."""
    FIELDS: ClassVar[tuple[str, ...]] = ("field", "start", "end", "text")

    def __init__(self, field: str, start: int, end: int, text: str) -> None:
        self.field: Final = field
        self.start: Final = start
        self.end: Final = end
        self.text: Final = text

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "start": self.start, "end": self.end, "text": self.text}


class Evidence(Value):
    """A signal found in the post: a disclosure label or a material-connection cue."""
    FIELDS: ClassVar[tuple[str, ...]] = ("span", "kind", "entry", "language", "strength", "source")

    def __init__(self, span: Span, kind: str, entry: str, language: str | None, strength: str = "strong",
                 source: str | None = None) -> None:
        self.span: Final = span
        self.kind: Final = kind   # label class (ad, sponsored, ...) or connection kind (gifted, affiliate, ...)
        self.entry: Final = entry   # vocabulary entry id, e.g. "nb.reklame" or "links.amazon"
        self.language: Final = language   # language of the vocabulary entry (None for links)
        self.strength: Final = strength   # strong | weak | negative (connection signals); labels are "label"
        self.source: Final = source

    def to_dict(self) -> dict[str, Any]:
        d = self.span.to_dict()
        d.update(kind=self.kind, entry=self.entry, strength=self.strength)
        if self.language:
            d["language"] = self.language
        if self.source:
            d["source"] = self.source
        return d


class Language(Value):
    FIELDS: ClassVar[tuple[str, ...]] = ("code", "confidence", "source", "method")

    def __init__(self, code: str, confidence: float, source: str, method: str) -> None:
        self.code: Final = code
        self.confidence: Final = confidence
        self.source: Final = source   # detected | prior | fallback
        self.method: Final = method   # stopwords | langdetect | country

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "confidence": round(self.confidence, 2),
                "source": self.source, "method": self.method}


class Connection(Value):
    """Is there a material connection between the author and a brand, and how do we know?"""
    FIELDS: ClassVar[tuple[str, ...]] = ("strength", "known", "detected")

    def __init__(self, strength: str, known: tuple[str, ...] = (),
                 detected: tuple[Evidence, ...] = ()) -> None:
        self.strength: Final = strength   # strong | weak | none
        self.known: Final = known   # from the contract / caller
        self.detected: Final = detected

    def to_dict(self) -> dict[str, Any]:
        kinds = sorted({e.kind for e in self.detected if e.strength != "negative"})
        return {"strength": self.strength, "known": list(self.known), "detected": kinds,
                "evidence": [e.to_dict() for e in self.detected]}


class Disclosure(Value):
    """A label found in the post and how each audience country judges it."""
    FIELDS: ClassVar[tuple[str, ...]] = ("evidence", "placement", "countries")

    def __init__(self, evidence: Evidence, placement: dict[str, Any], countries: dict[str, str]) -> None:
        self.evidence: Final = evidence
        self.placement: Final = placement
        self.countries: Final = countries   # country -> accepted | weak | rejected | wrong_language

    def to_dict(self) -> dict[str, Any]:
        d = self.evidence.to_dict()
        d["placement"] = dict(self.placement)
        d["countries"] = dict(self.countries)
        return d


class Finding(Value):
    FIELDS: ClassVar[tuple[str, ...]] = ("rule_id", "country", "severity", "message", "fix", "evidence",
                                         "references", "confidence", "fix_label")

    def __init__(self, rule_id: str, country: str | None, severity: str, message: str, fix: str,
                 evidence: tuple[Span, ...] = (), references: tuple[Reference, ...] = (),
                 confidence: str = "high", fix_label: str | None = None) -> None:
        self.rule_id: Final = rule_id
        self.country: Final = country   # None for platform-policy findings
        self.severity: Final = severity
        self.message: Final = message
        self.fix: Final = fix
        self.evidence: Final = evidence
        self.references: Final = references
        self.confidence: Final = confidence
        self.fix_label: Final = fix_label   # the label text to add, when the fix is a label

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
    worst = 2
    for f in findings:
        rank = SEVERITY_RANK[f.severity]
        if rank < worst:
            worst = rank
    return STATUSES[worst]


class Verdict(Value):
    FIELDS: ClassVar[tuple[str, ...]] = ("post_id", "status", "countries", "platform", "format", "language",
                                         "connection", "disclosures", "findings", "ruleset_version",
                                         "platform_label", "suggested_caption")

    def __init__(self, post_id: str, status: str, countries: tuple[str, ...], platform: str | None,
                 format: str, language: Language, connection: Connection,
                 disclosures: tuple[Disclosure, ...], findings: tuple[Finding, ...], ruleset_version: str,
                 platform_label: bool | None = None, suggested_caption: str | None = None) -> None:
        self.post_id: Final = post_id
        self.status: Final = status
        self.countries: Final = countries
        self.platform: Final = platform
        self.format: Final = format
        self.language: Final = language
        self.connection: Final = connection
        self.disclosures: Final = disclosures
        self.findings: Final = findings
        self.ruleset_version: Final = ruleset_version
        self.platform_label: Final = platform_label
        self.suggested_caption: Final = suggested_caption

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
