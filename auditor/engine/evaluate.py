"""Rules turn signals into findings. One function per rule kind; each says why, where and how to fix."""
from __future__ import annotations

import re
from typing import Any

from auditor.engine.nlp import EntryRef, lower, strip_accents
from auditor.engine.signals import (
    FIRST_COMMENT, TAGS_RE, WORD_CHAR_RE, LabelHit, PostSignals, brand_parts, fold_name,
)
from auditor.rulesets.model import CountryPolicy, PlatformPolicy
from auditor.rulesets.schema import SPECIAL_LABEL_CLASSES, TOPIC_KINDS
from auditor.types import RELATIONSHIPS, VIDEO_FORMATS, Connection, Finding, Language, Post, Span

RANK = {"accepted": 3, "weak": 2, "wrong_language": 1, "rejected": 0}
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
RELATIONSHIP_KINDS = frozenset(r for r in RELATIONSHIPS if r != "none")
# labels that name a specific kind of deal ("#ambassador", "affiliate link"): the kind counts as known
# when judging *another* label against the connection ("#sponsorisé" from a yearly ambassador)
DECLARING_CLASSES = frozenset({"paid_partnership", "ambassador", "brand_ambassador", "brand_partner", "affiliate",
                               "affiliate_statement", "employee", "own_brand", "family_statement", "loan",
                               "invited", "gifted", "gift_statement"})
DECLARED = "declared by the label"
IMAGE_FORMATS = frozenset({"post", "carousel", "pin"})
# "[01:12:30]", "[1:05]", "(00:45)" opening a stretch of transcript
TIMESTAMP_RE = re.compile(r"[\[(](\d{1,2}):(\d{2})(?::(\d{2}))?[\])]")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class PostContext:
    """Everything the rules of every audience country need to know about one post.

    A plain class (see signals.LabelHit); the answers several countries ask for are worked out once,
    on first use."""
    __slots__ = ("post", "signals", "connection", "language", "platform", "brand", "fold", "_known_kinds",
                 "_brand_in_post", "_brand_checked", "_name_near_label")

    def __init__(self, post: Post, signals: PostSignals, connection: Connection, language: Language,
                 platform: PlatformPolicy | None, brand: str) -> None:
        self.post = post
        self.signals = signals
        self.connection = connection
        self.language = language
        self.platform = platform
        self.brand = brand               # how fixes name the brand: @handle, name, or [brand]
        self.fold: Any = platform.spec.fold if platform else None
        self._known_kinds: dict[int, frozenset[str]] | None = None
        self._brand_in_post: bool | None = None
        self._brand_checked = False
        self._name_near_label: bool | None = None

    @property
    def known_kinds(self) -> dict[int, frozenset[str]]:
        """Connection kinds known for the post (contract, strong cues), as seen by each label: the
        kinds declared by the label itself do not count against it. Key: id(label hit); 0: no label."""
        found = self._known_kinds
        if found is None:
            found = self._known_kinds = self._find_known_kinds()
        return found

    def _find_known_kinds(self) -> dict[int, frozenset[str]]:
        base = {r for r in self.post.relationship if r in RELATIONSHIP_KINDS}
        declared: list[tuple[str, int, str]] = []
        for e in self.connection.detected:
            if e.strength != "strong" or e.kind not in RELATIONSHIP_KINDS:
                continue
            if e.source == DECLARED:
                declared.append((e.span.field, e.span.start, e.kind))
            else:
                base.add(e.kind)
        out = {0: frozenset(base)}
        for hit in self.signals.labels:
            own = (hit.field, hit.start)
            out[id(hit)] = frozenset(base | {k for f, st, k in declared if (f, st) != own
                                             and self._declaring(f, st)})
        return out

    def _declaring(self, field: str, start: int) -> bool:
        return any(h.field == field and h.start == start and h.label_class in DECLARING_CLASSES
                   for h in self.signals.labels)

    @property
    def brand_in_post(self) -> bool | None:
        """Is the known brand (`brand` field) named anywhere in the post, as @handle or plain text?
        None when the brand is not known."""
        if not self._brand_checked:
            self._brand_in_post = self._find_brand()
            self._brand_checked = True
        return self._brand_in_post

    def _find_brand(self) -> bool | None:
        brand = (self.post.brand or "").strip().lstrip("@#")
        if not brand:
            return None
        texts = [self.post.text, *self.post.frames, self.post.transcript or ""]
        hay = fold_name(" ".join(t for t in texts if t))
        whole = fold_name(brand)
        if whole and whole in hay:
            return True
        # "@hudlab_no" is named by "Hudlab", "@kaffebrenneriet_fjell" by "Kaffebrenneriet"
        # (the longest part, and only a distinctive one: "@krem_arktyka" is not named by "krem")
        longest = brand_parts(brand)
        return bool(longest) and longest in hay

    @property
    def name_near_label(self) -> bool:
        """Without a known brand: does a capitalised name follow a label in its sentence
        ("Reklame: ... reklamelinks til Matas og Nicehair")?"""
        found = self._name_near_label
        if found is None:
            found = self._name_near_label = self._find_name_near_label()
        return found

    def _find_name_near_label(self) -> bool:
        for hit in self.signals.labels:
            text = _field_text(self.post, hit.field)
            if not text:
                continue
            tail = re.split(r"[.!?\n]", text[hit.end:hit.end + 120], maxsplit=1)[0]
            if NAME_AFTER_WORD_RE.search(tail):
                return True
        return False


