"""The engine's piecewise, cached tokenization must give exactly spaCy's tokens (nlp.py relies on it
to skip building a spaCy Doc per post): same token texts at the same offsets, on every pipeline."""
import json
from pathlib import Path

import pytest

from auditor.engine.nlp import Pipelines

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
TRICKY = [
    "#ad  two spaces", "line one \nline two", " leading space", "trailing space ", "tabs\tand\u00a0nbsp",
    "Envío a EE. UU. gratis #publi", "U.S.A. #ad", "emoji🎉#ad🎉", "use my code ANNA20!", "",
    "(#reklame) @brand_no, https://amzn.to/x?tag=a-20", "a\u2003em space", "...#ad...", "don't #spon",
]


def _texts(rules=None) -> list[str]:
    out = list(TRICKY)
    if rules is not None:   # the example posts: the only texts in some languages (cs, el, bg ...)
        for examples in rules.examples.values():
            out.extend(ex.post["text"] for ex in examples if ex.post.get("text"))
    for path in sorted(CORPUS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                post = json.loads(line)
                out.extend(t for t in [post.get("text"), post.get("transcript"), *(post.get("frames") or [])] if t)
    return out


@pytest.fixture(scope="module")
def pipelines(rules):
    return Pipelines(rules)


@pytest.mark.parametrize("lang", ["en", "nb", "de", "fr", "es", "tl",
                                  # the EU baseline's member languages (rules/vocab, spaCy's own tokenizers)
                                  "el", "cs", "sk", "sl", "hr", "hu", "ro", "bg", "et", "lv", "lt", "is"])
def test_cached_tokens_equal_spacy_tokens(pipelines, rules, lang):
    pipe = pipelines.get(lang)
    texts = _texts(rules)
    assert len(texts) > 1000
    assembled = 0
    for _ in range(2):   # the second pass reads every piece from the cache
        for text in texts:
            doc, _flags, _stops = pipe.nlp.tokenize(text)   # None: nothing in it can match, no tokens needed
            if doc is None:
                continue
            assembled += doc._pieces is not None     # built from cached pieces, not by spaCy whole
            # each token found from its piece alone (before lexes() builds the per-token lists)
            located = [(doc.lex(i).text, *doc.offsets(i, i + 1)) for i in range(len(doc))]
            spans = [doc.offsets(i, j) for i, j in ((0, len(doc)), (len(doc) // 3, len(doc) - 1)) if i < j]
            ours = [(lex.text, doc.offsets(i, i + 1)[0]) for i, lex in enumerate(doc.lexes())]
            theirs = [(t.text, t.idx) for t in pipe.spacy.make_doc(text)]
            assert ours == theirs, text
            assert located == [(t.text, t.idx, t.idx + len(t.text)) for t in pipe.spacy.make_doc(text)], text
            assert spans == [doc.offsets(i, j) for i, j in ((0, len(doc)), (len(doc) // 3, len(doc) - 1)) if i < j]
            assert doc.lowers == [t.lower_ for t in pipe.spacy.make_doc(text)], text
    assert assembled > 1000


@pytest.mark.parametrize("lang", ["en", "el", "de"])
def test_stop_words_gathered_from_pieces_equal_splitting_the_lowered_text(pipelines, rules, lang):
    """Language detection counts the stop words of text.lower().split(); the tokenizer gathers them
    from its cached pieces instead (whole texts included), which must give the same list."""
    pipe = pipelines.get(lang)
    stop_words = pipe.nlp.stop_words
    assert {"the", "og", "und", "και"} <= stop_words
    for text in _texts(rules) + ["ΟΔΟΣ ΣΑΣ #ad", "Straße  und\nDAS\tist ES"]:
        _doc, _flags, stops = pipe.nlp.tokenize(text)
        assert stops == [w for w in text.lower().split() if w in stop_words], text


def test_a_full_piece_cache_is_cleared_and_tokens_stay_spacys(rules, monkeypatch):
    """Past MAX_KNOWN_PIECES the cache is emptied and learnt again: the tokens and matches do not change."""
    import auditor.engine.nlp as nlp
    monkeypatch.setattr(nlp, "MAX_KNOWN_PIECES", 50)
    pipe = Pipelines(rules).get("en")
    texts = _texts()[:400]
    for text in texts:
        doc, _flags, _stops = pipe.nlp.tokenize(text)
        assert len(pipe.nlp.pieces) <= 50 + len(text.split(" "))
        if doc is not None:
            assert doc.lowers == [t.lower_ for t in pipe.spacy.make_doc(text)], text


def test_lower_is_cpythons_with_the_greek_final_sigma():
    """Compiled by mypyc, str.lower() misses the final sigma; the engine's lower() must not (spaCy's
    lower_, the stop-word lists and the pure-Python build all say "οδος")."""
    from auditor.engine.nlp import lower
    from auditor.engine.signals import fold_name
    assert lower("ΟΔΟΣ ΣΑΣ #AD") == "ΟΔΟΣ ΣΑΣ #AD".lower() == "οδος σας #ad"
    assert lower("Ad") == "ad" and lower("ÆRØ") == "ærø"
    assert fold_name("Οδός Σας") == fold_name("ΟΔΟΣ ΣΑΣ") == "οδοςσας"
