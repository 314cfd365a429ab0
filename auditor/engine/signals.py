"""From a post's fields to signals: disclosure labels and material-connection cues, with spans."""
from __future__ import annotations

import re
import unicodedata

from auditor.engine.links import LazyNames, LinkClassifier
from auditor.engine.nlp import (
    CODE_LINKS, NOT_CODE_BEFORE, NOT_DISCOUNT_CODES, EntryRef, Pipeline, TokenDoc, lower,
)
from auditor.rulesets.schema import NEEDS_BRAND_KINDS, SPECIAL_LABEL_CLASSES
from auditor.types import Evidence, Post, Span

# label classes a negation turns into "not sponsored": "ikke reklame", "not sponsored", "keine Werbung"
NEGATABLE = frozenset({"ad", "sponsored", "paid_partnership", "sp_abbrev", "promotion", "gifted",
                       "affiliate", "collaboration", "collab_abbrev", "partner"})
# the connection a label reveals: calling it "#gifted" says it was a gift
LABEL_CONNECTION = {
    "ad": "paid", "paid_partnership": "paid", "sponsored": "paid", "sp_abbrev": "paid",
    "gifted": "gifted", "invited": "trip", "loan": "loan", "affiliate": "affiliate",
    "collaboration": "paid", "collab_abbrev": "paid", "partner": "paid", "brand_partner": "ambassador",
    "ambassador": "ambassador", "brand_ambassador": "ambassador", "thanks": "thanks", "pr": "gifted",
    "promotion": "paid", "promoted_by": "paid", "presented_by": "paid", "product_placement": "paid",
    "employee": "employee", "own_brand": "own_brand", "family_statement": "family", "gift_statement": "gifted",
    "affiliate_statement": "affiliate", "in_comments": "paid",
}
# what may open a label line, and what may close it: "Ad: ...", "[AD]", "… | ad", "(reklame)"
OPENERS = frozenset("[({|-–—•·*/<«【:.!?,;")
CLOSERS = frozenset("])}|:-–—•·*/>»】.!,")
EMPTY: frozenset[str] = frozenset()
BRAND_TOKEN = re.compile(r"^[@#][\w.]*\w$")
# the "@" or "#" first, its lookbehind after: the regex engine then skips from one "@" to the next,
# where a leading lookbehind is tried at every position (4x slower on a caption)
MENTION_RE = re.compile(r"@(?<![\w@]@)[A-Za-z0-9_.]*[A-Za-z0-9_]")
# a run of hashtags, with emoji, punctuation and @mentions allowed between them
HASHTAG_RUN_RE = re.compile(r"#(?<![\w#]#)\w+(?:(?:[^\w#@]|@[\w.]+)*#\w+)*")
TAGS_RE = re.compile(r"[#@][\w.]+")
WORD_CHAR_RE = re.compile(r"\w")
WORD_RE = re.compile(r"\w+")
# (label language, post language) -> the negation words that may turn that label around
Negations = dict[tuple[str, str], frozenset[str]]



# letters NFKD does not decompose, as handles usually spell them ("Łódź" -> @lodz, "Ærø" -> @aeroe)
_TRANSLIT = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"})
NAME_SEPARATORS_RE = re.compile(r"[\s_.\-]+")


def fold_name(text: str) -> str:
    """A brand name as handles write it: no spaces or separators, accents optional ("Wiśniowy Sad" is
    named by "@wisniowysad"), as label matching is (rules/README.md)."""
    text = lower(text)
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
                       if not unicodedata.combining(c))
    return NAME_SEPARATORS_RE.sub("", text)


