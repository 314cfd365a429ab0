"""Pipelines: one built per spaCy language, shared by the languages that tokenize with it."""
from auditor.engine.nlp import Pipelines


def test_languages_with_the_same_spacy_language_share_one_built_pipeline(rules):
    shared = [lang for lang, v in rules.vocabularies.items() if v.spacy == "xx"]
    assert len(shared) >= 2, "the EU baseline languages tokenize with the multi-language pipeline"
    pipelines = Pipelines(rules)
    first, second = (pipelines.get(lang) for lang in shared[:2])
    assert first is not second
    assert (first.lang_code, second.lang_code) == (shared[0], shared[1])   # labels of its own language first
    # everything heavy is the same object: the matcher tables and the piece cache
    assert first.by_key is second.by_key and first.anchored is second.anchored and first.nlp is second.nlp
    assert pipelines.get(shared[1]) is second
    own = [lang for lang, v in rules.vocabularies.items() if v.spacy == lang][:2]
    a, b = (pipelines.get(lang) for lang in own)
    assert a.by_key is not b.by_key   # a language with its own tokenizer has its own tables
    # ... whose entries are shared with the other tables wherever the phrases tokenize alike (memory)
    alike = [w for w in a.by_key if b.by_key.get(w) == a.by_key[w]]
    assert len(alike) > 0.8 * len(a.by_key)
    assert all(b.by_key[w] is a.by_key[w] for w in alike)


def test_a_shared_pipeline_finds_each_languages_label(audit):
    # Czech and Slovak tokenize with the same pipeline; each finds its own word for advertising
    for text, country in [("Reklama: nové boty od @nike", "CZ"), ("Reklama: nové topánky od @nike", "SK"),
                          ("Hirdetés: új cipő a @nike-tól", "HU")]:
        v = audit(text=text, countries=[country], platform="instagram", relationship=["paid"])
        assert [d.evidence.span.text for d in v.disclosures] == ["Reklama" if country != "HU" else "Hirdetés"]
        assert v.status == "compliant", (country, [f.rule_id for f in v.findings])
