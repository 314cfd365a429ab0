"""spaCy pipelines and matchers built from the rules' vocabularies.

One blank pipeline per tokenization language (no model download), each with a PhraseMatcher for
plain phrases and a Matcher for patterns with placeholders. All vocabularies go into every
pipeline: a German post may carry an English "#ad", and we must see it to say it is the wrong one.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

import spacy
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from auditor.engine.language import stop_words
from auditor.rulesets.model import RuleSet

# Placeholders of the vocabulary pattern language (see rules/README.md), as token predicates.
MENTION_RE = re.compile(r"^@[\w.]*\w$")
HASHTAG_RE = re.compile(r"^#\w+$")
BRAND_RE = re.compile(r"^[@#][\w.]*\w$")
# a discount code: has a digit, or is written in capitals (SUMMER, ANNA20, anna15)
CODE_RE = re.compile(r"^(?:(?=[\w-]*\d)[A-Za-z0-9][\w-]{2,24}|[A-Z][A-Z0-9_-]{2,24})$")
PLACEHOLDERS = {
    "{mention}": ("re", MENTION_RE),
    "{hashtag}": ("re", HASHTAG_RE),
    "{brand}": ("re", BRAND_RE),
    "{code}": ("re", CODE_RE),
    "{num}": ("num", None),
    "{url}": ("url", None),
    "{any}": ("any", None),
}
# words that may stand between a code keyword and the code: "my code is ANNA20", "koden er ANNA20"
CODE_LINKS = frozenset({"is", "er", "ist", "est", "es", "è", "jest", "on", "är", "é", "ay", ":", "-", "=", "–"})
# "dress code", "QR code" ... are not discount codes
NOT_CODE_BEFORE = frozenset({"dress", "qr", "zip", "postal", "post", "source", "area", "country",
                             "colour", "color", "html", "secret", "morse", "bar"})
# "codes" that are not discount codes: "kod BLIK", "PIN code", "QR"
NOT_DISCOUNT_CODES = frozenset({"blik", "pin", "puk", "qr", "sms", "html", "css", "zip", "iban", "bic", "swift",
                                "otp", "2fa", "cvv", "cvc", "wifi", "wi-fi"})
MAX_ANCHOR_PHRASES = 64
HASHTAG_WORD_RE = re.compile(r"(?<![\w#])#(\w+)")
# the chunk verdicts kept per pipeline; past this many, they are forgotten and learnt again
MAX_KNOWN_CHUNKS = 100_000
KEY, TAG = 1, 2   # a chunk has a key token; a chunk has a hashtag ending in a suffix


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("ł", "l").replace("Ł", "L")


def is_plain(pattern: str) -> bool:
    return not re.search(r"[{}|()]", pattern)


def hashtag_form(term: str) -> str | None:
    compact = re.sub(r"[\s\-']", "", term.lower())
    if compact.startswith("#"):
        return None
    return "#" + compact if re.fullmatch(r"\w+", compact) else None


def term_variants(term: str, hashtags: bool) -> list[str]:
    variants = [term]
    if hashtags:
        tag = hashtag_form(term)
        if tag:
            variants.append(tag)
    for v in list(variants):
        plain = strip_accents(v)
        if plain != v:
            variants.append(plain)
    return variants


def customize_tokenizer(nlp) -> None:
    """Keep "#ad" and "@brand" whole; split "ad|" and "#ad#spon"."""
    prefixes = [p for p in nlp.Defaults.prefixes if p != "#"] + [r"\|", "•", "·"]
    suffixes = list(nlp.Defaults.suffixes) + [r"\|", "•"]
    infixes = list(nlp.Defaults.infixes) + [r"(?<=[\w.!?)\]])(?=[#@][\w])", r"\|", "•"]
    nlp.tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer


def key_of(pattern: Doc, common: frozenset[str]) -> str:
    """The token a phrase is looked for by: the rarest, taken as its longest word that is not a
    stop word ("code" in "use my code", "best" in "the best")."""
    return min((t.lower_ for t in pattern), key=lambda w: (w in common, -len(w)))


class ChunkFilter:
    """Does a text have a token that is a key, or a hashtag ending in a suffix ("#NikePartner")?

    Answered per whitespace-delimited chunk: spaCy tokenizes each chunk on its own (special cases
    with a space aside) and a hashtag never spans two, so it is a property of the chunk alone,
    learnt once per distinct chunk (as spaCy's own tokenizer cache does), then a set difference.
    """

    def __init__(self, nlp, keys: set[str], suffixes: tuple[str, ...]):
        self.tokenizer = nlp.tokenizer
        self.keys = frozenset(keys)
        self.suffixes = suffixes
        # a chunk holds a key token only if its lower-case form holds the key (σ/ς: final sigma)
        alternatives = sorted((re.escape(k).replace("σ", "[σς]").replace("ς", "[σς]") for k in keys),
                              key=len, reverse=True)
        self.probe = re.compile("|".join(alternatives) or "(?!)")
        self.boring: set[str] = set()          # chunks with neither
        self.known: dict[str, int] = {}         # the others: chunk -> KEY | TAG
        # special cases spanning a space ("EE. UU.") make tokens no single chunk has
        spanning = {piece.lower() for case, pieces in nlp.tokenizer.rules.items()
                    if not case.isspace() and any(c.isspace() for c in case)
                    for piece in (next(iter(p.values())) for p in pieces)}
        self.exact = not (spanning & self.keys)

    def any_key(self, text: str) -> int:
        """KEY | TAG: what the text's chunks hold (0: nothing can match)."""
        if not self.exact:
            return KEY | TAG
        chunks = text.split()
        if self.boring.issuperset(chunks):
            return 0
        found = 0
        known = self.known
        for chunk in set(chunks).difference(self.boring):
            flags = known.get(chunk)
            if flags is None:
                flags = self._classify(chunk)
                if flags:
                    known[chunk] = flags
                else:
                    self.boring.add(chunk)
            found |= flags
        if len(self.boring) + len(known) > MAX_KNOWN_CHUNKS:
            self.boring.clear()
            known.clear()
        return found

    def _classify(self, chunk: str) -> int:
        flags = 0
        if "#" in chunk and any(m.group(1).lower().endswith(self.suffixes) for m in HASHTAG_WORD_RE.finditer(chunk)):
            flags = TAG
        if self.probe.search(chunk.lower()) and any(t.lower_ in self.keys for t in self.tokenizer(chunk)):
            flags |= KEY
        return flags


@dataclass(frozen=True, slots=True)
class EntryRef:
    """What a match key stands for."""
    group: str        # "label" | "connection" | "code"
    language: str
    entry: object     # LabelEntry | ConnectionEntry | None (codes)
    entry_id: str     # "<lang>.<id>"
    hashtag: bool     # matched the "#term" form


def _checks(variant: tuple, offset: int, anchor_length: int) -> tuple:
    """The predicates of a pattern left to check once its anchor phrase is found: (index, kind, arg)."""
    return tuple((i, kind, arg) for i, (kind, arg) in enumerate(variant)
                 if not offset <= i < offset + anchor_length)


class Pipeline:
    """A blank spaCy pipeline for one language and the matchers for every vocabulary."""

    def __init__(self, lang: str, rules: RuleSet, lang_code: str | None = None):
        try:
            self.nlp = spacy.blank(lang)
        except Exception:  # a language spaCy does not know: the multi-language tokenizer
            self.nlp = spacy.blank("xx")
        customize_tokenizer(self.nlp)
        self.lang = lang
        self.lang_code = lang_code or lang   # the rules' language code (nb), not spaCy's
        self.refs: dict[int, EntryRef] = {}
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        # patterns with placeholders: an anchor phrase found by the PhraseMatcher, the rest checked
        # around each hit (hits are rare, so this beats spaCy's Matcher by a wide margin)
        # key -> (entry, first token relative to the anchor, length, checks of the other tokens)
        self.anchored: dict[int, list[tuple[EntryRef, int, int, tuple]]] = {}
        self.suffixes: dict[str, list[EntryRef]] = {}   # "partner" -> entries, for "#NikePartner"
        self.suffix_tuple: tuple[str, ...] = ()
        # one token of every phrase: a text none of whose tokens is a key cannot match anything
        self.keys: set[str] = set()
        self._build(rules)
        self._chunks = ChunkFilter(self.nlp, self.keys, self.suffix_tuple)

    def _key(self, name: str, ref: EntryRef) -> str:
        key_id = self.nlp.vocab.strings.add(name)
        self.refs[key_id] = ref
        return name

    def _build(self, rules: RuleSet) -> None:
        make_doc = self.nlp.make_doc
        phrase_patterns: dict[str, list] = {}
        anchors: dict[str, list[tuple[EntryRef, tuple, int]]] = {}
        for lang, vocab in sorted(rules.vocabularies.items()):
            for entry in vocab.labels:
                if entry.hashtag_suffix:
                    ref = EntryRef("label", lang, entry, f"{lang}.{entry.id}", True)
                    for term in entry.terms:
                        for v in {term.lower(), strip_accents(term.lower())}:
                            self.suffixes.setdefault(v, []).append(ref)
                    continue
                for tagged in (False, True):
                    terms = []
                    for term in entry.terms:
                        for v in term_variants(term, entry.hashtags):
                            if v.startswith("#") == tagged:
                                terms.append(v)
                    if not terms:
                        continue
                    name = f"L:{lang}.{entry.id}:{int(tagged)}"
                    self._key(name, EntryRef("label", lang, entry, f"{lang}.{entry.id}", tagged))
                    phrase_patterns[name] = [make_doc(t) for t in dict.fromkeys(terms)]
            for entry in vocab.connection:
                name = f"C:{lang}.{entry.id}"
                self._key(name, EntryRef("connection", lang, entry, f"{lang}.{entry.id}", False))
                plain = [p for p in entry.patterns if is_plain(p)]
                complex_ = [p for p in entry.patterns if not is_plain(p)]
                if plain:
                    docs = []
                    for p in plain:
                        docs.extend(make_doc(v) for v in term_variants(p, False))
                    phrase_patterns[name] = docs
                ref = self.refs[self.nlp.vocab.strings[name]]
                for p in complex_:
                    for variant in self.compile(p):
                        self._anchor(variant, ref, anchors)
            if vocab.code_keywords:
                ref = EntryRef("code", lang, None, f"{lang}.code", False)
                link = ("lit", CODE_LINKS)
                for keyword in vocab.code_keywords:
                    words = self._words(keyword)
                    for middle in ((), (link,), (link, link)):
                        self._anchor(tuple(("lit", frozenset(w)) for w in words) + middle
                                     + (PLACEHOLDERS["{code}"],), ref, anchors)
        common = frozenset().union(*(stop_words(lang) for lang in rules.vocabularies))
        for name, docs in phrase_patterns.items():
            self.phrases.add(name, docs)
            self.keys.update(key_of(doc, common) for doc in docs)
        for i, (words, targets) in enumerate(sorted(anchors.items())):
            key = self.nlp.vocab.strings.add(f"A:{i}")
            self.anchored[key] = [(ref, offset, len(variant), _checks(variant, offset, len(words)))
                                  for ref, variant, offset in targets]
            # built from the words themselves: re-tokenizing "m' a" would split it differently
            doc = Doc(self.nlp.vocab, words=list(words))
            self.phrases.add(f"A:{i}", [doc])
            self.keys.add(key_of(doc, common))
        # longest first, so "#NikeBrandAmbassador" ends in "ambassador" before "dor"-like accidents
        self.suffix_tuple = tuple(sorted(self.suffixes, key=len, reverse=True))
        self.suffix_probe = re.compile("|".join(re.escape(x) for x in self.suffix_tuple) or "(?!)")

    def _words(self, text: str) -> list[set[str]]:
        """The lower-case tokens of a literal, each with its accent-free spelling."""
        return [{t.lower_, strip_accents(t.lower_)} for t in self.nlp.make_doc(text)]

    def compile(self, pattern: str) -> list[tuple]:
        """Turn "use (my) code {code}" into token-predicate sequences, one per optional choice."""
        variants: list[tuple] = [()]
        for part in pattern.split():
            optional = part.startswith("(") and part.endswith(")") and len(part) > 2
            if optional:
                part = part[1:-1]
            if part in PLACEHOLDERS:
                preds: tuple = (PLACEHOLDERS[part],)
            elif "|" in part:
                words = set()
                for w in part.split("|"):
                    if w:
                        words |= {w.lower(), strip_accents(w.lower())}
                preds = (("lit", frozenset(words)),)
            else:
                preds = tuple(("lit", frozenset(w)) for w in self._words(part))
            variants = [v + preds for v in variants] + (list(variants) if optional else [])
        return [v for v in variants if v]

    @staticmethod
    def _anchor(variant: tuple, ref: EntryRef, anchors: dict) -> None:
        """Index a predicate sequence under its longest run of literal words."""
        best: tuple[int, int] | None = None
        for a in range(len(variant)):   # the longest window of literals with few spellings
            combos, b = 1, a
            while b < len(variant) and variant[b][0] == "lit" and combos * len(variant[b][1]) <= MAX_ANCHOR_PHRASES:
                combos *= len(variant[b][1])
                b += 1
            if b > a and (best is None or b - a > best[1] - best[0]):
                best = (a, b)
        if best is None:
            raise ValueError(f"pattern needs at least one literal word: {ref.entry_id}")
        phrases: list[tuple[str, ...]] = [()]
        for k in range(*best):
            phrases = [p + (w,) for p in phrases for w in sorted(variant[k][1])]
        for phrase in phrases:
            anchors.setdefault(phrase, []).append((ref, variant, best[0]))

    @staticmethod
    def _holds(pred: tuple, tok) -> bool:
        kind, arg = pred
        if kind == "lit":
            return tok.lower_ in arg
        if kind == "re":
            return arg.match(tok.text) is not None
        if kind == "num":
            return tok.like_num
        if kind == "url":
            return tok.like_url
        return True

    def _has_suffix(self, lowered: str) -> bool:
        return self.suffix_probe.search(lowered) is not None

    def may_match(self, text: str) -> int:
        """Can anything match in this text? 0 saves tokenizing it (most captions carry no cue);
        without TAG, no hashtag in it ends in a suffix."""
        return self._chunks.any_key(text)

    def match(self, doc, text: str, tagged: bool = True) -> list[tuple[EntryRef, int, int]]:
        """All matches as (entry, start token, end token); `tagged` False: no suffix hashtags."""
        refs, anchored = self.refs, self.anchored
        out = []
        found = []
        n = len(doc)
        for key, s, e in self.phrases(doc):
            ref = refs.get(key)
            if ref is not None:
                out.append((ref, s, e))
                continue
            for ref, offset, length, checks in anchored[key]:
                start = s - offset
                end = start + length
                if start < 0 or end > n:
                    continue
                ok = True
                for i, kind, arg in checks:
                    tok = doc[start + i]
                    if kind == "lit":
                        ok = tok.lower_ in arg
                    elif kind == "re":
                        ok = arg.match(tok.text) is not None
                    elif kind == "num":
                        ok = tok.like_num
                    elif kind == "url":
                        ok = tok.like_url
                    if not ok:
                        break
                if ok:
                    found.append((ref, start, end))
        if found:   # the same entry may be found twice (an anchor shared by optional variants)
            seen: set = set()
            for m in found:
                k = (id(m[0]), m[1], m[2])
                if k not in seen:
                    seen.add(k)
                    out.append(m)
        if tagged and self.suffix_tuple and "#" in text and self._has_suffix(text.lower()):
            for m in HASHTAG_WORD_RE.finditer(text):
                tag = m.group(1).lower()
                if tag.endswith(self.suffix_tuple):
                    suffix = next(x for x in self.suffix_tuple if tag.endswith(x))
                    if len(tag) > len(suffix):   # "#partner" alone is not a brand partner
                        span = doc.char_span(m.start(), m.end())
                        if span is not None:
                            out.extend((ref, span.start, span.end) for ref in self.suffixes[suffix])
        return out


class Pipelines:
    """Lazily built pipelines, one per tokenization language, shared by all audits."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self._cache: dict[str, Pipeline] = {}

    def get(self, lang: str) -> Pipeline:
        pipe = self._cache.get(lang)
        if pipe is None:
            spacy_lang = self.rules.vocabularies[lang].spacy if lang in self.rules.vocabularies else lang
            pipe = self._cache[lang] = Pipeline(spacy_lang, self.rules, lang)
        return pipe

    def preload(self, langs: Iterable[str] | None = None) -> None:
        for lang in langs or sorted(self.rules.vocabularies):
            self.get(lang)
