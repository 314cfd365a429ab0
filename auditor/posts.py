"""The input contract: a post as JSON -> a validated Post, or a precise error. No I/O."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from auditor.engine.text import html_to_text
from auditor.types import FORMATS, PLATFORMS, RELATIONSHIPS, Post

MAX_TEXT_BYTES = 100_000
PLATFORM_ALIASES = {"twitter": "x", "ig": "instagram", "yt": "youtube", "fb": "facebook",
                    "tik tok": "tiktok", "web": "blog", "website": "blog"}
COUNTRY_ALIASES = {"UK": "GB"}
FORMAT_ALIASES = {"stories": "story", "reels": "reel", "livestream": "live", "tweet": "post"}
KNOWN_FIELDS = frozenset({
    "id", "platform", "format", "countries", "country", "text", "html", "transcript", "frames",
    "links", "platform_label", "relationship", "brand", "retouched", "ai_generated", "author", "url",
    "posted_at", "first_comment",
})
ALWAYS_ALLOWED = frozenset({"expected", "meta", "note", "tags"})  # labelled files carry these


class PostError(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "field": self.field}


@dataclass(frozen=True)
class Defaults:
    countries: tuple[str, ...] = ()
    platform: str | None = None
    format: str = "post"


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PostError("invalid_field", f"'{name}' must be a string", name)
    if len(value.encode("utf-8")) > MAX_TEXT_BYTES:
        raise PostError("too_large", f"'{name}' is {len(value.encode('utf-8')):,} bytes; the limit is "
                                     f"{MAX_TEXT_BYTES:,}", name)
    return value


def _strings(data: dict, name: str) -> tuple[str, ...]:
    value = data.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PostError("invalid_field", f"'{name}' must be a list of strings", name)
    total = sum(len(v.encode("utf-8")) for v in value)
    if total > MAX_TEXT_BYTES:
        raise PostError("too_large", f"'{name}' is {total:,} bytes; the limit is {MAX_TEXT_BYTES:,}", name)
    return tuple(value)


def _flag(data: dict, name: str) -> bool | None:
    value = data.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise PostError("invalid_field", f"'{name}' must be true or false", name)


def parse_post(data: Any, known_countries: Iterable[str], *, strict: bool = False,
               defaults: Defaults = Defaults(), fallback_id: str = "") -> Post:
    if not isinstance(data, dict):
        raise PostError("invalid_post", "a post must be a JSON object")
    if strict:
        unknown = sorted(set(data) - KNOWN_FIELDS - ALWAYS_ALLOWED)
        if unknown:
            raise PostError("unknown_field", f"unknown field(s): {', '.join(unknown)}; known: "
                                             f"{', '.join(sorted(KNOWN_FIELDS))}", unknown[0])

    post_id = data.get("id", fallback_id)
    if not isinstance(post_id, (str, int)) or isinstance(post_id, bool):
        raise PostError("invalid_field", "'id' must be a string or a number", "id")

    platform = data.get("platform", defaults.platform)
    if platform is not None:
        if not isinstance(platform, str):
            raise PostError("invalid_field", "'platform' must be a string", "platform")
        platform = PLATFORM_ALIASES.get(platform.strip().lower(), platform.strip().lower())
        if platform not in PLATFORMS:
            raise PostError("unknown_platform", f"unknown platform {data.get('platform')!r}; known: "
                                                f"{', '.join(PLATFORMS)}", "platform")

    fmt = data.get("format") or defaults.format
    if not isinstance(fmt, str):
        raise PostError("invalid_field", "'format' must be a string", "format")
    fmt = FORMAT_ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
    if fmt not in FORMATS:
        raise PostError("unknown_format", f"unknown format {data.get('format')!r}; known: {', '.join(FORMATS)}",
                        "format")

    raw_countries = data.get("countries", data.get("country"))
    if raw_countries is None:
        raw_countries = list(defaults.countries)
    if isinstance(raw_countries, str):
        raw_countries = [c for c in raw_countries.replace(";", ",").split(",") if c.strip()]
    if not isinstance(raw_countries, list) or not all(isinstance(c, str) for c in raw_countries):
        raise PostError("invalid_field", "'countries' must be a list of ISO 3166-1 alpha-2 codes", "countries")
    if not raw_countries:
        raise PostError("missing_country", "no audience country: give 'countries' (e.g. [\"NO\"]) or 'country'",
                        "countries")
    known = set(known_countries)
    countries: list[str] = []
    for raw in raw_countries:
        code = COUNTRY_ALIASES.get(raw.strip().upper(), raw.strip().upper())
        if code not in known:
            raise PostError("unknown_country", f"unknown country {raw!r}; known: {', '.join(sorted(known))}",
                            "countries")
        if code not in countries:
            countries.append(code)

    text = _text(data, "text")
    html = _text(data, "html")
    links = list(_strings(data, "links"))
    if html:
        html_text, html_links = html_to_text(html)
        text = f"{text}\n{html_text}".strip() if text else html_text
        links.extend(link for link in html_links if link not in links)
    transcript = _text(data, "transcript")
    frames = _strings(data, "frames")
    first_comment = _text(data, "first_comment")
    if not (text.strip() or transcript.strip() or any(f.strip() for f in frames)):
        raise PostError("missing_text", "the post has no text: give 'text', 'html', 'frames' or 'transcript'",
                        "text")

    rel = data.get("relationship")
    if rel is None:
        relationship: tuple[str, ...] = ()
    else:
        if isinstance(rel, str):
            rel = [rel]
        if not isinstance(rel, list) or not all(isinstance(r, str) for r in rel):
            raise PostError("invalid_field", "'relationship' must be a list of strings", "relationship")
        relationship = tuple(dict.fromkeys(r.strip().lower() for r in rel))
        bad = [r for r in relationship if r not in RELATIONSHIPS]
        if bad:
            raise PostError("unknown_relationship", f"unknown relationship {bad[0]!r}; known: "
                                                    f"{', '.join(RELATIONSHIPS)}", "relationship")

    brand = data.get("brand")
    if brand is not None and not isinstance(brand, str):
        raise PostError("invalid_field", "'brand' must be a string", "brand")
    for name in ("author", "url", "posted_at"):
        if data.get(name) is not None and not isinstance(data.get(name), str):
            raise PostError("invalid_field", f"'{name}' must be a string", name)

    return Post(
        id=str(post_id), countries=tuple(countries), platform=platform, format=fmt, text=text,
        transcript=transcript, frames=frames, links=tuple(links),
        platform_label=_flag(data, "platform_label"), relationship=relationship,
        brand=(brand or "").strip() or None, retouched=bool(_flag(data, "retouched")),
        ai_generated=bool(_flag(data, "ai_generated")), author=data.get("author"), url=data.get("url"),
        posted_at=data.get("posted_at"), first_comment=first_comment,
    )