def brand_parts(brand: str) -> str:
    """The brand's longest distinctive part, folded: "@kaffebrenneriet_fjell" is named by
    "Kaffebrenneriet" ("" when no part has 5 letters: "@krem_arktyka" is not named by "krem")."""
    parts = sorted((p for p in NAME_SEPARATORS_RE.split(lower(brand)) if len(p) >= 5), key=len)
    return fold_name(parts[-1]) if parts else ""


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def site_names(brand: str, texts: list[tuple[str, str]]) -> tuple[str, ...]:
    """How the brand's own web site may be spelt: the brand folded ("Beerenglück" -> beerengluck, or
    beerenglueck as German hosts write it), its longest part, and the post's @handles ("@nordlichtmode")."""
    names: set[str] = set()
    if brand:
        bare = brand.lstrip("@#")
        names.update((fold_name(bare), fold_name(lower(bare).translate(_UMLAUTS)), brand_parts(bare)))
    for _, text in texts:
        if "@" in text:
            names.update(fold_name(m[1:]) for m in MENTION_RE.findall(text))
    return tuple(n for n in names if len(n) >= 4)


# words before a tag that name company, not a source: "with @anna", "med @per", "mit @lena"
COMPANIONS = frozenset("with w/ and & + med og och und mit avec et con e y i ja sekä met en z ze com feat ft "
                       "ft. feat. cc love hi hey thanks".split())


def product_tags(text: str) -> list[re.Match]:
    """@tags of the caption that are not people it is with or talks to ("with @anna", "hi @per")."""
    out = []
    for m in MENTION_RE.finditer(text):
        before = text[max(0, m.start() - 12):m.start()].split()
        if not before or lower(before[-1]).strip(",:;") not in COMPANIONS:
            out.append(m)
    return out


def _handle_naming(brand: str, mentions: list[str]) -> str | None:
    """The first @handle that names the brand though the brand's own spelling is not in the post:
    "@ferncafecork" names "Fern Café", "@hudlab" names "@hudlab_no"."""
    whole, longest = fold_name(brand), brand_parts(brand)
    for mention in mentions:
        handle = fold_name(mention[1:])
        if whole and whole in handle or longest and longest in handle:
            return mention
    return None


# The engine's own records are plain classes, not dataclasses: compiled (setup.py), a class with its
# own __init__ is built in a few dozen nanoseconds, a dataclass in several hundred.
class LabelHit:
    __slots__ = ("evidence", "label_class", "entries", "field", "start", "end", "hashtag", "token_start",
                 "token_end")

    def __init__(self, evidence: Evidence, label_class: str, entries: tuple[EntryRef, ...], field: str,
                 start: int, end: int, hashtag: bool, token_start: int, token_end: int) -> None:
        self.evidence = evidence
        self.label_class = label_class
        self.entries = entries
        self.field = field
        self.start = start
        self.end = end
        self.hashtag = hashtag
        self.token_start = token_start
        self.token_end = token_end


class FieldSignals:
    __slots__ = ("name", "text", "doc", "stops", "labels", "_clusters")

    def __init__(self, name: str, text: str, doc: TokenDoc | None, stops: list[str]) -> None:
        self.name = name
        self.text = text
        self.doc = doc     # None when nothing could match (the text was not tokenized)
        self.stops = stops   # its lower-case words that are stop words of some language
        self.labels: list[LabelHit] = []
        self._clusters: list[tuple[int, int, list[int], bool]] | None = None

    def hashtag_clusters(self, min_size: int) -> list[tuple[int, int, list[int], bool]]:
        """Runs of hashtags: (first char, last char, start offsets of the hashtags, ends the text).

        Emoji, punctuation and @mentions between hashtags do not break a run; a word does.
        """
        clusters = self._clusters
        if clusters is None:
            clusters = []
            text = self.text
            for run in HASHTAG_RUN_RE.finditer(text):
                first, end = run.span()
                # every "#" of a run starts one of its hashtags (the gaps between them hold none)
                starts = []
                at = first
                while 0 <= at < end:
                    starts.append(at)
                    at = text.find("#", at + 1, end)
                # trailing: nothing but tags, mentions, emoji and punctuation after it
                trailing = not WORD_CHAR_RE.search(text, end) or not WORD_CHAR_RE.search(TAGS_RE.sub("", text[end:]))
                clusters.append((first, end, starts, trailing))
            self._clusters = clusters
        return [c for c in clusters if len(c[2]) >= min_size]


