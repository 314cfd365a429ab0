"""Rules turn signals into findings. One function per rule kind; each says why, where and how to fix."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.engine.signals import LabelHit, PostSignals
from auditor.rulesets.model import CountryPolicy, PlatformPolicy
from auditor.rulesets.schema import SPECIAL_LABEL_CLASSES
from auditor.types import VIDEO_FORMATS, Connection, Finding, Language, Post, Span

RANK = {"accepted": 3, "weak": 2, "wrong_language": 1, "rejected": 0}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass
class PostContext:
    """Everything the rules of every audience country need to know about one post."""
    post: Post
    signals: PostSignals
    connection: Connection
    language: Language
    platform: PlatformPolicy | None
    brand: str               # how fixes name the brand: @handle, name, or [brand]

    @property
    def fold(self):
        return self.platform.spec.fold if self.platform else None


@dataclass
class CountryOutcome:
    findings: list[Finding]
    statuses: dict[int, str]      # id(label hit) -> status for this country
    fix_label: str | None


def _applies(rule, post: Post) -> bool:
    return (not rule.platforms or post.platform in rule.platforms) and \
        (not rule.formats or post.format in rule.formats)


def _finding(rule, country: CountryPolicy | None, references, values: dict[str, Any],
             evidence: list[Span] | tuple[Span, ...] = (), severity: str | None = None,
             fix_label: str | None = None) -> Finding:
    fields = _Blank(values)
    return Finding(
        rule_id=rule.id, country=country.code if country else None,
        severity=severity or rule.severity,
        message=rule.message.format_map(fields), fix=rule.fix.format_map(fields),
        evidence=tuple(evidence), references=references.get(rule.id, ()),
        confidence=rule.confidence if country is None or CONF_RANK[rule.confidence] <= CONF_RANK[country.confidence]
        else country.confidence,
        fix_label=fix_label,
    )


CONF_RANK = {"low": 0, "medium": 1, "high": 2}


def before_fold(ctx: PostContext, hit: LabelHit) -> bool:
    fold = ctx.fold
    if fold is None or hit.field != "text":
        return True
    if hit.start >= fold.chars:
        return False
    if fold.lines is not None and ctx.post.text.count("\n", 0, hit.start) >= fold.lines:
        return False
    return True


def offset_from_start(ctx: PostContext, hit: LabelHit) -> int:
    text = ctx.post.text
    return hit.start - (len(text) - len(text.lstrip()))


def buried(ctx: PostContext, hit: LabelHit, mode: str, min_cluster: int) -> bool:
    """Is this hashtag label lost in a block of hashtags?"""
    if not hit.hashtag:
        return False
    fs = ctx.signals.fields.get(hit.field)
    if fs is None:
        return False
    for first_char, _, run, trailing in fs.hashtag_clusters(min_cluster):
        if hit.start not in run:
            continue
        index = run.index(hit.start)
        if mode == "edges":
            return index not in (0, len(run) - 1)
        if mode == "first_3":
            return index >= 3
        # strict: a trailing block is buried; a block that opens the post is fine if it comes first
        opens_post = first_char - (len(ctx.post.text) - len(ctx.post.text.lstrip())) <= 2
        return trailing and not opens_post or index > 0 and not opens_post
    return False


def placement_of(ctx: PostContext, hit: LabelHit) -> dict[str, Any]:
    return {"before_fold": before_fold(ctx, hit), "offset": offset_from_start(ctx, hit)
            if hit.field == "text" else None,
            "in_hashtag_block": buried(ctx, hit, "strict", 3)}


def evaluate_country(ctx: PostContext, country: CountryPolicy, accepted_examples: str) -> CountryOutcome:
    post, signals = ctx.post, ctx.signals
    lang = ctx.language.code
    statuses: dict[int, str] = {}
    ad_hits: list[tuple[LabelHit, str]] = []
    special: list[LabelHit] = []
    for hit in signals.labels:
        if hit.label_class in SPECIAL_LABEL_CLASSES:
            special.append(hit)
            continue
        best = "rejected"
        # when the words are a label in the audience's own language, judge them as that
        own = [r for r in hit.entries if r.language in country.languages] or hit.entries
        for r in own:
            s = country.label_status(r.entry_id, r.entry.label_class, r.language, lang)
            if RANK[s] > RANK[best]:
                best = s
        statuses[id(hit)] = best
        ad_hits.append((hit, best))

    findings: list[Finding] = []
    strength = ctx.connection.strength
    platform, fmt = post.platform, post.format
    rules = lambda kind: country.applicable(kind, platform, fmt)  # noqa: E731
    cache: dict[str, Any] = {}

    def values() -> dict[str, Any]:
        """Template fields, built only when a finding is written."""
        if not cache:
            cache.update({
                "label": country.suggested_label(lang).format_map(_Blank(brand=ctx.brand)),
                "brand": ctx.brand, "country": country.name,
                "platform": ctx.platform.name if ctx.platform else (post.platform or "the platform"),
                "native_label": (ctx.platform.spec.native_label or "paid-partnership label")
                if ctx.platform else "paid-partnership label",
                "fold": ctx.fold.chars if ctx.fold else "", "accepted": accepted_examples,
                "languages": ", ".join(country.languages), "language": lang,
            })
        return cache

    refs = country.references
    for rule in rules("special_label"):
        flag = post.retouched if rule.when == "retouched" else post.ai_generated
        if flag and (strength != "none" or not rule.commercial_only) \
                and not any(h.label_class in rule.labels for h in special):
            findings.append(_finding(rule, country, refs, values()))

    if strength == "none":
        return CountryOutcome(findings, statuses, None)

    accepted = [h for h, s in ad_hits if s == "accepted"]
    stance = ctx.platform.label_alone(country.code) if ctx.platform else "unknown"
    platform_ok = post.platform_label is True and stance == "accepted"
    fix_label: str | None = None

    if accepted:
        findings.extend(_placement(ctx, country, rules, refs, values, accepted))
        if not signals.brand_named:
            for rule in rules("name_brand"):
                findings.append(_finding(rule, country, refs, values(), [accepted[0].evidence.span]))
        findings.extend(_stories(ctx, country, rules, refs, values, accepted, platform_ok))
        findings.extend(_video(ctx, country, rules, refs, values, accepted, platform_ok))
        return CountryOutcome(findings, statuses, None)
    if platform_ok:
        findings.extend(_video(ctx, country, rules, refs, values, accepted, platform_ok))
        return CountryOutcome(findings, statuses, None)

    by_status: dict[str, list[LabelHit]] = {}
    for h, s in ad_hits:
        by_status.setdefault(s, []).append(h)
    found = lambda hs: ", ".join(f"'{h.evidence.span.text}'" for h in hs)  # noqa: E731
    connection_spans = [e.span for e in ctx.connection.detected if e.strength == "strong"][:3] or \
        [e.span for e in ctx.connection.detected if e.strength == "weak"][:3]
    # with only weak cues (a "thanks @someone" that may not be a brand), a bad label asks for review
    weak_cap = (lambda sev: "warning" if sev == "error" else sev) if strength == "weak" else (lambda sev: sev)
    v = values()
    fix_label = label = v["label"]
    if post.platform_label is True:
        for rule in rules("platform_label"):
            severity = rule.severity if stance == "insufficient" else rule.unknown_severity
            findings.append(_finding(rule, country, refs, v, connection_spans, weak_cap(severity), label))
    elif by_status.get("weak"):
        hs = by_status["weak"]
        for rule in rules("forbid_label"):
            if rule.status == "weak":
                findings.append(_finding(rule, country, refs, {**v, "found": found(hs)},
                                         [h.evidence.span for h in hs], weak_cap(rule.severity), label))
    elif by_status.get("wrong_language"):
        hs = by_status["wrong_language"]
        for rule in rules("label_language"):
            findings.append(_finding(rule, country, refs, {**v, "found": found(hs)},
                                     [h.evidence.span for h in hs], weak_cap(rule.severity), label))
    elif by_status.get("rejected"):
        hs = by_status["rejected"]
        for rule in rules("forbid_label"):
            if rule.status == "rejected":
                findings.append(_finding(rule, country, refs, {**v, "found": found(hs)},
                                         [h.evidence.span for h in hs], weak_cap(rule.severity), label))
    else:
        for rule in rules("require_label"):
            severity = rule.severity if strength == "strong" else rule.weak_severity
            findings.append(_finding(rule, country, refs, v, connection_spans, severity, label))
    return CountryOutcome(findings, statuses, fix_label)


def _placement(ctx, country, rules, refs, values_fn, accepted) -> list[Finding]:
    post = ctx.post
    if post.format == "story" or not post.text:
        return []
    placement_rules = rules("placement")
    if not placement_rules:
        return []
    values = values_fn()
    in_caption = [h for h in accepted if h.field == "text"]
    out: list[Finding] = []
    for rule in placement_rules:
        if not in_caption:
            # labelled only in the video or frames: the caption check applies to non-video posts
            if rule.position == "before_fold" and post.format not in VIDEO_FORMATS:
                spans = [h.evidence.span for h in accepted[:1]]
                out.append(_finding(rule, country, refs, values, spans, fix_label=values["label"]))
            continue
        if rule.position == "before_fold":
            if not any(before_fold(ctx, h) for h in in_caption):
                out.append(_finding(rule, country, refs, values, [in_caption[0].evidence.span],
                                    fix_label=values["label"]))
        elif rule.position == "start":
            if not any(offset_from_start(ctx, h) <= rule.within for h in in_caption) \
                    and any(before_fold(ctx, h) for h in in_caption):
                out.append(_finding(rule, country, refs, values, [in_caption[0].evidence.span],
                                    fix_label=values["label"]))
        elif rule.position == "hashtags":
            if all(buried(ctx, h, rule.hashtags, rule.min_cluster) for h in in_caption):
                out.append(_finding(rule, country, refs, values, [in_caption[0].evidence.span],
                                    fix_label=values["label"]))
    return out


def _stories(ctx, country, rules, refs, values_fn, accepted, platform_ok) -> list[Finding]:
    post = ctx.post
    if post.format != "story" or len(post.frames) < 2 or platform_ok:
        return []
    values = values_fn()
    labelled = {h.field for h in accepted}
    out = []
    for rule in rules("stories"):
        n = len(post.frames)
        wanted = range(n) if rule.frames == "every" else sorted({0, n - 1})
        missing = [i for i in wanted if f"frames[{i}]" not in labelled]
        if missing:
            spans = [Span(f"frames[{i}]", 0, len(post.frames[i]), post.frames[i][:80]) for i in missing]
            frames = ", ".join(str(i + 1) for i in missing)
            out.append(_finding(rule, country, refs, {**values, "frames": frames}, spans,
                                fix_label=values["label"]))
    return out


def _video(ctx, country, rules, refs, values_fn, accepted, platform_ok) -> list[Finding]:
    post = ctx.post
    # an accepted platform label is shown on the video itself (and throughout a live stream)
    if post.format not in VIDEO_FORMATS or platform_ok:
        return []
    out = []
    if post.text and not any(h.field == "text" for h in accepted):
        for rule in rules("in_video"):
            if rule.where == "description":
                out.append(_finding(rule, country, refs, values_fn(), fix_label=values_fn()["label"]))
    if not post.transcript:
        return out
    values = values_fn()
    spoken = sorted((h for h in accepted if h.field == "transcript"), key=lambda h: h.start)
    if not spoken:
        for rule in rules("in_video"):
            if rule.where == "video":
                out.append(_finding(rule, country, refs, values, fix_label=values["label"]))
        return out
    if post.format == "live":
        length = len(post.transcript)
        points = [0] + [h.start for h in spoken] + [length]
        gap = max(b - a for a, b in zip(points, points[1:]))
        for rule in rules("live"):
            if gap > rule.max_gap:
                out.append(_finding(rule, country, refs, {**values, "gap": gap},
                                    [h.evidence.span for h in spoken[:3]], fix_label=values["label"]))
    return out


def evaluate_platform(ctx: PostContext) -> list[Finding]:
    platform = ctx.platform
    if platform is None:
        return []
    post = ctx.post
    values = {"platform": platform.name, "native_label": platform.spec.native_label or "",
              "brand": ctx.brand}
    out = []
    for rule in platform.spec.rules:
        if not _applies(rule, post):
            continue
        if rule.kind == "platform_tool":
            if ctx.connection.strength == "strong" and post.platform_label is False:
                out.append(_finding(rule, None, platform.references, values))
        elif rule.kind == "special_label":
            flag = post.retouched if rule.when == "retouched" else post.ai_generated
            if flag and not any(h.label_class in rule.labels for h in ctx.signals.labels):
                out.append(_finding(rule, None, platform.references, values))
    return out
