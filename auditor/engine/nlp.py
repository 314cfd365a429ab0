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
from spacy.matcher import Matcher, PhraseMatcher
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from auditor.rulesets.model import RuleSet

# Placeholders of the vocabulary pattern language (see rules/README.md).
MENTION_RE = r"^@[\w.]*\w$"
HASHTAG_RE = r"^#\w+$"
PLACEHOLDERS = {
    "{mention}": {"TEXT": {"REGEX": MENTION_RE}},
    "{hashtag}": {"TEXT": {"REGEX": HASHTAG_RE}},
    "{brand}": {"TEXT": {"REGEX": r"^[@#][\w.]*\w$"}},
    # a discount code: has a digit, or is written in capitals (SUMMER, ANNA20, anna15)
    "{code}": {"TEXT": {"REGEX": r"^(?:(?=[\w-]*\d)[A-Za-z0-9][\w-]{2,24}|[A-Z][A-Z0-9_-]{2,24})$"}},
    "{num}": {"LIKE_NUM": True},
    "{url}": {"LIKE_URL": True},
    "{any}": {},
}
# words that may stand between a code keyword and the code: "my code is ANNA20", "koden er ANNA20"
CODE_LINKS = ["is", "er", "ist", "est", "es", "è", "jest", "on", "är", "é", "ay", ":", "-", "=", "–"]
# "dress code", "QR code" ... are not discount codes
NOT_CODE_BEFORE = frozenset({"dress", "qr", "zip", "postal", "post", "source", "area", "country",
                             "promo?", "colour", "color", "html", "secret", "morse", "bar"})


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


@dataclass(frozen=True, slots=True)
class EntryRef:
    """What a match key stands for."""
    group: str        # "label" | "connection" | "code"
    language: str
    entry: object     # LabelEntry | ConnectionEntry | None (codes)
    entry_id: str     # "<lang>.<id>"
    hashtag: bool     # matched the "#term" form


class Pipeline:
    """A blank spaCy pipeline for one language and the matchers for every vocabulary."""

    def __init__(self, lang: str, rules: RuleSet):
        try:
            self.nlp = spacy.blank(lang)
        except Exception:  # a language spaCy does not know: the multi-language tokenizer
            self.nlp = spacy.blank("xx")
        customize_tokenizer(self.nlp)
        self.lang = lang
        self.refs: dict[int, EntryRef] = {}
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.matcher = Matcher(self.nlp.vocab)
        self.suffixes: dict[str, list[EntryRef]] = {}   # "partner" -> entries, for "#NikePartner"
        self.suffix_re: re.Pattern | None = None
        self._build(rules)

    def _key(self, name: str, ref: EntryRef) -> str:
        key_id = self.nlp.vocab.strings.add(name)
        self.refs[key_id] = ref
        return name

    def _build(self, rules: RuleSet) -> None:
        make_doc = self.nlp.make_doc
        phrase_patterns: dict[str, list] = {}
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
                if complex_:
                    self.matcher.add(name, [self.compile(p) for p in complex_])
            if vocab.code_keywords:
                name = f"K:{lang}"
                self._key(name, EntryRef("code", lang, None, f"{lang}.code", False))
                keywords = sorted({k.lower() for k in vocab.code_keywords}
                                  | {strip_accents(k.lower()) for k in vocab.code_keywords})
                code = PLACEHOLDERS["{code}"]
                link = {"LOWER": {"IN": CODE_LINKS}, "OP": "?"}
                self.matcher.add(name, [[{"LOWER": {"IN": keywords}}, link, link, code]])
        for name, docs in phrase_patterns.items():
            self.phrases.add(name, docs)
        if self.suffixes:
            alternatives = "|".join(re.escape(x) for x in sorted(self.suffixes, key=len, reverse=True))
            # a brand name, then the suffix, as one hashtag: "#NikePartner", "#glowlab_ambassador"
            self.suffix_re = re.compile(rf"(?<![\w#])#\w+?({alternatives})(?!\w)", re.IGNORECASE)

    def compile(self, pattern: str) -> list[dict]:
        """Turn "use my code {code}" into a spaCy Matcher token pattern."""
        tokens: list[dict] = []
        for part in pattern.split():
            optional = part.startswith("(") and part.endswith(")")
            if optional:
                part = part[1:-1]
            if part in PLACEHOLDERS:
                spec = dict(PLACEHOLDERS[part])
                tokens.append({**spec, "OP": "?"} if optional else spec)
                continue
            if "|" in part:
                words = sorted({w.lower() for w in part.split("|") if w}
                               | {strip_accents(w.lower()) for w in part.split("|") if w})
                spec = {"LOWER": {"IN": words}}
                tokens.append({**spec, "OP": "?"} if optional else spec)
                continue
            sub = [t.lower_ for t in self.nlp.make_doc(part)]
            for word in sub:
                spec = {"LOWER": word}
                tokens.append({**spec, "OP": "?"} if optional else spec)
        return tokens

    def match(self, doc) -> list[tuple[EntryRef, int, int]]:
        """All matches as (entry, start token, end token)."""
        refs = self.refs
        out = [(refs[k], s, e) for k, s, e in self.phrases(doc)]
        out.extend((refs[k], s, e) for k, s, e in self.matcher(doc))
        text = doc.text
        if self.suffix_re is not None and "#" in text:
            for m in self.suffix_re.finditer(text):
                span = doc.char_span(m.start(), m.end())
                if span is not None:
                    for ref in self.suffixes[m.group(1).lower()]:
                        out.append((ref, span.start, span.end))
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
            pipe = self._cache[lang] = Pipeline(spacy_lang, self.rules)
        return pipe

    def preload(self, langs: Iterable[str] | None = None) -> None:
        for lang in langs or sorted(self.rules.vocabularies):
            self.get(lang)