class PostSignals:
    __slots__ = ("fields", "labels", "connection", "stops", "mentions", "brand_named", "comment_labels")

    def __init__(self, fields: dict[str, FieldSignals], labels: list[LabelHit], connection: list[Evidence],
                 stops: list[str], mentions: list[str], brand_named: bool,
                 comment_labels: list[LabelHit] | None = None) -> None:
        self.fields = fields
        self.labels = labels
        self.connection = connection
        self.stops = stops            # the caption's lower-case stop words (language detection)
        self.mentions = mentions
        self.brand_named = brand_named
        # labels found only in the creator's first comment: not a disclosure (behind a click), judged apart
        self.comment_labels: list[LabelHit] = comment_labels if comment_labels is not None else []


def _label_shaped(text: str, start: int, end: int) -> bool:
    """Does a short word such as "ad" stand like a label rather than inside a sentence?

    Yes for "Ad: ...", "[AD]", "(ad)", "… | ad", "Love it. #ad"-like endings, an "AD" opening a line;
    no for "I saw an ad on TV".
    """
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    before = text[line_start:start].rstrip()
    after = text[end:line_end if line_end >= 0 else len(text)].lstrip()
    last = before[-1:] or "\n"
    # "# ad" is a broken hashtag, not a label; an emoji or bracket before it is fine
    opened = last == "\n" or last not in "#@&" and (last in OPENERS or not last.isalnum())
    first = after[:1]
    # an emoji or symbol closes a label too ("Reklam 🖤 ..."); a word or a #tag does not
    closed = not after or first in CLOSERS or not first.isalnum() and first not in "#@&'\"" \
        or first == "@" and last == "\n"   # opening its line, it may name the brand: "Publicité @maison"
    return opened and (closed or text[start:end].isupper() and end - start > 1)


def _negated(doc, start: int, negations: frozenset[str]) -> bool:
    # doc.lowers: the plain lower-case list, not doc[i], which builds a Token each time
    lowers = doc.lowers
    for i in range(max(0, start - 2), start):
        if lowers[i] in negations:
            return True
    return False


def _brand_after(doc, end: int, brand_lower: str | None) -> int | None:
    """Token index just past a brand named right after a label ("sponsored by @nike").

    An @handle or the post's brand may come within three tokens; a #hashtag only right after the
    label ("Reklam #lindex"), since a trailing "#tired" names nobody.
    """
    for i in range(end, min(end + 3, len(doc))):
        tok = doc.lex(i)   # the shared per-token Lex, not a new Token per doc[i]
        text = tok.text
        if (text[:1] == "@" or text[:1] == "#" and i == end) and BRAND_TOKEN.match(text):
            return i + 1
        if brand_lower and tok.lower_ == brand_lower:
            return i + 1
        if brand_lower and " " in brand_lower:
            # a brand of several words named in full: "our team at Fernleigh Analytics"
            words = brand_lower.split()
            if tok.lower_ == words[0] and i + len(words) <= len(doc) \
                    and all(doc.lex(i + k).lower_ == w for k, w in enumerate(words[1:], 1)):
                return i + len(words)
        if tok.is_punct and tok.text not in (":", "-", "–"):
            return None
    return None


def _brand_before(doc, start: int, brand_lower: str | None) -> int | None:
    """Token index where a brand named right before a label starts ("@verdantgreens Partner", or the
    post's brand in up to three words, spelt as handles fold it: "Verdant Greens Partner" for
    @verdantgreens). The FTC accepts "[Brand] Partner", not the bare word (regulations.md s.1). The label
    must be capitalised, as a title is ("@anna partner in crime" names no deal)."""
    if start == 0 or not doc.lex(start).text[:1].isupper():
        return None
    before = doc.lex(start - 1).text
    if before[:1] == "@" and BRAND_TOKEN.match(before):
        return start - 1
    if not brand_lower:
        return None
    brand = fold_name(brand_lower.lstrip("@#"))
    if not brand:
        return None
    lowers = doc.lowers
    for n in range(1, min(3, start) + 1):
        if fold_name("".join(lowers[start - n:start])) == brand:
            return start - n
    return None


def _span(name: str, text: str, doc, s: int, e: int) -> Span:
    a, b = doc.offsets(s, e)
    return Span(name, a, b, text[a:b])