class CountryOutcome:
    __slots__ = ("findings", "statuses", "fix_label")

    def __init__(self, findings: list[Finding], statuses: dict[int, str], fix_label: str | None) -> None:
        self.findings = findings
        self.statuses = statuses      # id(label hit) -> status for this country
        self.fix_label = fix_label


def _applies(rule, post: Post) -> bool:
    return (not rule.platforms or post.platform in rule.platforms) and \
        (not rule.formats or post.format in rule.formats)


def _finding(rule, country: CountryPolicy | None, references, values: dict[str, Any],
             evidence: list[Span] | tuple[Span, ...] = (), severity: str | None = None,
             fix_label: str | None = None) -> Finding:
    fields = values if type(values) is _Blank else _Blank(values)
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
# a capitalised word right after a lower-case word: a name inside a sentence, not a sentence start
NAME_AFTER_WORD_RE = re.compile(r"\b[a-zà-ÿ]+ ([A-ZÀ-Þ][\w&'-]+)")


def _field_text(post: Post, field: str) -> str:
    if field == "text":
        return post.text or ""
    if field == "transcript":
        return post.transcript or ""
    if field.startswith("frames["):
        i = int(field[7:-1])
        return post.frames[i] if i < len(post.frames) else ""
    return ""


def _cap(severity: str, at_most: str) -> str:
    return at_most if SEVERITY_RANK[severity] > SEVERITY_RANK[at_most] else severity


def before_fold(ctx: PostContext, hit: LabelHit) -> bool:
    fold = ctx.fold
    if fold is None or hit.field != "text":
        return True
    if hit.start >= fold.chars:
        return False
    if fold.lines is not None and ctx.post.text.count("\n", 0, hit.start) >= fold.lines:
        return False
    return True


TITLE_MAX = 100   # YouTube's title limit: a longer first line is a description without a title


def offset_from_start(ctx: PostContext, hit: LabelHit) -> int:
    text = ctx.post.text
    offset = hit.start - (len(text) - len(text.lstrip()))
    if offset > 0 and ctx.platform is not None and ctx.platform.spec.title_line \
            and ctx.post.format in VIDEO_FORMATS:
        # a video's title line is shown apart from its description: a label opening the
        # description stands at the start of it (regulations.md P3; s.9/s.11/s.20 "at the start")
        lead = len(text) - len(text.lstrip())
        title_end = text.find("\n", lead)
        line_end = title_end if title_end >= 0 else len(text)
        if hit.end <= line_end and line_end - lead <= TITLE_MAX:
            # a label in the title itself: the title is shown whole, above the description, so it is
            # seen first wherever it stands in it ("I tried X | Paid promotion with Y")
            return 0
        if 0 <= title_end < hit.start:
            rest = text[title_end:]
            description = title_end + len(rest) - len(rest.lstrip())
            if hit.start >= description:
                return min(offset, hit.start - description)
    return offset


LONG_LINE = 125   # Instagram's cut-off: a one-line caption longer than this is read in more than a glance


def at_end(text: str, hit: LabelHit, min_before: int) -> bool:
    """Does the label close the caption, below the text it labels ("... som alltid!\n\nReklam"): only
    tags, mentions, emoji and punctuation after it, at least `min_before` characters of text before it,
    and a line break between (a short one-line caption ending in "#reklam" is read at a glance; a long
    one is not)?"""
    before = text[:hit.start].lstrip()
    if len(before.rstrip()) < min_before or "\n" not in before and len(before) < LONG_LINE:
        return False
    rest = text[hit.end:]
    return not WORD_CHAR_RE.search(rest) or not WORD_CHAR_RE.search(TAGS_RE.sub("", rest))


def buried(ctx: PostContext, hit: LabelHit, mode: str, min_cluster: int) -> bool:
    """Is this hashtag label lost in a block of hashtags?"""
    if not hit.hashtag:
        return False
    if mode == "first_3":
        # IT Digital Chart: within the first three hashtags of the caption, wherever they stand
        return hashtag_index(ctx, hit) >= 3
    fs = ctx.signals.fields.get(hit.field)
    if fs is None:
        return False
    for first_char, _, run, trailing in fs.hashtag_clusters(min_cluster):
        if hit.start not in run:
            continue
        index = run.index(hit.start)
        if mode == "edges":
            return index not in (0, len(run) - 1)
        # strict: a trailing block is buried; a block that opens the post is fine if it comes first
        opens_post = first_char - (len(ctx.post.text) - len(ctx.post.text.lstrip())) <= 2
        return trailing and not opens_post or index > 0 and not opens_post
    return False


