"""The shape of the YAML files under rules/, as pydantic models.

Every file kind has one top-level model here. The loader validates each file against its model and
turns pydantic's errors into `file:line` messages. The models are frozen: once loaded, rules are
read-only data shared by every audit.
"""
from __future__ import annotations

import re
import string
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from auditor.types import FORMATS, PLATFORMS, RELATIONSHIPS

# --- closed vocabularies -------------------------------------------------------------------------

# What a disclosure label says. Countries decide per class whether it is accepted, weak or rejected.
LABEL_CLASSES = (
    "ad",                 # ad, #ad, advert, reklame, Werbung, Anzeige, publicité, publicidad ...
    "paid_partnership",   # paid partnership, bezahlte Partnerschaft, betaald partnerschap ...
    "sponsored",          # sponsored (by), gesponsert, sponset, sponsorisé, patrocinado ...
    "sp_abbrev",          # #sp, #spon, spons, sponcon, #sponso
    "gifted",             # gifted, #gifted, free gift from, gekregen van, regalo de ...
    "invited",            # #invitedguest, invited by, PR invite, invitato da
    "loan",               # on loan from
    "affiliate",          # #affiliate, #aff, affiliate link(s)
    "collaboration",      # in collaboration with, samarbete, Zusammenarbeit, en colaboración con
    "collab_abbrev",      # #collab, #colab
    "partner",            # partner, #partner, partnership
    "brand_partner",      # #NikePartner, "Nike partner"
    "ambassador",         # ambassador, ambassadør, Botschafter
    "brand_ambassador",   # #NikeAmbassador
    "thanks",             # thanks @brand, thank you @brand
    "pr",                 # PR, #PR, PR package, PR trip
    "promotion",          # promotion, promo, paid promotion is paid_partnership
    "promoted_by",        # promoted by, promosso da
    "presented_by",       # brought to you by, powered by, präsentiert von, mogelijk gemaakt door
    "product_placement",  # produktplassering, Produktplatzierung, product placement
    "employee",           # #employee, "I work at @brand"
    "own_brand",          # #ownbrand, "my own brand @x"
    "family_statement",   # "my sister's brand @x", "our family business": a family tie, said plainly
    "gift_statement",     # a plain sentence: "@brand sent me this for free", "I got this free from @brand"
    "affiliate_statement",  # "I earn a commission if you buy through my links"
    "information",        # "Información:", an indication the AEA/AUTOCONTROL code discourages (ES)
    "in_comments",        # "collab details in the first comment": the label is only in a comment, not
                          # in the post (the engine judges it as a label behind a click)
    # special labels: not advertising labels, checked by special_label rules only
    "retouched_images",   # « Images retouchées »
    "virtual_images",     # « Images virtuelles »
    "retouch_mark",       # Norway's standardised mark for retouched advertising
    "ai_generated",       # "AI-generated", "KI-generiert", "#aigenerated"
)
SPECIAL_LABEL_CLASSES = frozenset({"retouched_images", "virtual_images", "retouch_mark", "ai_generated"})

# What a material-connection cue says. Relationship kinds come from contracts; the rest are
# cues only found in text.
CONNECTION_KINDS = tuple(r for r in RELATIONSHIPS if r != "none") + (
    "thanks", "link_in_bio", "brand_mention", "tracking_link", "call_to_action", "endorsement",
    "not_sponsored", "restricted_product",
)
# what a post promotes, not a sign of a deal: "restricted_product" (an aesthetic injection, a nicotine
# product) says nothing about a connection; `restricted_product` rules read it (FR: banned for influencers)
TOPIC_KINDS = frozenset({"restricted_product"})
# cues that only count next to a named brand: "holy grail!" says nothing without an @handle
NEEDS_BRAND_KINDS = frozenset({"endorsement"})
LABEL_STATUSES = ("accepted", "weak", "rejected")
SEVERITY = Literal["error", "warning", "info"]
CONFIDENCE = Literal["high", "medium", "low"]

