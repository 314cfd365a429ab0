"""The engine's hot modules may be compiled with mypyc (setup.py): same code, same verdicts.

These tests hold in both builds: the pure one (AUDITOR_PURE_PYTHON=1, or no compiler) and the
compiled one (the default `pip install -e .`)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import auditor
import auditor.engine
from auditor import types
from auditor.engine import nlp
from auditor.engine.nlp import Pipelines

PROBE = ("import json, auditor.engine as e, auditor.engine.nlp as n, auditor.types as t; "
         "print(json.dumps([e.COMPILED, e.BUILD, n.__file__, t.__file__]))")


def _probe(**env: str) -> tuple[bool, str, str, str]:
    out = subprocess.run([sys.executable, "-c", PROBE], env={**os.environ, **env}, capture_output=True,
                         text=True, check=True, timeout=120)
    compiled, build, path, types_path = json.loads(out.stdout)
    return compiled, build, path, types_path


def _attributes(obj) -> set[str]:
    # a compiled (native) class has no __dict__; mypyc lists its attributes instead
    return set(getattr(type(obj), "__mypyc_attrs__", ())) or set(vars(obj))


def test_compiled_flag_says_where_the_engine_modules_come_from():
    assert auditor.engine.COMPILED == (not nlp.__file__.endswith(".py"))
    assert auditor.engine.COMPILED == (not types.__file__.endswith(".py"))
    assert auditor.engine.BUILD.startswith("compiled" if auditor.engine.COMPILED else "pure Python")


def test_pure_python_variable_loads_the_sources():
    compiled, build, path, types_path = _probe(AUDITOR_PURE_PYTHON="1")
    assert not compiled and build.startswith("pure Python") and path.endswith("nlp.py")
    assert types_path.endswith("types.py")


def test_compiled_modules_match_their_sources():
    """A compiled build records the sha256 of the sources it was made from; the engine uses the
    extensions only while they still match (else it warns and loads the .py files)."""
    manifest = os.path.join(os.path.dirname(auditor.__file__), "_compiled.json")
    if not auditor.engine.COMPILED:
        return
    with open(manifest, encoding="utf-8") as fh:
        assert json.load(fh)["compiled"] is True
    compiled, _, path, types_path = _probe()
    assert compiled and not path.endswith(".py") and not types_path.endswith(".py")


def test_a_pipeline_for_another_language_shares_every_attribute(rules):
    shared = [lang for lang, v in rules.vocabularies.items() if v.spacy == "xx"]
    pipelines = Pipelines(rules)
    base = pipelines.get(shared[0])
    view = base.for_language("zz")
    assert _attributes(view) == _attributes(base)
    assert view.lang_code == "zz" and base.lang_code == shared[0]
    for name in _attributes(base) - {"lang_code"}:
        assert getattr(view, name) is getattr(base, name), name


def test_hot_modules_type_check_so_the_build_can_compile_them():
    # a type error in these modules does not fail the install: the build silently falls back to pure
    # Python (about 1.8x slower). This test makes it fail here instead.
    pytest = __import__("pytest")
    pytest.importorskip("mypy")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    modules = [os.path.join("auditor", *source.split("/")) for source in auditor.engine.HOT_MODULES.values()]
    out = subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports", "--follow-imports=silent",
                          "--no-incremental", *modules], cwd=root, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr


def test_value_classes_compare_hash_and_print_as_values():
    a = types.Span("text", 0, 3, "#ad")
    assert a == types.Span("text", 0, 3, "#ad") and a != types.Span("text", 1, 3, "#ad")
    assert hash(a) == hash(types.Span("text", 0, 3, "#ad")) and len({a, types.Span("text", 0, 3, "#ad")}) == 1
    assert a != types.Reference("text", "#ad") and a != ("text", 0, 3, "#ad")
    assert repr(a) == "Span(field='text', start=0, end=3, text='#ad')"


def test_compiled_value_classes_are_read_only():
    span = types.Span("text", 0, 3, "#ad")
    if not auditor.engine.COMPILED:
        return   # pure Python: Final is checked by mypy only
    pytest = __import__("pytest")
    with pytest.raises(AttributeError):
        span.start = 5   # type: ignore[misc]


# verdicts of the labelled corpus (its group files), the rule examples and texts where compiled string
# methods could part from CPython's (the Greek final sigma, Turkish dotted I, German sharp s, ligatures)
VERDICTS = r"""
import hashlib, json, sys
from pathlib import Path
from auditor.engine import BUILD, Engine
from auditor.posts import Defaults, parse_post
from auditor.rulefiles import load_rules
rules = load_rules(None)
posts = []
for path in sorted(Path(sys.argv[1]).glob("group-*.jsonl")):
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            post = json.loads(line)
            post.pop("expected", None)
            posts.append(parse_post(post, rules.countries, fallback_id=f"{path.name}:{i}"))
for key, examples in sorted(rules.examples.items()):
    country = key.upper() if key.upper() in rules.countries else None
    for ex in examples:
        posts.append(parse_post({"id": ex.id, **ex.post}, rules.countries, strict=True,
                                defaults=Defaults(countries=(country,) if country else ())))
for i, text in enumerate(["ΔΙΑΦΗΜΙΣΗ για ΟΔΟΣ ΣΑΣ @odos_sas #ad", "REKLAME for İSTANBUL STRASSE @straße",
                          "ﬁrst Ad: ﬂowers from @ﬂora", "Werbung | GROẞE Auswahl bei @groesse"]):
    posts.append(parse_post({"id": f"s{i}", "text": text, "countries": ["GR", "DE", "NO"],
                             "platform": "instagram", "brand": "@odos_sas", "relationship": ["paid"]},
                            rules.countries))
digest = hashlib.sha256()
engine = Engine(rules)
for post in posts:
    digest.update(json.dumps(engine.audit(post).to_dict(), sort_keys=True).encode())
print(json.dumps([BUILD, len(posts), digest.hexdigest()]))
"""


def test_the_compiled_and_the_pure_build_give_the_same_verdicts():
    corpus = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "corpus")
    runs = {}
    for pure in ("", "1"):
        out = subprocess.run([sys.executable, "-c", VERDICTS, corpus], env={**os.environ, "AUDITOR_PURE_PYTHON": pure},
                             capture_output=True, text=True, check=True, timeout=600)
        runs[pure] = json.loads(out.stdout)
    assert runs["1"][0].startswith("pure Python")
    assert runs[""][0].startswith("compiled" if auditor.engine.COMPILED else "pure Python")
    assert runs[""][1] == runs["1"][1] > 2500
    assert runs[""][2] == runs["1"][2]