def placement_of(ctx: PostContext, hit: LabelHit) -> dict[str, Any]:
    return {"before_fold": before_fold(ctx, hit), "offset": offset_from_start(ctx, hit)
            if hit.field == "text" else None,
            "in_hashtag_block": buried(ctx, hit, "strict", 3)}


def _own_refs(hit: LabelHit, country: CountryPolicy) -> list[EntryRef] | tuple[EntryRef, ...]:
    """The label's vocabulary entries to judge it by: those of the audience's own languages, and of
    these the ones spelt exactly as written when the words are a label in two of them only because
    accents are optional ("#reclame" is Dutch; French writes "réclame")."""
    own = [r for r in hit.entries if r.language in country.languages] or hit.entries
    if len(own) > 1 and len({r.language for r in own}) > 1:
        written = lower(hit.evidence.span.text).lstrip("#")
        exact = [r for r in own if written in (lower(t) for t in r.entry.terms)]
        if exact and len(exact) < len(own) and any(not t.isascii() for r in own for t in r.entry.terms
                                                    if strip_accents(lower(t)) == written):
            return exact
    return own


def _would_count(ctx: PostContext, country: CountryPolicy, hit: LabelHit, lang: str, fits: bool) -> bool:
    """Would this label of the first comment be a label (accepted, weak or in another language) in the
    caption? As evaluate_country judges a caption label."""
    if hit.label_class == IN_COMMENTS:
        return True
    kinds = ctx.known_kinds[0] if fits else frozenset()
    own = _own_refs(hit, country)
    anywhere = country.spec.labels.any_post_language
    return any(country.label_status(r.entry_id, r.label_class, r.language,
                                    r.language if r.language in anywhere else lang, kinds) != "rejected"
               for r in own)


class CountryPlan:
    """What a country's rules say for one platform and format, looked up once per (country, platform,
    format) instead of once per rule kind and post: the rules of each kind that apply, and the
    country's stance on the platform's label alone."""
    __slots__ = ("by_kind", "stance", "fits", "anywhere", "marks")

    def __init__(self, country: CountryPolicy, platform: PlatformPolicy | None, post: Post):
        self.by_kind: dict[str, tuple[Any, ...]] = {
            kind: country.applicable(kind, post.platform, post.format) for kind in country.rules_by_kind}
        self.stance: str = platform.label_alone(country.code) if platform else "unknown"
        labels = country.spec.labels
        self.fits = bool(labels.by_connection)
        self.anywhere = labels.any_post_language
        self.marks = labels.marks

    def rules(self, kind: str) -> tuple[Any, ...]:
        return self.by_kind.get(kind, ())


def _plan(ctx: PostContext, country: CountryPolicy) -> CountryPlan:
    post = ctx.post
    key = ("plan", post.platform, post.format)
    plan = country.memo.get(key)
    if plan is None:
        plan = country.memo[key] = CountryPlan(country, ctx.platform, post)
    return plan


