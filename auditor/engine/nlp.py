"""spaCy pipelines and the phrase matching built from the rules' vocabularies.

One blank spaCy pipeline per tokenization language (no model download). All vocabularies go into
every pipeline: a German post may carry an English "#ad", and we must see it to say it is the
wrong one.

Speed (the engine must stay within a small multiple of bare tokenization): the vocabularies are
compiled with spaCy's tokenizer and PhraseMatcher at load, and the PhraseMatcher's patterns are
then kept as a dict keyed by each phrase's rarest word (its match order recorded). Per post, text
is tokenized by spaCy's tokenizer one space-separated piece at a time, with the pieces cached, and
phrases are looked up by key word. Texts where piecewise tokenization could differ from spaCy's
(runs of spaces, special cases spanning a space) are tokenized whole. Tests check that tokens and
matches equal spaCy's own on the corpora. The module is compiled (setup.py): there, plain loops over
lists beat chains of map/itemgetter/accumulate iterators (each item a call through the C API), so
the hot paths are written as loops.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from itertools import chain
from operator import itemgetter
from typing import Any, Iterable

import spacy
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from auditor.engine.language import stop_words, stop_words_of

from auditor.rulesets.model import RuleSet

# Placeholders of the vocabulary pattern language (see rules/README.md), as token predicates.
MENTION_RE = re.compile(r"^@[\w.]*\w$")
HASHTAG_RE = re.compile(r"^#\w+$")
BRAND_RE = re.compile(r"^[@#][\w.]*\w$")
# a discount code: has a digit, or is written in capitals (SUMMER, ANNA20, anna15)
CODE_RE = re.compile(r"^(?:(?=[\w-]*\d)[A-Za-z0-9][\w-]{2,24}|[A-Z][A-Z0-9_-]{2,24})$")
# an @handle of a hospitality or tourism business: "thanks @thermegastein for the weekend" is a
# hosted stay, "thanks @anna for the weekend" may be a friend's
VENUE_RE = re.compile(r"^@(?:visit[\w.]+|[\w.]*(?:hotel|resort|therme|thermal|wellness|glamping|camping|hostel|lodge|"
                      r"chalet|retreat|suites|cabins?|gasthof|agriturismo|pousada|posada|tours|cruises?|tourism|"
                      r"hytte|bnb|spa(?=[._]|$))[\w.]*)$", re.IGNORECASE)
PLACEHOLDERS = {
    "{mention}": ("re", MENTION_RE),
    "{venue}": ("re", VENUE_RE),
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
# an anchor phrase is indexed under every spelling combination of its words: kept small, since
# each pipeline holds them all (64 took the engine with 27 vocabularies from ~350 MB to ~480 MB;
# matching was no slower at 8, the other words are checked around each hit anyway)
MAX_ANCHOR_PHRASES = 8
HASHTAG_WORD_RE = re.compile(r"#(?<![\w#]#)(\w+)")
# the tokenized pieces kept per pipeline; past this many, they are forgotten and learnt again
MAX_KNOWN_PIECES = 50_000
KEY, TAG = 1, 2   # a text has a phrase match; a text has a hashtag ending in a suffix
# the phrases of one key word, each (index of the key word, length, its words, entries, anchored
# patterns): the one-word phrase (if any); by the word after the key, those that go on past it; by the
# word before, those that end with it (None: there are none). Typed as a tuple of any length: mypyc
# keeps a fixed-length tuple unboxed and boxes a new copy wherever it is stored, which would undo the
# Interner's sharing.
KeyedPhrases = tuple[Any, ...]
_by_start_and_length = itemgetter(0, 1)


_STR_LOWER: Any = str.lower   # called as an object, it is CPython's own (see lower)


def lower(text: str) -> str:
    """text.lower() as CPython computes it. Compiled, mypyc's str.lower maps characters one at a time
    and misses the Greek final sigma ("ΟΔΟΣ" -> "οδοσ"; CPython and spaCy's lower_ say "οδος"), so
    texts holding a capital sigma take CPython's; the rest keep the compiled one."""
    return _STR_LOWER(text) if "Σ" in text else text.lower()


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("ł", "l").replace("Ł", "L")


def is_plain(pattern: str) -> bool:
    return not re.search(r"[{}|()]", pattern)


def _tag_char(c: str) -> bool:
    # a letter, digit or "_", or a combining mark: the vowel signs of Devanagari and other Indic
    # scripts ("विज्ञापन") are marks, not \w, yet part of the word and of the hashtag
    return c.isalnum() or c == "_" or unicodedata.category(c)[0] == "M"


def hashtag_form(term: str) -> str | None:
    compact = re.sub(r"[\s\-']", "", lower(term))
    if compact.startswith("#"):
        return None
    return "#" + compact if compact and all(_tag_char(c) for c in compact) else None


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


def key_of(words: tuple[str, ...], common: frozenset[str]) -> str:
    """The word a phrase is looked up by: the rarest, taken as its longest word that is not a stop
    word ("code" in "use my code", "best" in "the best")."""
    return min(words, key=lambda w: (w in common, -len(w)))


class Lex:
    """What spaCy says of one token, wherever it stands: learnt once per distinct piece of text."""
    __slots__ = ("text", "lower_", "rel", "is_punct", "like_num", "like_url")

    def __init__(self, tok):
        self.text, self.lower_, self.rel = tok.text, tok.lower_, tok.idx
        self.is_punct, self.like_num, self.like_url = tok.is_punct, tok.like_num, tok.like_url


class Token:
    """doc[i]: the attributes of spaCy's Token that the signals read, at its place in the text."""
    __slots__ = ("text", "lower_", "idx", "is_punct", "like_num", "like_url")

    def __init__(self, lex: Lex, idx: int):
        self.text, self.lower_, self.idx = lex.text, lex.lower_, idx
        self.is_punct, self.like_num, self.like_url = lex.is_punct, lex.like_num, lex.like_url

    def __len__(self) -> int:
        return len(self.text)


class TokenDoc:
    """The tokens spaCy's tokenizer would make of a text, as plain lists (no spaCy Doc)."""
    __slots__ = ("text", "lowers", "_pieces", "_entries", "_lexes", "_idx", "_ends", "_starts", "matches")

    def __init__(self, text: str, lowers: list[str], pieces=None, entries=None, lexes=None, idx=None):
        self.text = text
        self.lowers = lowers      # lower-case form of each token: what phrases are matched on
        self._pieces, self._entries = pieces, entries
        self._lexes, self._idx = lexes, idx   # per token: its Lex, and where it starts in the text
        self._ends: list[int] | None = None   # per piece: how many tokens up to its end
        self._starts: list[int] | None = None   # per piece: where it starts in the text
        self.matches: list | None = None

    def __len__(self) -> int:
        return len(self.lowers)

    def lexes(self) -> list[Lex]:
        lexes = self._lexes
        if lexes is None:   # built on first use: many texts are matched on `lowers` alone
            pieces: list[str] = self._pieces
            entries: list[Any] = self._entries
            lexes = []
            idx: list[int] = []
            at = 0
            for k in range(len(pieces)):
                for lex in entries[k][1]:
                    lexes.append(lex)
                    idx.append(at + lex.rel)
                at += len(pieces[k]) + 1   # pieces are split on " "
            self._lexes, self._idx = lexes, idx
        return lexes

    def _locate(self, i: int) -> tuple[int, Lex]:
        """Token i's piece and its Lex, without building the per-token lists of lexes(): a post
        needs the place of a few tokens only (its matches), and those lists cost more than the
        rest of its matching."""
        ends = self._ends
        if ends is None:
            ends = self._layout()
        k = bisect_right(ends, i)
        return k, self._entries[k][1][i - ends[k - 1] if k else i]

    def _layout(self) -> list[int]:
        """Per piece, the tokens up to its end (`_ends`) and where it starts in the text (`_starts`),
        in one plain loop (compiled, several times faster than chained map/accumulate iterators)."""
        pieces: list[str] = self._pieces
        entries: list[Any] = self._entries
        ends: list[int] = []
        starts: list[int] = [0]
        tokens = at = 0
        for k in range(len(pieces)):
            tokens += len(entries[k][0])
            ends.append(tokens)
            at += len(pieces[k]) + 1   # pieces are split on " "
            starts.append(at)
        self._ends, self._starts = ends, starts
        return ends

    def _piece_start(self, k: int) -> int:
        starts = self._starts
        if starts is None:
            self._layout()
            starts = self._starts
            assert starts is not None
        return starts[k]

    def lex(self, i: int) -> Lex:
        if self._lexes is not None:
            return self._lexes[i]
        return self._locate(i)[1]

    def __getitem__(self, i: int) -> Token:
        if self._lexes is None:
            self.lexes()
        return Token(self._lexes[i], self._idx[i])

    def offsets(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets of tokens start..end (what doc[start:end] would say), with no Token
        objects built for evidence spans."""
        if self._lexes is not None:
            idx = self._idx
            return idx[start], idx[end - 1] + len(self._lexes[end - 1].text)
        k, first = self._locate(start)
        a = self._piece_start(k) + first.rel
        k2, last = self._locate(end - 1)
        b = (a - first.rel if k2 == k else self._piece_start(k2)) + last.rel + len(last.text)
        return a, b

    def char_span(self, start: int, end: int) -> tuple[int, int] | None:
        """Token range covering exactly these characters, as spaCy's Doc.char_span (strict) says."""
        lexes = self.lexes()
        first = last = None
        for i, lex in enumerate(lexes):
            at = self._idx[i]
            if at == start:
                first = i
            if at + len(lex.text) == end:
                last = i
                break
        if first is None or last is None or last < first:
            return None
        return first, last + 1


class CachedTokenizer:
    """spaCy's tokenization of a text, assembled from pieces tokenized once each.

    spaCy splits a text at whitespace and tokenizes each piece on its own (its tokenizer cache works
    the same way), so a text whose pieces are separated by single spaces is the concatenation of
    its pieces' tokens; we learn each distinct piece once and keep plain lists, which is several
    times cheaper than building a Doc. Texts where that does not hold (runs of spaces, a space next
    to a newline, special cases spanning a space such as Spanish "EE. UU.") go to spaCy whole.
    """

    def __init__(self, nlp, suffixes: tuple[str, ...], key_words: set[str],
                 stop_words: frozenset[str] = frozenset()):
        self.spacy = nlp
        self.suffixes = suffixes
        self.key_words = key_words
        self.stop_words = stop_words   # of every language a post may be detected in
        # piece -> (lower forms, Lex of each token, KEY | TAG: it holds a phrase's key word, a hashtag
        # ending in a suffix, its whitespace-separated lower-case words that are stop words); None: see above
        self.pieces: dict[str, tuple | None] = {}
        self.spanning: tuple[str, ...] = tuple(sorted({case.split()[0] for case in nlp.tokenizer.rules
                                      if not case.isspace() and any(c.isspace() for c in case)}))

    def _learn(self, piece: str) -> tuple | None:
        if not piece or piece[0].isspace() or piece[-1].isspace():
            return None   # a run of whitespace holding a space: spaCy makes a whitespace token of it
        lexes = tuple(Lex(t) for t in self.spacy.tokenizer(piece))
        lowers = tuple(lex.lower_ for lex in lexes)
        flags = KEY if self.key_words.intersection(lowers) else 0
        if "#" in piece and any(lower(m.group(1)).endswith(self.suffixes) for m in HASHTAG_WORD_RE.finditer(piece)):
            flags |= TAG
        return lowers, lexes, flags, self._stops(piece)

    def _stops(self, text: str) -> tuple[str, ...]:
        """The text's stop words, as language detection counts them: its lower-case words split at
        whitespace, those that are a stop word of some language (the rest can never count)."""
        stop_words = self.stop_words
        return tuple(w for w in lower(text).split() if w in stop_words)

    def _gather(self, pieces: list[str], entries: list[Any], stops: list[str]) -> int:
        """The known pieces' entries and stop words, appended in order, and their flags ORed; -1 when a
        piece must be tokenized with its neighbours (the text goes to spaCy whole). KeyError: a piece
        not learnt yet. One plain loop (compiled) over the pieces.

        text.lower().split() is the concatenation of each piece's: " " is whitespace, and lower() maps
        characters alone (the Greek final sigma looks no further than the word)."""
        known = self.pieces
        flags = 0
        for piece in pieces:
            entry = known[piece]
            if entry is None:
                return -1
            entries.append(entry)
            flags |= entry[2]
            if entry[3]:
                stops.extend(entry[3])
        return flags

    def tokenize(self, text: str) -> tuple[TokenDoc | None, int, list[str]]:
        """The doc, KEY | TAG: what its pieces hold (0: nothing can match, and no doc is made), and the
        text's stop words (`_stops`), gathered from its pieces: no lower-casing and splitting per post."""
        if self.spanning and any(s in text for s in self.spanning):
            return self._whole(text)
        pieces = text.split(" ")
        entries: list[Any] = []
        stops: list[str] = []
        try:
            flags = self._gather(pieces, entries, stops)
        except KeyError:
            known = self.pieces
            if len(known) > MAX_KNOWN_PIECES:
                known.clear()
            for piece in set(pieces).difference(known):
                known[piece] = self._learn(piece)
            entries.clear()
            stops.clear()
            try:
                flags = self._gather(pieces, entries, stops)
            except KeyError:   # another thread has just cleared the cache: spaCy tokenizes it whole
                return self._whole(text)
        if flags < 0:
            return self._whole(text)
        if not flags:
            return None, 0, stops
        lowers: list[str] = []
        for entry in entries:
            lowers.extend(entry[0])
        return TokenDoc(text, lowers, pieces, entries), flags, stops

    def _whole(self, text: str) -> tuple[TokenDoc, int, list[str]]:
        lexes = [Lex(t) for t in self.spacy.make_doc(text)]
        doc = TokenDoc(text, [lex.lower_ for lex in lexes], lexes=lexes, idx=[lex.rel for lex in lexes])
        return doc, KEY | (TAG if "#" in text else 0), list(self._stops(text))



class EntryRef:
    """What a match key stands for.

    The entry's fields the signals read per match are copied here: a compiled class reads its own
    attributes natively, where each read of a pydantic model's field is a dictionary lookup."""
    __slots__ = ("group", "language", "entry", "entry_id", "hashtag", "label_class", "context", "brand",
                 "implies", "kind", "strength", "source")

    def __init__(self, group: str, language: str, entry: Any, entry_id: str, hashtag: bool) -> None:
        self.group = group          # "label" | "connection" | "code"
        self.language = language
        self.entry = entry          # LabelEntry | ConnectionEntry | None (codes)
        self.entry_id = entry_id    # "<lang>.<id>"
        self.hashtag = hashtag      # matched the "#term" form
        label = group == "label"
        connection = group == "connection"
        self.label_class: str = entry.label_class if label else ""
        self.context: str = entry.context if label else ""
        self.brand: str = entry.brand if label else ""
        self.implies: str = entry.implies if label else ""
        self.kind: str = entry.kind if connection else ""
        self.strength: str = entry.strength if connection else ""
        self.source: str | None = entry.source if label or connection else None


def _checks(variant: tuple, offset: int, anchor_length: int) -> tuple:
    """The predicates of a pattern left to check once its anchor phrase is found: (index, kind, arg)."""
    checks = [(i, kind, arg) for i, (kind, arg) in enumerate(variant) if not offset <= i < offset + anchor_length]
    # words first: they are read off the plain lower-case list; the others need the token's Lex
    return tuple(sorted(checks, key=lambda check: check[1] != "lit"))


class Interner:
    """One copy of each equal piece of the matcher tables across pipelines (memory).

    Every pipeline holds every vocabulary, tokenized its own way, yet most phrases tokenize alike in
    all languages: their word lists, entries and checks are kept once and shared. Keys name parts by
    id(), which is safe because the table keeps every part it hands out alive."""

    def __init__(self) -> None:
        self._kept: dict[tuple, object] = {}
        self.key_words: set[str] = set()   # of every pipeline's phrases (see Pipeline.__init__)

    def one(self, key: tuple, value):
        """The value kept under this key, or this value, kept from now on."""
        return self._kept.setdefault(key, value)

    def ids(self, kind: str, parts: tuple | list):
        """The tuple of these (already shared) parts, shared."""
        return self.one((kind, *map(id, parts)), tuple(parts))


class Pipeline:
    """A blank spaCy pipeline for one language and the matchers for every vocabulary."""

    def __init__(self, lang: str, rules: RuleSet | None, lang_code: str | None = None,
                 interner: Interner | None = None, base: Pipeline | None = None):
        if base is not None:
            self._share(base, lang_code or lang)
            return
        assert rules is not None
        try:
            self.spacy = spacy.blank(lang)
        except Exception:  # a language spaCy does not know: the multi-language tokenizer
            self.spacy = spacy.blank("xx")
        customize_tokenizer(self.spacy)
        self.lang = lang
        self.lang_code = lang_code or lang   # the rules' language code (nb), not spaCy's
        self.interner = interner or Interner()
        self.refs: dict[int, EntryRef] = {}
        self.phrases: Any = PhraseMatcher(self.spacy.vocab, attr="LOWER")   # used while building only
        # patterns with placeholders: an anchor phrase found by the PhraseMatcher, the rest checked
        # around each hit (hits are rare, so this beats spaCy's Matcher by a wide margin)
        # key -> (entry, first token relative to the anchor, length, checks of the other tokens)
        self.anchored: dict[int, list[tuple[EntryRef, int, int, tuple]]] = {}
        self.suffixes: dict[str, list[EntryRef]] = {}   # "partner" -> entries, for "#NikePartner"
        self.suffix_tuple: tuple[str, ...]   # set by _build (no () first: mypy would take it for tuple[()] after)
        self.suffix_probe: re.Pattern[str]   # set by _build
        # the PhraseMatcher as a dict, each phrase under its rarest word ("code" in "use my code"):
        # key word -> (its index in the phrase, length, the words, keys in the PhraseMatcher's order)
        self.by_key: dict[str, KeyedPhrases] = {}
        self._build(rules)
        # one set of the key words of every pipeline, shared: a post's tokens are looked up in it, and
        # one set stays in the CPU's cache where one per pipeline (~250 KB each) did not; a word that
        # is a key only in another pipeline's tokenization is skipped in _phrase_matches
        self.interner.key_words.update(self.by_key)
        self.key_words = self.interner.key_words
        # what scan tokenizes with: docs from the piece cache
        languages = {*rules.vocabularies, *(lang for c in rules.countries.values() for lang in c.languages), "en"}
        self.nlp = CachedTokenizer(self.spacy, self.suffix_tuple, self.key_words, stop_words_of(tuple(sorted(languages))))

    def for_language(self, lang_code: str) -> "Pipeline":
        """This pipeline for posts of another language that tokenizes the same way: everything
        shared (matchers, piece cache), only the language labels are preferred in differs."""
        return Pipeline(self.lang, None, lang_code, base=self)

    def _share(self, base: Pipeline, lang_code: str) -> None:
        """A shallow copy of `base` with another lang_code, attribute by attribute: copy.copy cannot
        copy a class compiled by mypyc (setup.py). Every attribute __init__ and _build set."""
        self.spacy, self.lang, self.interner, self.refs = base.spacy, base.lang, base.interner, base.refs
        self.phrases, self.anchored, self.suffixes = base.phrases, base.anchored, base.suffixes
        self.suffix_tuple, self.suffix_probe, self.by_key = base.suffix_tuple, base.suffix_probe, base.by_key
        self.key_words, self.nlp = base.key_words, base.nlp
        self.lang_code = lang_code

    def _ref(self, group: str, lang: str, entry, entry_id: str, hashtag: bool) -> EntryRef:
        return self.interner.one(("ref", group, lang, id(entry), entry_id, hashtag),
                                 EntryRef(group, lang, entry, entry_id, hashtag))

    def _key(self, name: str, ref: EntryRef) -> str:
        key_id = self.spacy.vocab.strings.add(name)
        self.refs[key_id] = ref
        return name

    def _build(self, rules: RuleSet) -> None:
        make_doc = self.spacy.make_doc
        phrase_patterns: dict[str, list] = {}
        entry: Any   # a LabelEntry, then a ConnectionEntry
        anchors: dict[tuple[str, ...], list[tuple[EntryRef, tuple, int]]] = {}
        for lang, vocab in sorted(rules.vocabularies.items()):
            for entry in vocab.labels:
                if entry.hashtag_suffix:
                    ref = self._ref("label", lang, entry, f"{lang}.{entry.id}", True)
                    for term in entry.terms:
                        for v in {lower(term), strip_accents(lower(term))}:
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
                    self._key(name, self._ref("label", lang, entry, f"{lang}.{entry.id}", tagged))
                    phrase_patterns[name] = [make_doc(t) for t in dict.fromkeys(terms)]
            for entry in vocab.connection:
                name = f"C:{lang}.{entry.id}"
                self._key(name, self._ref("connection", lang, entry, f"{lang}.{entry.id}", False))
                plain = [p for p in entry.patterns if is_plain(p)]
                complex_ = [p for p in entry.patterns if not is_plain(p)]
                if plain:
                    docs: list[Doc] = []
                    for p in plain:
                        docs.extend(make_doc(v) for v in term_variants(p, False))
                    phrase_patterns[name] = docs
                ref = self.refs[self.spacy.vocab.strings[name]]
                for p in complex_:
                    for variant in self.compile(p):
                        self._anchor(variant, ref, anchors)
            if vocab.code_keywords:
                ref = self._ref("code", lang, None, f"{lang}.code", False)
                link = ("lit", CODE_LINKS)
                for keyword in vocab.code_keywords:
                    keyword_words = self._words(keyword)
                    for middle in ((), (link,), (link, link)):
                        self._anchor(tuple(("lit", frozenset(w)) for w in keyword_words) + middle
                                     + (PLACEHOLDERS["{code}"],), ref, anchors)
        pattern_docs = []
        for name, docs in phrase_patterns.items():
            self.phrases.add(name, docs)
            pattern_docs.extend(docs)
        for i, (words, targets) in enumerate(sorted(anchors.items())):
            key = self.spacy.vocab.strings.add(f"A:{i}")
            self.anchored[key] = [self._anchored(ref, offset, len(variant), _checks(variant, offset, len(words)))
                                  for ref, variant, offset in targets]
            # built from the words themselves: re-tokenizing "m' a" would split it differently
            doc = Doc(self.spacy.vocab, words=list(words))
            self.phrases.add(f"A:{i}", [doc])
            pattern_docs.append(doc)
        self._index(pattern_docs, frozenset().union(*(stop_words(lang) for lang in rules.vocabularies)))
        # longest first, so "#NikeBrandAmbassador" ends in "ambassador" before "dor"-like accidents
        self.suffix_tuple = tuple(sorted(self.suffixes, key=len, reverse=True))
        self.suffix_probe = re.compile("|".join(re.escape(x) for x in self.suffix_tuple) or "(?!)")

    def _anchored(self, ref: EntryRef, offset: int, length: int, checks: tuple) -> tuple:
        checks = self.interner.one(("checks", checks), checks)
        return self.interner.one(("anchored", id(ref), offset, length, id(checks)), (ref, offset, length, checks))

    def _index(self, pattern_docs: list[Doc], common: frozenset[str]) -> None:
        """The PhraseMatcher's patterns as `by_key`; then the PhraseMatcher is let go (memory).

        A phrase found in a text is reported for every key that has it, in the order the PhraseMatcher
        reports them: we ask it, once per distinct phrase, by matching the phrase against itself."""
        phrases: dict[tuple[str, ...], tuple[int, ...]] = {}
        for doc in pattern_docs:
            words = tuple(t.lower_ for t in doc)
            if words and words not in phrases:
                phrases[words] = tuple(key for key, s, e in self.phrases(doc) if s == 0 and e == len(doc))
        by_key: dict[str, list] = {}
        one, ids = self.interner.one, self.interner.ids
        for words, keys in phrases.items():
            at = words.index(key_of(words, common))
            shared_words = one(("words", words), list(words))
            # what each key stands for, resolved now: the entries it names, the patterns it anchors
            refs = ids("refs", [self.refs[k] for k in keys if k in self.refs])
            anchored = ids("anchors", list(chain.from_iterable(self.anchored.get(k, ()) for k in keys)))
            phrase = one(("phrase", at, id(shared_words), id(refs), id(anchored)),
                         (at, len(words), shared_words, refs, anchored))
            by_key.setdefault(shared_words[at], []).append(phrase)
        self.by_key = {word: self._keyed(found) for word, found in by_key.items()}
        self.phrases = None

    def _keyed(self, found: list) -> KeyedPhrases:
        """The phrases of one key word, split by the word next to it: a common key ("code", "#ad") has
        dozens of phrases, and a text holding it matches one or two; looking up its neighbour picks
        those out without trying the others."""
        one, ids = self.interner.one, self.interner.ids
        after: dict[str, list] = {}    # the word after the key -> phrases going on past the key
        before: dict[str, list] = {}   # the word before the key -> phrases ending with the key
        for phrase in found:
            at, length, words = phrase[0], phrase[1], phrase[2]
            if length > 1:
                if at + 1 < length:
                    after.setdefault(words[at + 1], []).append(phrase)
                else:
                    before.setdefault(words[at - 1], []).append(phrase)
        single = ids("found", [phrase for phrase in found if phrase[1] == 1])
        shared_after = {word: ids("found", phrases) for word, phrases in after.items()}
        shared_before = {word: ids("found", phrases) for word, phrases in before.items()}
        key = ("keyed", id(single), tuple(sorted((w, id(p)) for w, p in shared_after.items())),
               tuple(sorted((w, id(p)) for w, p in shared_before.items())))
        return one(key, (single, shared_after or None, shared_before or None))

    def _phrase_matches(self, lowers: list[str]) -> list[tuple[int, int, tuple, tuple]]:
        """(start, end, entries, anchored patterns) of every phrase in the tokens, in the
        PhraseMatcher's order: by start, then shortest first (one phrase only can match at a given
        start and length). Entries and patterns are those of the phrase's keys, in key order."""
        present = self.key_words.intersection(lowers)
        if not present:
            return []
        by_key, n = self.by_key, len(lowers)
        found = []
        for j in range(n):   # a plain loop: compiled, faster than compress(count(), map(...))
            if lowers[j] not in present:
                continue
            keyed = by_key.get(lowers[j])
            if keyed is None:   # a key word of another pipeline only
                continue
            single, after, before = keyed
            for _, _, _, refs, anchored in single:
                found.append((j, j + 1, refs, anchored))
            if after is not None and j + 1 < n:
                for offset, length, words, refs, anchored in after.get(lowers[j + 1], ()):
                    start = j - offset
                    end = start + length
                    if start >= 0 and end <= n and lowers[start:end] == words:
                        found.append((start, end, refs, anchored))
            if before is not None and j > 0:
                for offset, length, words, refs, anchored in before.get(lowers[j - 1], ()):
                    start = j - offset
                    end = start + length
                    if start >= 0 and lowers[start:end] == words:
                        found.append((start, end, refs, anchored))
        if len(found) > 1:
            found.sort(key=_by_start_and_length)
        return found

    def _words(self, text: str) -> list[set[str]]:
        """The lower-case tokens of a literal, each with its accent-free spelling."""
        return [{t.lower_, strip_accents(t.lower_)} for t in self.spacy.make_doc(text)]

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
                        words |= {lower(w), strip_accents(lower(w))}
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
        if best is None:   # every literal has many spellings ("gift|box|parcel|..."): the one with fewest
            literals = [k for k, pred in enumerate(variant) if pred[0] == "lit"]
            if not literals:
                raise ValueError(f"pattern needs at least one literal word: {ref.entry_id}")
            k = min(literals, key=lambda k: len(variant[k][1]))
            best = (k, k + 1)
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

    def scan(self, text: str) -> tuple[TokenDoc | None, list[str]]:
        """The text's doc with its matches on it (doc.matches), or None when nothing matches (the
        signals then skip the text); and the text's stop words (language detection)."""
        doc, flags, stops = self.nlp.tokenize(text)
        if not flags:
            return None, stops
        assert doc is not None   # a doc is made whenever flags are set
        doc.matches = self._find(doc, text, bool(flags & TAG))
        return (doc if doc.matches else None), stops

    def _find(self, doc: TokenDoc, text: str, tagged: bool) -> list[tuple[EntryRef, int, int]]:
        out = []
        found = []
        lowers = doc.lowers
        n = len(lowers)
        for s, e, refs, anchored in self._phrase_matches(lowers):
            for ref in refs:
                out.append((ref, s, e))
            for ref, offset, length, checks in anchored:
                start = s - offset
                end = start + length
                if start < 0 or end > n:
                    continue
                ok = True
                for i, kind, arg in checks:
                    # words are checked on `lowers`; only the other predicates need the token's Lex
                    if kind == "lit":
                        ok = lowers[start + i] in arg
                    elif kind == "re":
                        ok = arg.match(doc.lex(start + i).text) is not None
                    elif kind == "num":
                        ok = doc.lex(start + i).like_num
                    elif kind == "url":
                        ok = doc.lex(start + i).like_url
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
        if tagged and self.suffix_tuple and "#" in text and self._has_suffix(lower(text)):
            for tm in HASHTAG_WORD_RE.finditer(text):
                tag = lower(tm.group(1))
                if tag.endswith(self.suffix_tuple):
                    suffix = next(x for x in self.suffix_tuple if tag.endswith(x))
                    if len(tag) > len(suffix):   # "#partner" alone is not a brand partner
                        span = doc.char_span(tm.start(), tm.end())
                        if span is not None:
                            out.extend((ref, *span) for ref in self.suffixes[suffix])
        return out


class Pipelines:
    """Lazily built pipelines, one per tokenization language, shared by all audits.

    Languages that tokenize with the same spaCy language (`spacy: xx` in their vocabulary) share
    one built pipeline: each costs ~6 MB of its own (spaCy's tokenizer and vocab, and the tables of
    every vocabulary's patterns tokenized its way, less what the Interner shares with the others),
    so a pipeline per EU language would take the engine past its memory budget."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self._cache: dict[str, Pipeline] = {}
        self._built: dict[str, Pipeline] = {}   # spaCy language -> the pipeline built for it
        self.interner = Interner()   # the parts of their tables that are alike, kept once

    def get(self, lang: str) -> Pipeline:
        pipe = self._cache.get(lang)
        if pipe is None:
            spacy_lang = self.rules.vocabularies[lang].spacy if lang in self.rules.vocabularies else lang
            built = self._built.get(spacy_lang)
            if built is None:
                pipe = self._built[spacy_lang] = Pipeline(spacy_lang, self.rules, lang, self.interner)
            else:
                pipe = built.for_language(lang)
            self._cache[lang] = pipe
        return pipe

    def preload(self, langs: Iterable[str] | None = None) -> None:
        for lang in langs or sorted(self.rules.vocabularies):
            self.get(lang)
