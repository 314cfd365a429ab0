"""`auditor check`, `auditor baseline write` and `auditor eval`: the linter's contract."""
from __future__ import annotations

import json
from pathlib import Path

import click

from auditor import baseline as baselines
from auditor.batch import BatchOutcome, audit_records
from auditor.cli import main
from auditor.cli.common import (
    EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, fail, load_or_exit, rules_option, split_values, write_output,
)
from auditor.engine import Engine
from auditor.evaluation import evaluate, render_json, render_text
from auditor.inputs import Record, read_records
from auditor.posts import Defaults
from auditor.reports import REPORT_FORMATS, render

FAIL_ON = {"error": ("error",), "warning": ("error", "warning"), "never": ()}


def post_options(func):
    """Options that describe a post given on the command line, or defaults for a file's posts."""
    options = [
        click.argument("file", required=False, type=str),
        click.option("--text", help="Check this caption instead of a file."),
        click.option("--country", "countries", multiple=True,
                     help="Audience country (ISO alpha-2); repeat or comma-separate. Default for posts without one."),
        click.option("--platform", help="Platform (instagram, tiktok, youtube, ...). Default for posts without one."),
        click.option("--post-format", "post_format", default=None, help="Post format: post, story, reel, video, live ..."),
        click.option("--relationship", "relationships", multiple=True,
                     help="Known material connection for --text: paid, gifted, affiliate, ..."),
        click.option("--brand", help="Brand handle or name for --text."),
        click.option("--platform-label/--no-platform-label", default=None,
                     help="For --text: the platform's paid-partnership label is on / off."),
        click.option("--strict", is_flag=True, help="Unknown fields in a post are errors."),
        click.option("--language-detection", type=click.Choice(["auto", "always", "never"]), default="auto",
                     show_default=True, help="When to run langdetect (auto: only where it can change the verdict)."),
        rules_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _run(file, text, countries, platform, post_format, relationships, brand, platform_label, strict,
         language_detection, rules_dir) -> tuple[BatchOutcome, Engine]:
    rules = load_or_exit(rules_dir)
    engine = Engine(rules, language_detection=language_detection)
    defaults = Defaults(countries=tuple(split_values(countries)), platform=platform, format=post_format or "post")
    if text is not None and file:
        fail("give either FILE or --text, not both")
    if text is not None:
        data = {"id": "text", "text": text}
        if relationships:
            data["relationship"] = split_values(relationships)
        if brand:
            data["brand"] = brand
        if platform_label is not None:
            data["platform_label"] = platform_label
        records = [Record("--text", 1, data)]
    elif file:
        if file != "-" and not Path(file).is_file():
            fail(f"{file}: no such file", "give a JSON Lines file of posts, '-' for stdin, or --text")
        try:
            records = list(read_records(file))
        except UnicodeDecodeError:
            fail(f"{file}: not UTF-8 text")
        except OSError as exc:
            fail(f"{file}: {exc.strerror}")
    else:
        fail("nothing to check", "give a FILE of posts (JSON Lines), '-' for stdin, or --text \"...\" --country XX")
    return audit_records(engine, records, strict=strict, defaults=defaults), engine


def _report_errors(outcome: BatchOutcome) -> None:
    for e in outcome.errors:
        click.echo(f"error: {e['file']}:{e['line']}: {e['message']}", err=True)


@main.command()
@post_options
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--fail-on", type=click.Choice(list(FAIL_ON)), default="error", show_default=True,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="Ignore findings recorded in this baseline (see `auditor baseline write`).")
def check(file, text, countries, platform, post_format, relationships, brand, platform_label, strict,
          language_detection, rules_dir, fmt, output, fail_on, baseline_file):
    """Audit posts from FILE (JSON Lines; '-' for stdin) or --text.

    Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 bad input or usage, 3 invalid rules.
    """
    known: frozenset[str] = frozenset()
    if baseline_file:
        try:
            known = baselines.parse(Path(baseline_file).read_text(encoding="utf-8"))
        except OSError as exc:
            fail(f"{baseline_file}: {exc.strerror}")
        except ValueError as exc:
            fail(f"{baseline_file}: {exc}")
    outcome, engine = _run(file, text, countries, platform, post_format, relationships, brand, platform_label,
                           strict, language_detection, rules_dir)
    suppressed = 0
    if known:
        for result, (_, post, verdict) in zip(outcome.results, outcome.audited):
            keep = [f.to_dict() for f in verdict.findings if baselines.fingerprint(post, f) not in known]
            suppressed += len(result["findings"]) - len(keep)
            result["findings"] = keep
            result["baseline_suppressed"] = len(verdict.findings) - len(keep)
    name = Path(file).name if file and file != "-" else ("stdin" if file else "text")
    write_output(render(fmt, outcome.results, outcome.errors, engine.rules.version, name, fail_on=fail_on), output)
    _report_errors(outcome)
    if suppressed:
        click.echo(f"note: {suppressed} finding(s) matched the baseline and were not reported", err=True)
    if outcome.errors:
        raise SystemExit(EXIT_USAGE)
    threshold = FAIL_ON[fail_on]
    failing = any(f["severity"] in threshold for r in outcome.results for f in r["findings"])
    raise SystemExit(EXIT_FINDINGS if failing else EXIT_OK)


@main.group()
def baseline():
    """Record today's findings so that only new ones fail."""


@baseline.command("write")
@post_options
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=".auditor-baseline.json",
              show_default=True)
def baseline_write(file, text, countries, platform, post_format, relationships, brand, platform_label, strict,
                   language_detection, rules_dir, output):
    """Write fingerprints (no offsets) of every current finding in FILE."""
    outcome, engine = _run(file, text, countries, platform, post_format, relationships, brand, platform_label,
                           strict, language_detection, rules_dir)
    prints = [baselines.fingerprint(post, f) for _, post, verdict in outcome.audited for f in verdict.findings]
    write_output(baselines.dump(prints, engine.rules.version), output)
    _report_errors(outcome)
    click.echo(f"wrote {len(set(prints))} fingerprint(s) from {len(outcome.results)} post(s) to {output}", err=True)
    raise SystemExit(EXIT_USAGE if outcome.errors else EXIT_OK)


@main.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False))
@click.option("--language-detection", type=click.Choice(["auto", "always", "never"]), default="auto")
@rules_option
def eval_command(file, fmt, output, language_detection, rules_dir):
    """Score the engine on a labelled file (each post has expected.status, optionally expected.rules)."""
    rules = load_or_exit(rules_dir)
    engine = Engine(rules, language_detection=language_detection)
    records = list(read_records(file))
    outcome = audit_records(engine, records)
    unlabelled = [r for r, _, _ in outcome.audited
                  if not isinstance(r.data.get("expected"), dict) or "status" not in r.data["expected"]]
    if unlabelled:
        fail(f"{file}:{unlabelled[0].line}: post has no expected.status",
             "every post in an eval file needs \"expected\": {\"status\": ...}")
    report = evaluate([(r.data, v) for r, _, v in outcome.audited])
    report["input_errors"] = outcome.errors
    report["ruleset_version"] = rules.version
    write_output(render_json(report) if fmt == "json" else render_text(report), output)
    _report_errors(outcome)
    raise SystemExit(EXIT_USAGE if outcome.errors else EXIT_OK)