def evaluate_country(ctx: PostContext, country: CountryPolicy, accepted_examples: str) -> CountryOutcome:
    post, signals = ctx.post, ctx.signals
    lang = ctx.language.code
    plan = _plan(ctx, country)
    statuses: dict[int, str] = {}
    ad_hits: list[tuple[LabelHit, str]] = []
    special: list[LabelHit] = []
    fits = plan.fits
    in_comments: list[LabelHit] = []
    for hit in signals.labels:
        if hit.label_class in SPECIAL_LABEL_CLASSES:
            special.append(hit)
            marks = plan.marks
            mark = next((marks[r.entry_id] for r in hit.entries if r.entry_id in marks), None) if marks else None
            if mark is not None:
                # a special mark that also says "advertising" (NO's retouch mark contains «REKLAME»)
                statuses[id(hit)] = mark
                ad_hits.append((hit, mark))
            continue
        if hit.label_class == IN_COMMENTS:
            # "collab details in the first comment": whatever the label there says, it is not in the post
            in_comments.append(hit)
            statuses[id(hit)] = "rejected"
            continue
        best = "rejected"
        kinds = ctx.known_kinds[id(hit)] if fits else frozenset()
        # when the words are a label in the audience's own language, judge them as that
        own = _own_refs(hit, country)
        anywhere = plan.anywhere
        for r in own:
            # a language the label may be in whatever the post's language: judged as if it matched
            post_lang = r.language if r.language in anywhere else lang
            s = country.label_status(r.entry_id, r.label_class, r.language, post_lang, kinds)
            if RANK[s] > RANK[best]:
                best = s
        statuses[id(hit)] = best
        ad_hits.append((hit, best))
    comment = signals.comment_labels
    if comment:
        # a label only in the creator's first comment is behind a click: never a disclosure. Those the
        # country would take in the caption are reported as such; the others ("thanks @brand") are cues.
        comment = [h for h in comment if h.label_class not in SPECIAL_LABEL_CLASSES
                   and _would_count(ctx, country, h, lang, fits)]
        for hit in signals.comment_labels:
            if hit.label_class not in SPECIAL_LABEL_CLASSES:
                statuses[id(hit)] = "rejected"

    findings: list[Finding] = []
    strength = ctx.connection.strength
    rules = plan.rules
    cache: dict[str, Any] | None = None

    def values() -> dict[str, Any]:
        """Template fields, built only when a finding is written."""
        nonlocal cache
        if cache is None:
            cache = _template_values(ctx, country, lang, accepted_examples)
        return cache

    refs = country.references
    for rule in rules("special_label") if post.retouched or post.ai_generated else ():
        flag = post.retouched if rule.when == "retouched" else post.ai_generated
        if flag and (strength != "none" or not rule.commercial_only):
            placed = [h for h in special if h.label_class in rule.labels]
            if not placed:
                findings.append(_finding(rule, country, refs, values()))
            elif rule.throughout and post.transcript and all(h.field == "transcript" for h in placed):
                # the mark must stay for the whole video: shown in a timed note for two seconds is not
                brief = _shown_briefly(post.transcript, placed, 0.5)
                if brief:
                    f = _finding(rule, country, refs, values(), [placed[0].evidence.span])
                    findings.append(Finding(rule_id=f.rule_id, country=f.country, severity=f.severity,
                                            message=f"{f.message} It is on screen for only {brief}.",
                                            fix=f.fix, evidence=f.evidence, references=f.references,
                                            confidence=f.confidence))

    if strength == "none":
        return CountryOutcome(findings, statuses, None)
    special_count = len(findings)
    restricted = _restricted(ctx, country, rules, refs, values)
    findings.extend(restricted)

    accepted = [h for h, s in ad_hits if s == "accepted"]
    stance = plan.stance
    platform_ok = post.platform_label is True and stance == "accepted"
    fix_label: str | None = None

    if post.platform_label is False and strength == "strong" and ctx.platform and ctx.platform.spec.native_label:
        for rule in rules("platform_tool"):
            findings.append(_finding(rule, country, refs, values()))
    if accepted:
        findings.extend(_placement(ctx, country, rules, refs, values, accepted))
        findings.extend(_name_brand(ctx, country, rules, refs, values, accepted))
        findings.extend(_stories(ctx, country, rules, refs, values, accepted, platform_ok))
        findings.extend(_video(ctx, country, rules, refs, values, accepted, platform_ok))
        return CountryOutcome(_weak_capped(findings, strength, special_count), statuses, None)
    if platform_ok:
        findings.extend(_video(ctx, country, rules, refs, values, accepted, platform_ok))
        # the platform's label is shown on the video (and through a live stream), but it is not
        # spoken: where the country wants the disclosure said in the video or repeated in a live stream
        # (IN "audio and video", NL "spoken regularly", regulations.md s.16, s.8, s.0 item 3), the
        # transcript is still checked - a review at most, since the visual part is there
        if _speaks(post):
            spoken = _video(ctx, country, rules, refs, values, accepted, False, video_only=True)
            findings.extend(_cap_finding(f, "warning") for f in spoken)
        return CountryOutcome(_weak_capped(findings, strength, special_count), statuses, None)

    if comment and not ad_hits:
        # labelled only in the first comment (a caption label, if any, is judged as it stands)
        in_comments = in_comments + list(comment)
    if in_comments and not any(s in ("weak", "wrong_language") for _, s in ad_hits):
        return CountryOutcome(_weak_capped(findings[:special_count] + restricted
                                           + _in_comments(ctx, country, rules, refs, values, in_comments),
                                           strength, special_count), statuses, values()["label"])

    by_status: dict[str, list[LabelHit]] = {}
    for h, s in ad_hits:
        by_status.setdefault(s, []).append(h)
    found = lambda hs: ", ".join(f"'{h.evidence.span.text}'" for h in hs)  # noqa: E731
    connection_spans = [e.span for e in ctx.connection.detected if e.strength == "strong"][:3] or \
        [e.span for e in ctx.connection.detected if e.strength == "weak" and e.kind not in TOPIC_KINDS][:3]
    v = values()
    fix_label = label = v["label"]
    reported: list[LabelHit] = []
    if post.platform_label is True:
        for rule in rules("platform_label"):
            severity = rule.severity if stance == "insufficient" else rule.unknown_severity
            findings.append(_finding(rule, country, refs, v, connection_spans, severity, label))
        if _speaks(post):
            # the platform's label is on the video, not said in it: the video and live rules still
            # judge what is spoken (any label counts as said); while the platform label may count
            # (stance not "insufficient"), a review at most
            spoken = _video(ctx, country, rules, refs, values, [h for h, _ in ad_hits], False, video_only=True)
            findings.extend(spoken if stance == "insufficient" else (_cap_finding(f, "warning") for f in spoken))
    elif by_status.get("weak"):
        hs = by_status["weak"]
        reported = hs
        for rule in rules("forbid_label"):
            if rule.status == "weak":
                findings.append(_finding(rule, country, refs, {**v, "found": found(hs)},
                                         [h.evidence.span for h in hs], rule.severity, label))
        # a weak label that is also hidden (after the cut-off, buried in hashtags) is worse than either
        findings.extend(_placement(ctx, country, rules, refs, values, hs))
    elif by_status.get("wrong_language"):
        hs = by_status["wrong_language"]
        reported = hs
        for rule in rules("label_language"):
            findings.append(_finding(rule, country, refs, {**v, "found": found(hs)},
                                     [h.evidence.span for h in hs], rule.severity, label))
        findings.extend(_placement(ctx, country, rules, refs, values, hs))
    elif by_status.get("rejected"):
        hs = by_status["rejected"]
        reported = hs
        for rule in rules("forbid_label"):
            if rule.status == "rejected":
                findings.append(_finding(rule, country, refs, {**v, "found": found(hs)},
                                         [h.evidence.span for h in hs], rule.severity, label))
    else:
        for rule in rules("require_label"):
            severity = rule.severity if strength == "strong" else rule.weak_severity
            findings.append(_finding(rule, country, refs, v, connection_spans, severity, label))
    if reported:
        # a label in the caption does not excuse the video: it must be in the video (and, live,
        # repeated). The label's wording is judged above; here only where it stands.
        findings.extend(_video(ctx, country, rules, refs, values, reported, False, video_only=True))
    # with only weak cues (a "thanks @someone" that may not be a brand), nothing is more than a review
    return CountryOutcome(_weak_capped(findings, strength, special_count), statuses, fix_label)


