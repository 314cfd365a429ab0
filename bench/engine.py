"""Engine throughput on a mixed-language file, as a ratio to bare spaCy tokenization.

    .venv/bin/python bench/engine.py [--posts 10000] [--file posts.jsonl] [--repeat 3]

Both are measured in this process on the same texts: the baseline tokenizes each post's text
with a bare `spacy.blank(<language of its first audience country>)`, the engine runs the full
`Engine.audit` (signals, language, every audience country's rules, platform rules, the verdict).
Times are best-of-N CPU time of this process (`time.process_time`), which other processes on a busy
machine disturb far less than wall time; both sides are measured the same way.
Machines here are noisy, so the ratio is the figure that matters (target >= 0.25); the best of
`--repeat` runs is kept for both. Peak memory is the process's maximum resident set size.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import spacy  # noqa: E402

from auditor.engine import BUILD as ENGINE_BUILD, Engine  # noqa: E402
from auditor.posts import parse_post  # noqa: E402
from auditor.rulefiles import load_rules  # noqa: E402
from bench.posts import write_posts  # noqa: E402


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--file", type=Path, help="JSON Lines posts (default: a generated mixed-language file)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--language-detection", default="auto", choices=["auto", "always", "never"])
    ap.add_argument("--rules", default=None, help="rules directory (default: the shipped rules)")
    args = ap.parse_args()

    rules = load_rules(args.rules)
    path = args.file or write_posts(Path(tempfile.mkdtemp()) / "posts.jsonl", args.posts, sorted(rules.countries))
    posts = [parse_post(json.loads(line), rules.countries, fallback_id=str(i))
             for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()) if line.strip()]

    engine = Engine(rules, language_detection=args.language_detection)
    engine.preload()
    for p in posts:          # the engine's peak: rules, every pipeline, the posts, one full pass
        engine.audit(p)
    engine_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    langs = [engine.tokenization_language(p) for p in posts]
    bare = {lang: spacy.blank(rules.vocabularies[lang].spacy if lang in rules.vocabularies else lang)
            for lang in set(langs)}
    pairs = [(bare[lang].tokenizer, p.text) for lang, p in zip(langs, posts)]

    def tokenize_all():
        for tok, text in pairs:
            tok(text)

    def audit_all():
        for p in posts:
            engine.audit(p)

    tokenize_all(), audit_all()   # warm caches (langdetect profiles, lazily built objects)
    t_tok = best_of(args.repeat, tokenize_all)
    t_eng = best_of(args.repeat, audit_all)
    n = len(posts)
    statuses: dict[str, int] = {}
    for p in posts:
        s = engine.audit(p).status
        statuses[s] = statuses.get(s, 0) + 1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # with the bare baseline pipelines
    by_lang: dict[str, int] = {}
    for lang in langs:
        by_lang[lang] = by_lang.get(lang, 0) + 1
    print(f"engine: {ENGINE_BUILD}")
    print(f"posts: {n} ({', '.join(f'{k} {v}' for k, v in sorted(by_lang.items()))})")
    print(f"mean caption: {sum(len(p.text) for p in posts) / n:.0f} chars; verdicts: {statuses}")
    print(f"bare spacy.blank tokenization: {n / t_tok:10.0f} posts/s  ({t_tok / n * 1e6:6.1f} us/post)")
    print(f"engine.audit ({args.language_detection:>6}):     {n / t_eng:10.0f} posts/s  ({t_eng / n * 1e6:6.1f} us/post)")
    print(f"ratio engine/tokenization: {t_tok / t_eng:.3f}   (target >= 0.25)")
    print(f"peak memory, engine: {engine_peak_mb:.0f} MB   (target < 400 MB); whole run incl. the bare "
          f"baseline pipelines: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