def analyze_field(name: str, text: str, pipe: Pipeline, negations: Negations,
                  brand_lower: str | None, connection: list[Evidence],
                  articles: frozenset[str] = frozenset(), prefer: str = "en",
                  brand_cues: bool = True) -> FieldSignals:
    """`brand_cues` False: the post can name no brand, so the cues that count only next to one
    (NEEDS_BRAND_KINDS) would be dropped by analyze_post; they are not built."""
    doc, stops = pipe.scan(text)
    if doc is None:
        return FieldSignals(name, text, None, stops)
    out = FieldSignals(name, text, doc, stops)
    matches = doc.matches
    assert matches is not None   # scan returns a doc only with its matches
    by_span: dict[tuple[int, int], list[EntryRef]] = {}
    # one cue is often found by several vocabularies ("use my code X" in en, de, nb ...): only the
    # first of the same kind, span and strength can survive _distinct, so the others are not built
    cues: set[tuple] = set()
    for ref, s, e in matches:
        group = ref.group
        if group == "label":
            cls = ref.label_class
            if ref.context == "label" and not ref.hashtag and not _label_shaped(text, *doc.offsets(s, e)):
                continue
            if ref.context == "any" and not ref.hashtag and e - s == 1 and s > 0 and doc.lowers[s - 1] in articles \
                    and cls not in SPECIAL_LABEL_CLASSES \
                    and _brand_after(doc, e, brand_lower) is None:
                continue   # "saw an ad on TV": a noun in a sentence, not a label
            # negation words of the label's language, the post's language and English ("hindi sponsored")
            if cls in NEGATABLE and _negated(doc, s, negations.get((ref.language, prefer), EMPTY)):
                connection.append(Evidence(_span(name, text, doc, max(0, s - 2), e), "not_sponsored",
                                           ref.entry_id, ref.language, "negative", ref.source))
                continue
            if ref.brand == "required":
                past = _brand_after(doc, e, brand_lower)
                if past is None:
                    continue
                e = past
            elif ref.brand == "before":
                first = _brand_before(doc, s, brand_lower)
                if first is None:
                    continue
                s = first
            by_span.setdefault((s, e), []).append(ref)
        elif group == "connection":
            kind = ref.kind
            if not brand_cues and kind in NEEDS_BRAND_KINDS:
                continue
            cue = (kind, s, e, ref.strength)
            if cue in cues:
                continue
            cues.add(cue)
            connection.append(Evidence(_span(name, text, doc, s, e), kind, ref.entry_id, ref.language,
                                       ref.strength, ref.source))
        else:  # a discount code after a code keyword
            lowers = doc.lowers   # plain strings: no Token objects built
            if s > 0 and lowers[s - 1] in NOT_CODE_BEFORE or lowers[e - 1] in NOT_DISCOUNT_CODES:
                continue
            if ref.language != prefer and ref.language != "en" and _bare_foreign_code(lowers, s, e):
                continue   # Croatian "bila sam kod IKEA" (at IKEA) is not the Swedish "kod IKEA"
            cue = ("discount_code", s, e, "strong")
            if cue in cues:
                continue
            cues.add(cue)
            connection.append(Evidence(_span(name, text, doc, s, e), "discount_code", ref.entry_id,
                                       ref.language, "strong", "discount code wording"))
    if by_span:
        out.labels = _labels(name, text, doc, by_span, prefer)
    return out


def _bare_foreign_code(lowers, s: int, e: int) -> bool:
    """A one-word code keyword of another language than the post's, before a "code" without a digit:
    the word may be an everyday word of the post's own language (Croatian/Bosnian/Serbian/Slovene "kod"
    = "at": "bila sam kod IKEA"), and a name in capitals is no evidence of a code. Codes with a digit
    ("kod ANNA20") and keywords of the post's language still count."""
    if any(c.isdigit() for c in lowers[e - 1]):
        return False
    return all(lowers[i] in CODE_LINKS for i in range(s + 1, e - 1))


