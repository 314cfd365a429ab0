"""Which language is the post written in?

Two detectors. The cheap one counts spaCy's stop words of the candidate languages (the audience
countries' languages plus English) in the tokens we already have: microseconds. langdetect, the
product's detector, costs milliseconds a caption, so it runs only where the cheap one is unsure
*and* the answer can change the verdict (countries with several languages, or a label that must be
in the post's language), or when the engine is told to always use it.
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import spacy.lang as spacy_lang

from auditor.types import Language

# our language codes -> langdetect's
LANGDETECT_CODES = {"nb": "no", "nn": "no", "tl": "tl", "fil": "tl"}
FROM_LANGDETECT = {"no": "nb"}
MIN_HITS = 2


@lru_cache(maxsize=None)
def stop_words(lang: str) -> frozenset[str]:
    code = "nb" if lang in ("no", "nn") else lang
    # the word list alone: importing spacy.lang.<code> would load the whole language package
    # (tokenizer exceptions, lexical attributes), ~20 MB over the languages of the rules
    path = Path(spacy_lang.__file__).parent / code / "stop_words.py"
    if not path.is_file():
        return frozenset()
    spec = importlib.util.spec_from_file_location(f"auditor_stop_words_{code}", path)
    assert spec is not None and spec.loader is not None   # a .py file that exists
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(w.lower() for w in module.STOP_WORDS)


@lru_cache(maxsize=None)
def stop_words_of(languages: tuple[str, ...]) -> frozenset[str]:
    """The stop words of any of these languages (one set, shared by every pipeline)."""
    return frozenset().union(*(stop_words(lang) for lang in languages))


@lru_cache(maxsize=None)
def _stop_sets(candidates: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    return tuple(stop_words(lang) for lang in candidates)


def by_stop_words(lowers: list[str], candidates: tuple[str, ...]) -> tuple[str | None, float, bool]:
    """Best candidate, its share of the hits, and whether it clearly won. `lowers`: the post's
    lower-case words (or only those that are a stop word of some language: the same answer)."""
    # the stop words found, as a set: distinct words, so a repeated "the" says no more than one
    # (taken from the list directly: no set of the post's words is built first)
    if len(candidates) == 1:
        hits = len(stop_words(candidates[0]).intersection(lowers))
        return candidates[0], (1.0 if hits >= MIN_HITS else 0.0), hits >= MIN_HITS
    scores = [len(words.intersection(lowers)) for words in _stop_sets(candidates)]
    total = sum(scores)
    if total == 0:
        return None, 0.0, False
    best = max(scores)
    runner_up = sorted(scores)[-2]
    clear = best >= MIN_HITS and best >= 1.5 * runner_up + 1
    # ties go to the earlier candidate: the audience's own language
    return candidates[scores.index(best)], best / total, clear


class LangDetect:
    """langdetect restricted to the candidate languages (faster and better on short text)."""

    def __init__(self) -> None:
        self._factories: dict[tuple[str, ...], object] = {}
        self._missing: dict[tuple[str, ...], frozenset[str]] = {}

    def missing(self, candidates: tuple[str, ...]) -> frozenset[str]:
        """Candidates langdetect has no profile for (Icelandic): it can never answer them."""
        found = self._missing.get(candidates)
        if found is None:
            import os

            from langdetect import detector_factory
            profiles = os.path.join(os.path.dirname(detector_factory.__file__), "profiles")
            found = self._missing[candidates] = frozenset(
                c for c in candidates if not os.path.exists(os.path.join(profiles, LANGDETECT_CODES.get(c, c))))
        return found

    def _factory(self, codes: tuple[str, ...]):
        factory = self._factories.get(codes)
        if factory is None:
            import os

            from langdetect import detector_factory
            from langdetect.detector_factory import DetectorFactory
            factory = DetectorFactory()
            factory.seed = 0
            profiles = os.path.join(os.path.dirname(detector_factory.__file__), "profiles")
            available = [c for c in codes if os.path.exists(os.path.join(profiles, c))]
            if available:
                self._load(factory, profiles, available)
            else:
                factory.load_profile(profiles)
            self._factories[codes] = factory
        return factory

    @staticmethod
    def _load(factory, profiles: str, codes: list[str]) -> None:
        import json
        import os
        blobs = []
        for code in codes:
            with open(os.path.join(profiles, code), encoding="utf-8") as fh:
                blobs.append(json.load(fh))
        if len(blobs) == 1:   # langdetect needs two profiles to compare; English is a neutral second
            with open(os.path.join(profiles, "en" if codes[0] != "en" else "de"), encoding="utf-8") as fh:
                blobs.append(json.load(fh))
        factory.load_json_profile([json.dumps(b) for b in blobs])

    def detect(self, text: str, candidates: tuple[str, ...]) -> tuple[str | None, float]:
        from langdetect.lang_detect_exception import LangDetectException
        codes = tuple(sorted({LANGDETECT_CODES.get(c, c) for c in candidates}))
        detector = self._factory(codes).create()
        detector.append(text)
        try:
            best = detector.get_probabilities()[0]
        except (LangDetectException, IndexError):
            return None, 0.0
        if best.lang not in codes:   # the neutral second profile (see _load), not a candidate
            return None, 0.0
        return FROM_LANGDETECT.get(best.lang, best.lang), float(best.prob)


def resolve(lowers: list[str], text: str, candidates: tuple[str, ...], needed: bool,
            mode: str, langdetect: LangDetect) -> Language:
    """mode: auto (langdetect only when needed and unsure) | always | never."""
    lang, share, clear = by_stop_words(lowers, candidates)
    if mode == "always" and text.strip():
        # a candidate langdetect has no profile for (Icelandic) that the stop words clearly pick:
        # langdetect could only answer with another language
        if not (clear and lang in langdetect.missing(candidates)):
            code, prob = langdetect.detect(text, candidates)
            if code:
                return Language(code, prob, "detected", "langdetect")
    if clear and lang:
        return Language(lang, share, "detected", "stopwords")
    if mode == "auto" and needed and len(text) >= 20 and not (lang and lang in langdetect.missing(candidates)):
        # (a stop-word lead for a language langdetect has no profile for - Irish - stands: langdetect
        # could only answer with another language)
        code, prob = langdetect.detect(text, candidates)
        if code:
            return Language(code, prob, "detected", "langdetect")
    if lang:
        return Language(lang, share, "fallback", "stopwords")
    return Language(candidates[0], 0.0, "fallback", "country")