def _template_values(ctx: PostContext, country: CountryPolicy, lang: str, accepted_examples: str) -> dict[str, Any]:
    """The template fields of a country's findings for one post.

    Speed: all but the brand are the same for every post with the same language and platform, so
    they are kept in the country's memo (a few entries: languages x platforms); a post only adds its
    brand and, when the suggested label names the brand, formats it."""
    plat = ctx.platform
    fold = ctx.fold
    key = ("values", lang, accepted_examples, ctx.post.platform if plat is None
           else (plat.spec.name, plat.spec.native_label, fold.chars if fold else ""))
    base = country.memo.get(key)
    if base is None:
        template = country.suggested_label(lang)
        rest = {
            "country": country.name,
            "platform": plat.name if plat else (ctx.post.platform or "the platform"),
            "native_label": (plat.spec.native_label or "paid-partnership label")
            if plat else "paid-partnership label",
            "fold": fold.chars if fold else "", "accepted": accepted_examples,
            "languages": ", ".join(country.languages), "language": lang,
        }
        # a label without braces formats to itself whatever the brand
        plain = "{" not in template and "}" not in template
        base = country.memo[key] = (template, plain, rest)
    template, plain, rest = base
    brand = ctx.brand
    label = template if plain else template.format_map(_Blank(brand=brand))
    return _Blank({"label": label, "brand": brand, **rest})


IN_COMMENTS = "in_comments"
COMMENTS_MESSAGE = ("The post says its disclosure is in a comment ({found}): a label in the comments is behind a "
                    "click and not seen with the post. Put '{label}' at the start of the caption itself.")


FIRST_COMMENT_MESSAGE = ("The label {found} is only in the first comment: a comment is behind a click and not "
                         "seen with the post, so it is no disclosure.")
FIRST_COMMENT_FIX = "Move the label into the caption: put '{label}' at the start of the caption itself."
# how a disclosure only in the first comment is placed: not with the post at all
COMMENT_PLACEMENT = {"before_fold": False, "offset": None, "in_hashtag_block": False, "in_comments": True}


def _in_comments(ctx, country, rules, refs, values_fn, hits) -> list[Finding]:
    """The label is only in a comment: a label the audience must click to see. Reported by the country's
    before_fold placement rule (behind the "more" cut-off is the nearest case), else as a missing label.

    `hits` are captions saying the disclosure is in a comment ("details in the first comment") and labels
    found in the creator's first comment itself (`first_comment`); for these, the message names the
    label there and the fix asks to move it into the caption."""
    values = values_fn()
    in_comment = [h for h in hits if h.field == FIRST_COMMENT]
    found = ", ".join(f"'{h.evidence.span.text}'" for h in (in_comment or hits))
    fields = _Blank({**values, "found": found})
    spans = [h.evidence.span for h in hits]
    message = (FIRST_COMMENT_MESSAGE if in_comment else COMMENTS_MESSAGE).format_map(fields)
    fix = FIRST_COMMENT_FIX.format_map(fields) if in_comment else None
    out = []
    for rule in rules("placement"):
        if rule.position != "before_fold":
            continue
        f = _finding(rule, country, refs, values, spans, fix_label=values["label"])
        out.append(Finding(rule_id=f.rule_id, country=f.country, severity=f.severity,
                           message=message, fix=fix or f.fix, evidence=f.evidence,
                           references=f.references, confidence=f.confidence, fix_label=f.fix_label))
    if not out:
        for rule in rules("require_label"):
            severity = rule.severity if ctx.connection.strength == "strong" else rule.weak_severity
            f = _finding(rule, country, refs, values, spans, severity, values["label"])
            if in_comment:
                assert fix is not None
                f = Finding(rule_id=f.rule_id, country=f.country, severity=f.severity,
                            message=f"{f.message} {message}", fix=fix, evidence=f.evidence,
                            references=f.references, confidence=f.confidence, fix_label=f.fix_label)
            out.append(f)
    return out