TEMPLATE_FIELDS = frozenset({
    "found", "label", "brand", "country", "fold", "platform", "native_label", "frames",
    "accepted", "language", "languages", "gap", "shown",
})


def _check_template(value: str) -> str:
    for _, name, _, _ in string.Formatter().parse(value):
        if name is not None and name not in TEMPLATE_FIELDS:
            allowed = ", ".join(sorted(TEMPLATE_FIELDS))
            raise ValueError(f"unknown placeholder {{{name}}}; allowed: {allowed}")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    title: str = Field(min_length=3)
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://\S+$", v):
            raise ValueError("must be an http(s) URL")
        return v


# --- vocabularies (rules/vocab/<lang>.yaml) -------------------------------------------------------

PATTERN_HELP = (
    "a pattern is space-separated tokens; a token is a word (matched lower-case), a|b|c "
    "alternatives, (word) optional, or one of {mention} {venue} {hashtag} {brand} {code} {num} {url} {any}"
)


class LabelEntry(Strict):
    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    label_class: str = Field(alias="class")
    terms: tuple[str, ...] = Field(min_length=1)
    # any: counts wherever it stands; label: only when it stands like a label (hashtag, bracketed,
    # at a line start followed by ':' '|' '-' or the line end) - for short words such as "ad"
    context: Literal["any", "label"] = "any"
    hashtags: bool = True           # also match "#term" (spaces removed)
    hashtag_suffix: bool = False    # terms end a longer hashtag: "partner" matches "#NikePartner"
    # required: only counts with a brand after it ("partnered with @x"); before: only with the brand
    # right before it ("@x Partner", "Verdant Greens Partner")
    brand: Literal["optional", "required", "before"] = "optional"
    implies: Literal["strong", "weak"] = "strong"         # connection strength the label reveals
    source: str | None = None
    note: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("label_class")
    @classmethod
    def _cls(cls, v: str) -> str:
        if v not in LABEL_CLASSES:
            raise ValueError(f"unknown label class {v!r}; known: {', '.join(LABEL_CLASSES)}")
        return v

    @field_validator("terms")
    @classmethod
    def _expand(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for term in v for t in expand_term(term)))


MAX_TERM_FORMS = 5000


def expand_term(term: str) -> list[str]:
    """A label term written with alternatives, as connection patterns are: `a|b` one of the words,
    `(word)` optional. "my sister's|mum's (new) café|bakery" is eight phrases."""
    forms = [""]
    for token in term.split(" "):
        if token.startswith("(") and token.endswith(")") and len(token) > 2:
            choices = [""] + token[1:-1].split("|")
        else:
            choices = token.split("|") if "|" in token else [token]
        forms = [f"{f} {c}".strip() if c else f for f in forms for c in choices]
        if len(forms) > MAX_TERM_FORMS:
            raise ValueError(f"term {term!r} expands to more than {MAX_TERM_FORMS} phrases")
    return [f for f in forms if f]


class ConnectionEntry(Strict):
    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    kind: str
    strength: Literal["strong", "weak", "negative"]
    patterns: tuple[str, ...] = Field(min_length=1)
    source: str | None = None
    note: str | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in CONNECTION_KINDS:
            raise ValueError(f"unknown connection kind {v!r}; known: {', '.join(CONNECTION_KINDS)}")
        return v


