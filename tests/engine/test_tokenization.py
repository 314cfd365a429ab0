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