# bracketed stage directions of a transcript: "[music]", "[on-screen: ...]", "[0:02]"
STAGE_RE = re.compile(r"\[[^\]]*\]|\([^)]*\)")


def _speaks(post: Post) -> bool:
    """Does the video's transcript have speech, not only stage directions ("[music]")?"""
    transcript = post.transcript
    return bool(transcript) and post.format in VIDEO_FORMATS and \
        WORDS_RE.search(STAGE_RE.sub(" ", transcript)) is not None


WORDS_RE = re.compile(r"[^\W\d_]{2,}")


def _restricted(ctx, country, rules, refs, values_fn) -> list[Finding]:
    """Commercial content promoting a product the country bans influencers from promoting."""
    out = []
    for rule in rules("restricted_product"):
        hits = [e for e in ctx.connection.detected if e.kind in TOPIC_KINDS and e.entry in rule.topics]
        if hits:
            out.append(_finding(rule, country, refs, {**values_fn(), "found": ", ".join(
                f"'{e.span.text}'" for e in hits[:3])}, [e.span for e in hits[:3]]))
    return out


def _cap_finding(f: Finding, at_most: str) -> Finding:
    severity = _cap(f.severity, at_most)
    if severity == f.severity:
        return f
    return Finding(rule_id=f.rule_id, country=f.country, severity=severity, message=f.message, fix=f.fix,
                   evidence=f.evidence, references=f.references, confidence=f.confidence, fix_label=f.fix_label)


def _weak_capped(findings: list[Finding], strength: str, start: int) -> list[Finding]:
    """Only weak cues of a connection (a brand tag, "link in bio"): findings ask for review at most."""
    if strength != "weak":
        return findings
    out = findings[:start]
    for f in findings[start:]:
        out.append(f if f.severity != "error" else Finding(
            rule_id=f.rule_id, country=f.country, severity="warning", message=f.message, fix=f.fix,
            evidence=f.evidence, references=f.references, confidence=f.confidence, fix_label=f.fix_label))
    return out


def _name_brand(ctx, country, rules, refs, values_fn, accepted) -> list[Finding]:
    name_rules = rules("name_brand")
    if not name_rules:
        return []
    known = ctx.brand_in_post
    if known is True:
        return []
    if known is None and (ctx.signals.brand_named or ctx.name_near_label):
        return []
    if any(e.kind == "own_brand" and e.strength == "strong" for e in ctx.connection.detected):
        # "Reklame for min egen nettbutikk": the post says whom it advertises for - the author's own business
        return []
    out = []
    for rule in name_rules:
        severity = rule.severity if known is False else rule.unsure_severity
        out.append(_finding(rule, country, refs, values_fn(), [accepted[0].evidence.span], severity))
    return out


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
                on_image = [h for h in accepted if h.field.startswith("frames[")]
                if any(h.label_class in SPECIAL_LABEL_CLASSES for h in on_image):
                    continue   # an official mark (NO retouch mark) is where the law puts it: on the image
                if on_image and post.format in IMAGE_FORMATS:
                    # an overlay on the image is where regulators want it for photos; its size and
                    # legibility are unknown, so review at most
                    msg = rule.image_message or IMAGE_MESSAGE
                    fields = _Blank({**values, "frames": ", ".join(
                        str(int(h.field[7:-1]) + 1) for h in on_image[:3])})
                    f = _finding(rule, country, refs, values, [on_image[0].evidence.span],
                                 _cap(rule.severity, rule.image_severity), values["label"])
                    out.append(Finding(rule_id=f.rule_id, country=f.country, severity=f.severity,
                                       message=msg.format_map(fields), fix=f.fix, evidence=f.evidence,
                                       references=f.references, confidence=f.confidence,
                                       fix_label=f.fix_label))
                    continue
                spans = [h.evidence.span for h in accepted[:1]]
                out.append(_finding(rule, country, refs, values, spans, fix_label=values["label"]))
            continue
        if rule.position == "before_fold":
            if not any(before_fold(ctx, h) for h in in_caption):
                out.append(_finding(rule, country, refs, values, [in_caption[0].evidence.span],
                                    fix_label=values["label"]))
        elif rule.position == "start":
            if not any(offset_from_start(ctx, h) <= rule.within for h in in_caption) \
                    and not (rule.or_first_hashtags and any(
                        h.hashtag and hashtag_index(ctx, h) < rule.or_first_hashtags for h in in_caption)) \
                    and any(before_fold(ctx, h) for h in in_caption):
                out.append(_finding(rule, country, refs, values, [in_caption[0].evidence.span],
                                    fix_label=values["label"]))
        elif rule.position == "end":
            if all(at_end(ctx.post.text, h, rule.within) for h in in_caption):
                out.append(_finding(rule, country, refs, values, [in_caption[0].evidence.span],
                                    fix_label=values["label"]))
        elif rule.position == "hashtags":
            if all(buried(ctx, h, rule.hashtags, rule.min_cluster) for h in in_caption):
                out.append(_finding(rule, country, refs, values, [in_caption[0].evidence.span],
                                    fix_label=values["label"]))
    return out