class VocabularyFile(Strict):
    language: str = Field(pattern=r"^[a-z]{2,3}$")
    name: str
    spacy: str = Field(pattern=r"^[a-z]{2}$", description="spaCy blank() language code")
    negations: tuple[str, ...] = ()          # words that turn "sponsored" into "not sponsored"
    # articles that make a label word a noun in a sentence ("saw an ad on TV", "en reklame på TV");
    # such a word counts as a label only when a brand follows ("an ad for @brand")
    articles: tuple[str, ...] = ()
    code_keywords: tuple[str, ...] = ()      # words that introduce a discount code: code, kode ...
    labels: tuple[LabelEntry, ...] = ()
    connection: tuple[ConnectionEntry, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> "VocabularyFile":
        seen: set[str] = set()
        for entry in (*self.labels, *self.connection):
            if entry.id in seen:
                raise ValueError(f"duplicate entry id {entry.id!r}")
            seen.add(entry.id)
        return self


# --- links (rules/links.yaml) --------------------------------------------------------------------

class LinkPattern(Strict):
    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    name: str
    kind: Literal["affiliate", "tracking_link", "discount_code"] = "affiliate"
    strength: Literal["strong", "weak"] = "strong"
    hosts: tuple[str, ...] = Field(min_length=1)   # "amzn.to", "amazon.*", "*.linksynergy.com"
    params: tuple[str, ...] = ()     # any of these query parameters must be present
    paths: tuple[str, ...] = ()      # or the path must start with one of these
    source: str

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for host in v:
            if not re.match(r"^(\*\.)?[a-z0-9\-]+(\.[a-z0-9\-]+)*(\.\*)?$", host):
                raise ValueError(f"bad host pattern {host!r}: use a.b.c, *.b.c or a.*")
        return v


class TrackingRule(Strict):
    params: tuple[str, ...]                      # utm_source, utm_medium ...
    affiliate_values: dict[str, tuple[str, ...]] = {}  # utm_medium: [affiliate, influencer]
    # parameters only affiliate software sets, on any shop's host: sca_ref (UpPromote), rfsn (Refersion)
    affiliate_params: dict[str, str] = {}        # parameter -> the software's name
    # parameters that carry a referrer: evidence only on the brand's own site (brand.com/?ref=jonte)
    referral_params: tuple[str, ...] = ()


class LinksFile(Strict):
    networks: tuple[LinkPattern, ...]
    tracking: TrackingRule
    shorteners: tuple[str, ...] = ()   # hosts that hide the destination (reported, not judged)


# --- rules (in country and platform files) -------------------------------------------------------

class RuleBase(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    severity: SEVERITY
    message: str
    fix: str
    references: tuple[Union[str, Source], ...] = Field(min_length=1)
    confidence: CONFIDENCE = "high"
    platforms: tuple[str, ...] = ()   # only for these platforms (empty: all)
    formats: tuple[str, ...] = ()     # only for these formats (empty: all)

    _tpl_message = field_validator("message")(classmethod(lambda cls, v: _check_template(v)))
    _tpl_fix = field_validator("fix")(classmethod(lambda cls, v: _check_template(v)))

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for p in v:
            if p not in PLATFORMS:
                raise ValueError(f"unknown platform {p!r}; known: {', '.join(PLATFORMS)}")
        return v

    @field_validator("formats")
    @classmethod
    def _formats(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for f in v:
            if f not in FORMATS:
                raise ValueError(f"unknown format {f!r}; known: {', '.join(FORMATS)}")
        return v


class RequireLabel(RuleBase):
    """A post with a material connection must carry an accepted label."""
    kind: Literal["require_label"]
    weak_severity: SEVERITY = "warning"   # when the only connection cues are weak ones


class ForbidLabel(RuleBase):
    """The post's only labels are ones this country rejects (or finds weak)."""
    kind: Literal["forbid_label"]
    status: Literal["rejected", "weak"]


class LabelLanguage(RuleBase):
    """The post's only labels are in a language the audience is not expected to understand."""
    kind: Literal["label_language"]


class Placement(RuleBase):
    """An accepted label exists but stands where the audience can miss it."""
    kind: Literal["placement"]
    position: Literal["before_fold", "start", "hashtags", "end"]
    within: int = Field(default=40, ge=1)          # start: the label must begin within N chars
    # end: every label closes the caption (nothing but tags, emoji and punctuation after it) after at
    # least `within` characters of text - the "label at the bottom" regulators reject
    # start: a hashtag label among the caption's first N hashtags counts as "at the start" too
    # (IT Digital Chart: the first information, or within the first three hashtags)
    or_first_hashtags: int | None = Field(default=None, ge=1)
    hashtags: Literal["strict", "edges", "first_3"] = "strict"
    min_cluster: int = Field(default=3, ge=2)      # hashtags in a row that make a "block"
    # before_fold: a photo post (post/carousel/pin) labelled only on the image (frames) has put the
    # label where the regulators want it for images (overlay) but its size and legibility are unknown:
    # at most this severity, with image_message if given
    image_severity: SEVERITY = "warning"
    image_message: str | None = None

    _tpl_image = field_validator("image_message")(classmethod(lambda cls, v: v if v is None else _check_template(v)))


class NameBrand(RuleBase):
    """The label should say for whom: "Reklame for @brand".

    `severity` applies when the post's brand is known (the `brand` field) and the post names it
    nowhere (neither as @handle nor as plain text); `unsure_severity` when the brand is not known and
    no @handle or name near the label was found (a name written as plain text may have been missed).
    """
    kind: Literal["name_brand"]
    unsure_severity: SEVERITY = "warning"


class Stories(RuleBase):
    """Every story frame (or the first and last) needs its own label. `later_severity`: the severity
    when the first frame is labelled and only later ones are not (the viewer saw the label first)."""
    kind: Literal["stories"]
    frames: Literal["every", "first_and_last"] = "every"
    later_severity: SEVERITY | None = None


class InVideo(RuleBase):
    """Video: the disclosure must be in the video itself (spoken or on screen, per the transcript),
    or - with where: description - also in the caption/description (NL wants both), or - with where:
    opening - early in the video, not only at its end (a transcript whose first label comes in its last
    third, `min_chars` long at least: transcripts run in time order), or - with where: throughout -
    on screen for the whole promotion: a label only inside timed on-screen notes of the transcript
    ("[00:00-00:03 on screen: Ad]") covering less than `min_share` of the video's timed length."""
    kind: Literal["in_video"]
    where: Literal["video", "description", "opening", "throughout"] = "video"
    min_chars: int = Field(300, ge=1)
    min_share: float = Field(0.5, gt=0, le=1)


class Live(RuleBase):
    """Live streams: the disclosure must be repeated.

    With timestamps in the transcript ("[01:12:30] ...") the gap is measured in minutes (`max_minutes`,
    reported with `severity`); without them in characters (`max_gap`, reported with `untimed_severity`,
    since a transcript excerpt says little about time). `title_counts`: an accepted label in the stream
    title (the caption), shown next to the stream throughout, counts as a continuous disclosure.
    """
    kind: Literal["live"]
    max_gap: int = Field(default=5000, ge=200)  # characters of transcript between disclosures
    max_minutes: int = Field(default=60, ge=1)  # minutes between spoken disclosures (timestamped transcripts)
    # said only once: the stream may go on at most this many minutes after it (a disclosure said once
    # at the start of a 45-minute stream is not repeated at all, whatever max_minutes allows)
    max_minutes_once: int | None = Field(default=None, ge=1)
    untimed_severity: SEVERITY | None = None    # severity of a character gap (default: severity)
    title_counts: bool = True


class PlatformLabel(RuleBase):
    """The platform's own paid-partnership label is the only disclosure."""
    kind: Literal["platform_label"]
    unknown_severity: SEVERITY = "warning"   # when the regulator's stance is not known


class SpecialLabel(RuleBase):
    """Media facts that need their own label: retouched bodies, AI-generated people."""
    kind: Literal["special_label"]
    when: Literal["retouched", "ai_generated"]
    labels: tuple[str, ...] = Field(min_length=1)
    commercial_only: bool = True
    # the label must stay for the whole video: one shown only briefly in the transcript's timed notes
    # ("[00:00-00:02 retouch mark]" in a 45-second video) does not count
    throughout: bool = False

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for c in v:
            if c not in SPECIAL_LABEL_CLASSES:
                raise ValueError(f"{c!r} is not a special label class; known: {', '.join(sorted(SPECIAL_LABEL_CLASSES))}")
        return v


class RestrictedProduct(RuleBase):
    """Commercial content promoting what the country bans influencers from promoting (FR, loi 2023-451:
    aesthetic procedures with health risks, nicotine products, ...): labelling does not cure it.
    `topics`: the vocabulary connection entries (kind restricted_product) that name such products."""
    kind: Literal["restricted_product"]
    topics: tuple[str, ...] = Field(min_length=1)   # "fr.acte-esthetique"


class PlatformTool(RuleBase):
    """Platform policy: commercial content must switch on the platform's disclosure tool."""
    kind: Literal["platform_tool"]


class CountryPlatformTool(RuleBase):
    """The country's regulator wants the platform's own label switched on as well as a label in the
    post (PL's "two-level" labelling): fires when the tool is known to be off (platform_label false)."""
    kind: Literal["platform_tool"]


CountryRule = Annotated[
    Union[RequireLabel, ForbidLabel, LabelLanguage, Placement, NameBrand, Stories, InVideo, Live,
          PlatformLabel, SpecialLabel, CountryPlatformTool, RestrictedProduct],
    Field(discriminator="kind"),
]
PlatformRule = Annotated[Union[PlatformTool, SpecialLabel], Field(discriminator="kind")]


# --- countries (rules/countries/<cc>/country.yaml) -----------------------------------------------

class ConnectionFit(Strict):
    """How a label class is judged against the post's known connection (contract relationship and
    strong cues such as a discount code). No known connection: the class status stands."""
    fits: tuple[str, ...] = Field(min_length=1)   # connection kinds the label describes
    status: Literal["accepted", "weak", "rejected"] | None = None   # when every known kind fits
    otherwise: Literal["weak", "rejected"]        # at most this when another kind is known

    @field_validator("fits")
    @classmethod
    def _kinds(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for k in v:
            if k not in RELATIONSHIPS or k == "none":
                raise ValueError(f"unknown relationship {k!r}; known: {', '.join(r for r in RELATIONSHIPS if r != 'none')}")
        return v


class LabelPolicy(Strict):
    accepted: tuple[str, ...]
    weak: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()
    # how a label of an accepted class is judged, by its language; unlisted languages: `other`
    languages: dict[str, Literal["accepted", "weak", "rejected"]]
    other_languages: Literal["weak", "rejected"] = "rejected"
    same_language_as_post: bool = False   # BE, CA, IN: the label must be in the post's language
    # ... except labels in these languages, which count whatever the post's language (IN: "English
    # OR the language of the ad": an English "#ad" on a Hindi post is fine, a Hindi label on an
    # English post is not)
    any_post_language: tuple[str, ...] = ()
    entries: dict[str, Literal["accepted", "weak", "rejected"]] = {}  # per entry: "es.colab": rejected
    # special labels (by vocabulary entry) that are also an advertising label: Norway's official mark
    # for retouched advertising contains the word «REKLAME» (Forbrukertilsynet FAQ), so it needs no
    # separate «reklame»
    marks: dict[str, Literal["accepted", "weak"]] = {}
    # a label class judged by the kind of connection it describes: "#gifted" fits a gift, not a paid
    # deal (IE, CA); BE's "#gesponsord" fits only a gift without any agreement. Keyed by label class.
    by_connection: dict[str, ConnectionFit] = {}

    @model_validator(mode="after")
    def _classes(self) -> "LabelPolicy":
        seen: dict[str, str] = {}
        for status in LABEL_STATUSES:
            for c in getattr(self, status):
                if c not in LABEL_CLASSES:
                    raise ValueError(f"unknown label class {c!r} in {status}; known: {', '.join(LABEL_CLASSES)}")
                if c in SPECIAL_LABEL_CLASSES:
                    raise ValueError(f"{c!r} is a special label; use a special_label rule")
                if c in seen:
                    raise ValueError(f"label class {c!r} is both {seen[c]} and {status}")
                seen[c] = status
        for c in self.by_connection:
            if c not in LABEL_CLASSES or c in SPECIAL_LABEL_CLASSES:
                raise ValueError(f"by_connection: unknown label class {c!r}; known: {', '.join(LABEL_CLASSES)}")
        return self


class Member(Strict):
    name: str
    languages: tuple[str, ...] = Field(min_length=1)


class CountryFile(Strict):
    country: str = Field(pattern=r"^[A-Z]{2}$")
    name: str
    languages: tuple[str, ...] = Field(min_length=1)
    regulator: str
    confidence: CONFIDENCE = "high"
    sources: dict[str, Source] = Field(min_length=1)
    labels: LabelPolicy
    suggested_label: dict[str, str]   # language -> label to add, may use {brand}
    rules: tuple[CountryRule, ...] = Field(min_length=1)
    members: dict[str, Member] = {}   # only the EU baseline: member states it stands for

    @model_validator(mode="after")
    def _refs(self) -> "CountryFile":
        for rule in self.rules:
            for ref in rule.references:
                if isinstance(ref, str) and ref not in self.sources:
                    raise ValueError(f"rule {rule.id}: reference {ref!r} is not in sources "
                                     f"({', '.join(sorted(self.sources))})")
        for lang in self.languages:
            if lang not in self.suggested_label and not self.members:
                raise ValueError(f"suggested_label has no entry for language {lang!r}")
        ids = [r.id for r in self.rules]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate rule ids: {', '.join(sorted(dupes))}")
        return self


# --- platforms (rules/platforms/<platform>.yaml) ------------------------------------------------

class Fold(Strict):
    chars: int = Field(ge=20)
    lines: int | None = Field(default=None, ge=1)


class PlatformFile(Strict):
    platform: str
    name: str
    native_label: str | None                     # what the platform's own label says
    native_label_local: dict[str, str] = {}      # language -> localised label text
    tool: str | None = None                      # where the creator switches it on
    fold: Fold | None = None                     # the "more" cut-off of the caption
    sources: dict[str, Source] = {}
    # whether a country accepts the native label as the only disclosure; "*" is the default
    label_alone: dict[str, Literal["accepted", "insufficient", "unknown"]] = {"*": "unknown"}
    # a live stream's title stays next to the stream for its whole length (Twitch, YouTube), so an
    # accepted label in it is a continuous disclosure for `live` rules with title_counts
    live_title_shown: bool = False
    # the text of a video opens with its title line, shown above the description and apart from it
    # (YouTube): `start` placement counts from the start of the description as well as of the text
    title_line: bool = False
    rules: tuple[PlatformRule, ...] = ()

    @field_validator("platform")
    @classmethod
    def _platform(cls, v: str) -> str:
        if v not in PLATFORMS:
            raise ValueError(f"unknown platform {v!r}; known: {', '.join(PLATFORMS)}")
        return v

    @model_validator(mode="after")
    def _refs(self) -> "PlatformFile":
        for rule in self.rules:
            for ref in rule.references:
                if isinstance(ref, str) and ref not in self.sources:
                    raise ValueError(f"rule {rule.id}: reference {ref!r} is not in sources")
        return self


# --- examples (rules/countries/<cc>/examples.yaml) -----------------------------------------------

class Expected(Strict):
    status: Literal["violation", "needs_review", "compliant"]
    rules: tuple[str, ...] | None = None   # rule ids that must fire (others may too)
    not_rules: tuple[str, ...] = ()        # rule ids that must not fire


class Example(Strict):
    id: str
    note: str | None = None
    post: dict
    expected: Expected


class ExamplesFile(Strict):
    examples: tuple[Example, ...] = Field(min_length=1)


RELATIONSHIP_SET = frozenset(RELATIONSHIPS)
FORMAT_SET = frozenset(FORMATS)