def _labels(name: str, text: str, doc, by_span: dict[tuple[int, int], list[EntryRef]],
            prefer: str) -> list[LabelHit]:
    """One hit per label span, in text order.

    A longer label swallows the shorter ones it overlaps ("paid partnership with" > "partnership"),
    but words of the post's own language (or English) come before a foreign look-alike.
    """
    def rank(k: tuple[int, int]) -> tuple:
        native = any(r.language in (prefer, "en") for r in by_span[k])
        return (not native, -(k[1] - k[0]), k[0])
    labels: list[LabelHit] = []
    taken: list[tuple[int, int]] = []
    for s, e in (sorted(by_span, key=rank) if len(by_span) > 1 else by_span):
        if any(s < te and e > ts for ts, te in taken):
            continue
        taken.append((s, e))
        # the same words may be a label in several languages ("#collab"): the post's language first
        refs = by_span[(s, e)]
        if len(refs) > 1:
            refs = sorted(refs, key=lambda r: (r.language != prefer, r.language != "en"))
        span = _span(name, text, doc, s, e)
        first = refs[0]
        cls = first.label_class
        ev = Evidence(span, cls, first.entry_id, first.language, "label", first.source)
        labels.append(LabelHit(ev, cls, tuple(refs), name, span.start, span.end,
                               any(r.hashtag for r in refs), s, e))
    labels.sort(key=lambda h: h.start)
    return labels


STRENGTH_RANK = {"strong": 0, "negative": 1, "weak": 2}


def _distinct(evidence: list[Evidence]) -> list[Evidence]:
    """One piece of evidence per cue: "use my code X" found by three vocabularies, or as both "code X"
    and "code X for", is one discount code. The longest, strongest span of a kind wins."""
    kept: list[Evidence] = []
    by_kind: dict[tuple[str, str], list[Span]] = {}   # (kind, field) -> spans kept
    for ev in sorted(evidence, key=lambda e: (STRENGTH_RANK[e.strength], e.span.start - e.span.end)):
        sp = ev.span
        spans = by_kind.setdefault((ev.kind, sp.field), [])
        if not any(k.start < sp.end and sp.start < k.end for k in spans):
            spans.append(sp)
            kept.append(ev)
    kept.sort(key=lambda e: (e.span.field, e.span.start))
    return kept


