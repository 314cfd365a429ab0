"""Scoring the engine against labelled posts: confusion, precision and recall by slice."""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from auditor.types import STATUSES, Verdict


def _pr(tp: int, fp: int, fn: int) -> dict[str, Any]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f1 = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}


def _slice(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """pairs of (expected, predicted) status."""
    n = len(pairs)
    confusion = {e: {p: 0 for p in STATUSES} for e in STATUSES}
    for e, p in pairs:
        confusion[e][p] += 1
    per_status = {}
    for s in STATUSES:
        tp = confusion[s][s]
        fp = sum(confusion[e][s] for e in STATUSES if e != s)
        fn = sum(confusion[s][p] for p in STATUSES if p != s)
        per_status[s] = _pr(tp, fp, fn)
    flagged = [(e != "compliant", p != "compliant") for e, p in pairs]
    tp = sum(1 for e, p in flagged if e and p)
    fp = sum(1 for e, p in flagged if not e and p)
    fn = sum(1 for e, p in flagged if e and not p)
    correct = sum(1 for e, p in pairs if e == p)
    return {"n": n, "accuracy": correct / n if n else None, "confusion": confusion,
            "statuses": per_status, "flagged": _pr(tp, fp, fn)}


def evaluate(items: list[tuple[dict[str, Any], Verdict]]) -> dict[str, Any]:
    overall: list[tuple[str, str]] = []
    by_country: dict[str, list] = defaultdict(list)
    by_language: dict[str, list] = defaultdict(list)
    rule_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses: list[dict[str, Any]] = []
    for data, verdict in items:
        expected = data["expected"]
        pair = (expected["status"], verdict.status)
        overall.append(pair)
        for c in verdict.countries:
            by_country[c].append(pair)
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        by_language[meta.get("language") or verdict.language.code].append(pair)
        fired = {f.rule_id for f in verdict.findings}
        if expected.get("rules") is not None:
            wanted = set(expected["rules"])
            for rule in wanted | fired:
                counts = rule_counts[rule]
                if rule in wanted and rule in fired:
                    counts[0] += 1
                elif rule in fired:
                    counts[1] += 1
                else:
                    counts[2] += 1
        if pair[0] != pair[1]:
            misses.append({"id": verdict.post_id, "expected": pair[0], "predicted": pair[1],
                           "countries": list(verdict.countries), "rules": sorted(fired)})
    return {
        "overall": _slice(overall),
        "countries": {k: _slice(v) for k, v in sorted(by_country.items())},
        "languages": {k: _slice(v) for k, v in sorted(by_language.items())},
        "rules": {k: _pr(*v) for k, v in sorted(rule_counts.items())},
        "misses": misses,
    }


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def _f(x: float | None) -> str:
    return "  -  " if x is None else f"{x:5.2f}"


def render_text(report: dict[str, Any]) -> str:
    o = report["overall"]
    out = [f"posts: {o['n']}   accuracy: {_f(o['accuracy'])}   ruleset {report.get('ruleset_version', '')}", "",
           "confusion (rows expected, columns predicted):",
           f"{'':>14}" + "".join(f"{s:>14}" for s in STATUSES)]
    for e in STATUSES:
        out.append(f"{e:>14}" + "".join(f"{o['confusion'][e][p]:>14}" for p in STATUSES))
    out += ["", f"{'status':<14}{'precision':>10}{'recall':>10}{'f1':>8}"]
    for s in STATUSES:
        m = o["statuses"][s]
        out.append(f"{s:<14}{_f(m['precision']):>10}{_f(m['recall']):>10}{_f(m['f1']):>8}")
    fl = o["flagged"]
    out.append(f"{'flagged':<14}{_f(fl['precision']):>10}{_f(fl['recall']):>10}{_f(fl['f1']):>8}"
               "   (violation or needs_review vs compliant)")
    for title, key in (("country", "countries"), ("language", "languages")):
        out += ["", f"{title:<10}{'n':>5}{'acc':>7}{'viol P':>8}{'viol R':>8}{'flag P':>8}{'flag R':>8}"]
        for name, m in report[key].items():
            v, f = m["statuses"]["violation"], m["flagged"]
            out.append(f"{name:<10}{m['n']:>5}{_f(m['accuracy']):>7}{_f(v['precision']):>8}{_f(v['recall']):>8}"
                       f"{_f(f['precision']):>8}{_f(f['recall']):>8}")
    if report["rules"]:
        out += ["", f"{'rule':<32}{'tp':>5}{'fp':>5}{'fn':>5}{'P':>7}{'R':>7}"]
        for rule, m in report["rules"].items():
            out.append(f"{rule:<32}{m['tp']:>5}{m['fp']:>5}{m['fn']:>5}{_f(m['precision']):>7}{_f(m['recall']):>7}")
    if report.get("input_errors"):
        out += ["", f"{len(report['input_errors'])} input error(s) (see stderr)"]
    return "\n".join(out) + "\n"
