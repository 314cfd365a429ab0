"""`auditor check`: a linter's contract - exit codes, formats, bad input, baselines."""
import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

AUDITOR = [sys.executable, "-m", "auditor.cli.__main__"]

GOOD = {"id": "p1", "countries": ["GB"], "platform": "instagram", "text": "#spon new lipstick @rouge"}
CLEAN = {"id": "p2", "countries": ["GB"], "platform": "instagram", "text": "#ad new lipstick @rouge"}
REVIEW = {"id": "p3", "countries": ["GB"], "platform": "instagram", "text": "Shop now at @rouge, link in bio"}


def run(*args, stdin=None, cwd=None):
    return subprocess.run([*AUDITOR, *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=120)


def write_jsonl(path: Path, *posts, raw_lines=()):
    lines = [json.dumps(p) for p in posts] + list(raw_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_exit_codes_follow_fail_on(tmp_path):
    f = write_jsonl(tmp_path / "posts.jsonl", GOOD, CLEAN, REVIEW)
    assert run("check", str(f)).returncode == 1
    assert run("check", str(write_jsonl(tmp_path / "ok.jsonl", CLEAN))).returncode == 0
    review_only = write_jsonl(tmp_path / "review.jsonl", REVIEW)
    assert run("check", str(review_only)).returncode == 0
    assert run("check", str(review_only), "--fail-on", "warning").returncode == 1
    assert run("check", str(f), "--fail-on", "never").returncode == 0


def test_text_option_and_stdin():
    r = run("check", "--text", "#ad new shoes from @nike", "--country", "NO", "--platform", "instagram")
    assert r.returncode == 1
    assert "no.label.language" in r.stdout
    r = run("check", "-", "--format", "json", stdin=json.dumps(CLEAN) + "\n")
    assert r.returncode == 0
    assert json.loads(r.stdout)["results"][0]["status"] == "compliant"


def test_bad_input_is_precise_and_good_posts_still_reported(tmp_path):
    huge = {"id": "big", "countries": ["GB"], "text": "x" * 100_001}
    f = write_jsonl(tmp_path / "mixed.jsonl", GOOD, raw_lines=[
        '{"id": "broken", "countries": ["GB"], "text": "oops"',           # line 2: malformed JSON
        json.dumps({"id": "nocountry", "countries": ["XX"], "text": "hi"}),  # line 3
        json.dumps({"id": "notext", "countries": ["GB"]}),                # line 4
        json.dumps(huge),                                                  # line 5
        json.dumps({"id": "badplat", "countries": ["GB"], "platform": "myspace", "text": "hi"}),  # line 6
        json.dumps(CLEAN),                                                 # line 7
    ])
    r = run("check", str(f), "--format", "json")
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert [x["id"] for x in doc["results"]] == ["p1", "p2"]
    errors = {e["line"]: e for e in doc["errors"]}
    assert errors[2]["code"] == "invalid_json"
    assert errors[3]["code"] == "unknown_country" and "known:" in errors[3]["message"] and "GB" in errors[3]["message"]
    assert errors[4]["code"] == "missing_text"
    assert errors[5]["code"] == "too_large" and "100,000" in errors[5]["message"]
    assert errors[6]["code"] == "unknown_platform" and "instagram" in errors[6]["message"]
    assert f"{f}:2:" in r.stderr and "error:" in r.stderr


def test_usage_errors_exit_2(tmp_path):
    r = run("check", str(tmp_path / "missing.jsonl"))
    assert r.returncode == 2 and "no such file" in r.stderr and "hint:" not in r.stdout
    r = run("check")
    assert r.returncode == 2 and "hint:" in r.stderr
    r = run("check", "--format", "pdf", "x")
    assert r.returncode == 2


def test_invalid_rules_exit_3(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree("rules", rules)
    path = rules / "countries" / "gb" / "country.yaml"
    path.write_text(path.read_text().replace("severity: error", "severity: fatal", 1))
    r = run("check", "--rules", str(rules), "--text", "hi", "--country", "GB")
    assert r.returncode == 3
    assert "countries/gb/country.yaml:" in r.stderr and "severity" in r.stderr


def test_formats_are_valid_and_stable(tmp_path):
    f = write_jsonl(tmp_path / "posts.jsonl", GOOD, CLEAN, REVIEW)
    sarif = json.loads(run("check", str(f), "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert results[0]["ruleId"] == "gb.label.rejected" and results[0]["level"] == "error"
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]} >= {"gb.label.rejected"}

    junit = ET.fromstring(run("check", str(f), "--format", "junit").stdout)
    suite = junit.find("testsuite")
    assert suite.get("tests") == "3" and suite.get("failures") == "1"

    lines = run("check", str(f), "--format", "jsonl").stdout.splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["p1", "p2", "p3"]

    md = run("check", str(f), "--format", "markdown").stdout
    assert "| p1 |" in md and "gb.label.rejected" in md

    first = run("check", str(f), "--format", "json").stdout
    assert first == run("check", str(f), "--format", "json").stdout


def test_output_file(tmp_path):
    f = write_jsonl(tmp_path / "posts.jsonl", GOOD)
    out = tmp_path / "report.sarif"
    r = run("check", str(f), "--format", "sarif", "--output", str(out))
    assert r.returncode == 1 and r.stdout == ""
    assert json.loads(out.read_text())["runs"][0]["results"]


def test_baseline_suppresses_known_findings_only(tmp_path):
    f = write_jsonl(tmp_path / "posts.jsonl", GOOD)
    base = tmp_path / "baseline.json"
    r = run("baseline", "write", str(f), "--output", str(base))
    assert r.returncode == 0 and json.loads(base.read_text())["fingerprints"]
    assert run("check", str(f), "--baseline", str(base)).returncode == 0
    # the same post moved to another line (offsets and order change): still known
    moved = write_jsonl(tmp_path / "moved.jsonl", CLEAN, GOOD)
    assert run("check", str(moved), "--baseline", str(base)).returncode == 0
    # a new problem is not in the baseline
    new = write_jsonl(tmp_path / "new.jsonl", GOOD, {**GOOD, "id": "p9", "text": "#sp new mascara @rouge"})
    r = run("check", str(new), "--baseline", str(base), "--format", "json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert [len(x["findings"]) for x in doc["results"]] == [0, 1]
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert run("check", str(f), "--baseline", str(bad)).returncode == 2


def test_strict_mode_rejects_unknown_fields(tmp_path):
    f = write_jsonl(tmp_path / "p.jsonl", {**CLEAN, "captoin": "typo"})
    assert run("check", str(f)).returncode == 0
    r = run("check", str(f), "--strict")
    assert r.returncode == 2 and "captoin" in r.stderr


def test_rules_commands():
    r = run("rules", "validate")
    assert r.returncode == 0 and r.stdout.startswith("ok:")
    r = run("rules", "list", "--json")
    data = json.loads(r.stdout)
    assert {"US", "GB", "NO"} <= {c["code"] for c in data["countries"]}
    assert "instagram" in {p["id"] for p in data["platforms"]}
    assert "gb.label.missing" in data["rules"]
    r = run("rules", "test")
    assert r.returncode == 0 and "examples pass" in r.stdout


def test_eval_reports_precision_recall(tmp_path):
    posts = [
        {**GOOD, "expected": {"status": "violation", "rules": ["gb.label.rejected"]}, "meta": {"language": "en"}},
        {**CLEAN, "expected": {"status": "compliant"}},
        {**REVIEW, "expected": {"status": "violation"}},
    ]
    f = write_jsonl(tmp_path / "labelled.jsonl", *posts)
    r = run("eval", str(f), "--format", "json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    o = rep["overall"]
    assert o["n"] == 3 and abs(o["accuracy"] - 2 / 3) < 1e-9
    assert o["confusion"]["violation"]["needs_review"] == 1
    assert o["statuses"]["violation"]["precision"] == 1.0 and o["statuses"]["violation"]["recall"] == 0.5
    assert rep["countries"]["GB"]["n"] == 3
    assert rep["rules"]["gb.label.rejected"]["tp"] == 1
    text = run("eval", str(f)).stdout
    assert "confusion" in text and "GB" in text
    unlabelled = write_jsonl(tmp_path / "u.jsonl", GOOD)
    assert run("eval", str(unlabelled)).returncode == 2