def analyze_post(post: Post, pipe: Pipeline, links: LinkClassifier,
                 negations: Negations, articles: frozenset[str] = frozenset()) -> PostSignals:
    brand = (post.brand or "").strip()
    brand_lower = lower(brand) if brand else None
    connection: list[Evidence] = []
    fields: dict[str, FieldSignals] = {}
    texts: list[tuple[str, str]] = []
    if post.text:
        texts.append(("text", post.text))
    for i, frame in enumerate(post.frames):
        if frame:
            texts.append((f"frames[{i}]", frame))
    if post.transcript:
        texts.append(("transcript", post.transcript))
    labels: list[LabelHit] = []
    all_text = texts[0][1] if len(texts) == 1 else "\n".join(t for _, t in texts)
    # a brand is named by the brand field or by an @mention (of the post or its first comment)
    brand_cues = bool(brand) or "@" in all_text or bool(post.first_comment) and "@" in post.first_comment
    # a link to the brand's own site is a cue: the brand's spellings are worked out only for a link that
    # no network or tracking pattern explains
    sites = LazyNames(lambda: site_names(brand, texts))
    for name, text in texts:
        fs = analyze_field(name, text, pipe, negations, brand_lower, connection, articles, pipe.lang_code,
                           brand_cues)
        fields[name] = fs
        labels.extend(fs.labels)
        for hit in links.find(text, sites):
            connection.append(Evidence(Span(name, hit.start, hit.end, hit.url), hit.kind,
                                       "links." + hit.pattern_id, None, hit.strength, hit.name))
    for i, url in enumerate(post.links):
        link = links.classify(url, 0, sites)
        if link:
            connection.append(Evidence(Span(f"links[{i}]", 0, len(url), url), link.kind,
                                       "links." + link.pattern_id, None, link.strength, link.name))
    for label in labels:
        kind = LABEL_CONNECTION.get(label.label_class)
        if kind:
            connection.append(Evidence(label.evidence.span, kind, label.evidence.entry, label.evidence.language,
                                       label.entries[0].implies, "declared by the label"))
    comment_labels: list[LabelHit] = []
    comment_mentions: list[str] = []
    if post.first_comment:
        comment_labels, comment_mentions = _first_comment(post.first_comment, pipe, links, negations, brand_lower,
                                                          connection, articles)
    # the caption's stop words, from its tokenization (they rarely carry punctuation: split at whitespace)
    stops = fields["text"].stops if post.text else []
    mentions = MENTION_RE.findall(all_text) if "@" in all_text else []
    brand_named = bool(mentions)
    if brand:
        bare = lower(brand.lstrip("@#"))
        # the first field naming the brand (the caption, a frame, the transcript): its span is evidence
        named_in = next(((n, t, at) for n, t in texts for at in (lower(t).find(bare),) if at >= 0),
                        None) if bare else None
        if named_in:
            brand_named = True
            field_name, ftext, pos = named_in
            connection.append(Evidence(Span(field_name, pos, pos + len(bare), ftext[pos:pos + len(bare)]),
                                       "brand_mention", "post.brand", None, "weak", "the post names the brand"))
        elif mentions:
            # the brand tagged under a handle spelt otherwise ("Fern Café" as @ferncafecork)
            handle = _handle_naming(bare, mentions)
            if handle:
                field_name, ftext = next((n, t) for n, t in texts if handle in t)
                pos = ftext.find(handle)
                connection.append(Evidence(Span(field_name, pos, pos + len(handle), handle), "brand_mention",
                                           "post.brand", None, "weak", "the post names the brand"))
    elif len(mentions) >= 2 and post.text:
        tagged = product_tags(post.text)
        if len(tagged) >= 2:
            # "Jakke @nordvest_studio, bukser @kbhdenim": tags that credit where things come from are how
            # products are shown, paid or not (regulations.md s.1 "tags ... can be endorsements", s.10
            # Tina Lund: say you bought them, s.6): a cue for review, cancelled by "bought it myself"
            a, b = tagged[0].start(), tagged[-1].end()
            connection.append(Evidence(Span("text", a, b, post.text[a:b]), "brand_mention", "post.tags", None,
                                       "weak", "the post tags several accounts, as posts showing products do"))
    if comment_mentions:
        # "thanks @brand for the gift" in the comment names its brand; the caption's mentions come first
        mentions = mentions + [m for m in comment_mentions if m not in mentions]
    if not (brand_named or comment_mentions) and any(e.kind in NEEDS_BRAND_KINDS for e in connection):
        connection = [e for e in connection if e.kind not in NEEDS_BRAND_KINDS]
    if len(connection) > 1:
        connection = _distinct(connection)
    return PostSignals(fields, labels, connection, stops, mentions, brand_named, comment_labels)


FIRST_COMMENT = "first_comment"


def _first_comment(text: str, pipe: Pipeline, links: LinkClassifier, negations: Negations,
                   brand_lower: str | None, connection: list[Evidence],
                   articles: frozenset[str]) -> tuple[list[LabelHit], list[str]]:
    """The creator's first comment: its connection cues (a code, an affiliate link, "thanks @brand for
    the gift") reveal the deal and count; its labels are returned apart - a label there is behind a
    click, not seen with the post (regulations.md: ASA/CMA, FTC, the EU sweep). A label also reveals
    the connection it names, as in the caption."""
    fs = analyze_field(FIRST_COMMENT, text, pipe, negations, brand_lower, connection, articles, pipe.lang_code)
    for hit in links.find(text):
        connection.append(Evidence(Span(FIRST_COMMENT, hit.start, hit.end, hit.url), hit.kind,
                                   "links." + hit.pattern_id, None, hit.strength, hit.name))
    for label in fs.labels:
        kind = LABEL_CONNECTION.get(label.label_class)
        if kind:
            connection.append(Evidence(label.evidence.span, kind, label.evidence.entry, label.evidence.language,
                                       label.entries[0].implies, "declared by the label"))
    mentions = MENTION_RE.findall(text) if "@" in text else []
    return fs.labels, mentions