IMAGE_MESSAGE = ("The only label is on the image (frame {frames}), not in the caption. An on-image label "
                 "works only if it is large, legible and seen at once; check it, or add '{label}' at the "
                 "start of the caption.")


def hashtag_index(ctx: PostContext, hit: LabelHit) -> int:
    """How many hashtags come before this one in its field."""
    text = _field_text(ctx.post, hit.field)
    return len(HASHTAG_RE.findall(text, 0, hit.start))


HASHTAG_RE = re.compile(r"#(?<![\w#]#)\w+")


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
            severity = rule.later_severity if rule.later_severity and missing[0] > 0 else None
            out.append(_finding(rule, country, refs, {**values, "frames": frames}, spans, severity,
                                fix_label=values["label"]))
    return out


def timestamps(transcript: str) -> list[tuple[int, float]]:
    """(offset, minutes) of each timestamp in a transcript. Two-part stamps are minutes:seconds when the
    transcript also has hour:minute:second stamps or one of them cannot be a clock's hour ("[45:10]"),
    else hours:minutes (a live stream's clock)."""
    found = list(TIMESTAMP_RE.finditer(transcript))
    if len(found) < 2:
        return []
    has_hours = any(m.group(3) is not None or int(m.group(1)) >= 24 for m in found)
    out = []
    minutes: float | int   # an int when the stamps are hours:minutes
    for m in found:
        a, b, c = int(m.group(1)), int(m.group(2)), m.group(3)
        if c is not None:
            minutes = a * 60 + b + int(c) / 60
        elif has_hours:
            minutes = a + b / 60
        else:
            minutes = a * 60 + b
        out.append((m.start(), minutes))
    # a clock runs forward; anything else is not a timeline
    if any(y[1] < x[1] for x, y in zip(out, out[1:])):
        return []
    return out


def minute_at(stamps: list[tuple[int, float]], offset: int) -> float:
    """The time of a transcript offset: that of the last timestamp at or before it."""
    t = stamps[0][1]
    for at, m in stamps:
        if at > offset:
            break
        t = m
    return t


def _only_late(transcript: str, first: LabelHit, min_chars: int) -> bool:
    """Is the first spoken label in the last third of the video ("thanks to X for sponsoring" over
    the end credits)? Measured on the transcript's timestamps when it has them ("[17:40] ... thanks to
    X for sponsoring" in an excerpt of an 18-minute video), else on its length: it runs in time order."""
    stamps = timestamps(transcript)
    if stamps and stamps[-1][1] > stamps[0][1]:
        start = stamps[0][1]
        return minute_at(stamps, first.start) - start > (stamps[-1][1] - start) * 2 / 3
    return len(transcript) >= min_chars and first.start > len(transcript) * 2 / 3


# a timed note of a video transcript: "[00:00-00:03 incrustation : Publicité]", "[1:02:00–1:05:00 ...]"
TIMED_NOTE_RE = re.compile(r"\[(\d{1,2}(?::\d{2}){1,2})\s*[-–]\s*(\d{1,2}(?::\d{2}){1,2})\b[^\]]*\]")


def _seconds(stamp: str) -> int:
    """A video's position: "mm:ss" or "h:mm:ss"."""
    total = 0
    for part in stamp.split(":"):
        total = total * 60 + int(part)
    return total


def _shown_briefly(transcript: str, spoken: list[LabelHit], min_share: float) -> str | None:
    """When every label of the transcript is inside timed on-screen notes that together cover less
    than `min_share` of the video's timed length: how long it is shown ("3 s of 9 min")."""
    notes = [(m.start(), m.end(), _seconds(m.group(1)), _seconds(m.group(2)))
             for m in TIMED_NOTE_RE.finditer(transcript)]
    if not notes:
        return None
    shown = 0
    for hit in spoken:
        note = next((n for n in notes if n[0] <= hit.start < n[1]), None)
        if note is None:
            return None   # said or shown outside a timed note: its duration is unknown
        shown += max(0, note[3] - note[2])
    length = max(end for _, _, _, end in notes)
    if length < 30 or shown >= length * min_share:
        return None
    minutes, seconds = divmod(length, 60)
    total = f"{minutes} min" if minutes else f"{seconds} s"
    return f"{shown} s of {total}"


def _live_gap(ctx: PostContext, rule, spoken: list[LabelHit]) -> tuple[str, str] | None:
    """(gap description, severity) when the stretch without a spoken label is too long."""
    transcript = ctx.post.transcript
    stamps = timestamps(transcript)
    if stamps:
        points = [stamps[0][1]] + [minute_at(stamps, h.start) for h in spoken] + [stamps[-1][1]]
        gap = max(b - a for a, b in zip(points, points[1:]))
        limit = rule.max_minutes
        if len(spoken) == 1 and rule.max_minutes_once is not None:
            limit = min(limit, rule.max_minutes_once)
        if gap > limit:
            hours, minutes = divmod(int(round(gap)), 60)
            text = f"{hours} h {minutes:02d} min" if hours else f"{minutes} minutes"
            return f"{text} (per its timestamps)", rule.severity
        return None
    length = len(transcript)
    offsets = [0] + [h.start for h in spoken] + [length]
    gap_chars = max(b - a for a, b in zip(offsets, offsets[1:]))
    if gap_chars > rule.max_gap:
        return f"{gap_chars} characters", rule.untimed_severity or rule.severity
    return None


def _video(ctx, country, rules, refs, values_fn, accepted, platform_ok, video_only=False) -> list[Finding]:
    post = ctx.post
    # an accepted platform label is shown on the video itself (and throughout a live stream)
    if post.format not in VIDEO_FORMATS or platform_ok:
        return []
    out = []
    if not video_only and post.text and not any(h.field == "text" for h in accepted):
        for rule in rules("in_video"):
            if rule.where == "description":
                out.append(_finding(rule, country, refs, values_fn(), fix_label=values_fn()["label"]))
    if not post.transcript:
        return out
    values = values_fn()
    spoken = sorted((h for h in accepted if h.field == "transcript"), key=lambda h: h.start)
    if not spoken:
        # a transcript of stage directions only ("[before/after shots, music]") says nothing of the
        # on-screen text: the label may be on screen, so a review at most
        speaks = _speaks(post)
        for rule in rules("in_video"):
            if rule.where == "video":
                out.append(_finding(rule, country, refs, values, fix_label=values["label"],
                                    severity=None if speaks else _cap(rule.severity, "warning")))
    elif post.format != "live":   # a live stream's repeats are the live rules' business
        for rule in rules("in_video"):
            if rule.where == "opening" and _only_late(post.transcript, spoken[0], rule.min_chars):
                out.append(_finding(rule, country, refs, values, [spoken[0].evidence.span],
                                    fix_label=values["label"]))
            elif rule.where == "throughout":
                brief = _shown_briefly(post.transcript, spoken, rule.min_share)
                if brief:
                    out.append(_finding(rule, country, refs, {**values, "shown": brief},
                                        [spoken[0].evidence.span], fix_label=values["label"]))
    if post.format == "live":
        titled = ctx.platform is not None and ctx.platform.spec.live_title_shown \
            and any(h.field == "text" and before_fold(ctx, h) for h in accepted)
        for rule in rules("live"):
            if titled and rule.title_counts:
                continue
            gap = _live_gap(ctx, rule, spoken)
            if gap:
                text, severity = gap
                if post.platform_label is True:
                    # the platform's branded-content label is on the stream throughout (P7 Twitch, P3
                    # YouTube): whether that repeats the disclosure well enough is the reviewer's call
                    severity = _cap(severity, "warning")
                out.append(_finding(rule, country, refs, {**values, "gap": text},
                                    [h.evidence.span for h in spoken[:3]], severity, values["label"]))
    return out


def evaluate_platform(ctx: PostContext) -> list[Finding]:
    platform = ctx.platform
    if platform is None:
        return []
    post = ctx.post
    key = ("rules", post.platform, post.format)
    rules = platform.memo.get(key)
    if rules is None:
        rules = platform.memo[key] = tuple(rule for rule in platform.spec.rules if _applies(rule, post))
    if not rules:
        return []
    values = {"platform": platform.name, "native_label": platform.spec.native_label or "",
              "brand": ctx.brand}
    out = []
    for rule in rules:
        if rule.kind == "platform_tool":
            if ctx.connection.strength == "strong" and post.platform_label is False:
                out.append(_finding(rule, None, platform.references, values))
        elif rule.kind == "special_label":
            flag = post.retouched if rule.when == "retouched" else post.ai_generated
            if flag and not any(h.label_class in rule.labels for h in ctx.signals.labels):
                out.append(_finding(rule, None, platform.references, values))
    return out
