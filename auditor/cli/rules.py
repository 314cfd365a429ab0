"""`auditor rules validate | test | list`."""
from __future__ import annotations

import json

import click

from auditor.cli import main
from auditor.cli.common import EXIT_FINDINGS, EXIT_OK, load_or_exit, rules_option
from auditor.engine import Engine
from auditor.ruletests import run_examples


@main.group()
def rules():
    """Validate, test and list the rulesets."""


@rules.command("validate")
@rules_option
def validate(rules_dir):
    """Check every rules file against the schema (exit 3 with file:line errors when invalid)."""
    rs = load_or_exit(rules_dir)
    n_rules = len(rs.rule_ids())
    rulesets = sorted({c.ruleset for c in rs.countries.values()})
    click.echo(f"ok: {len(rulesets)} country rulesets ({len(rs.countries)} countries), {len(rs.platforms)} platforms, "
               f"{len(rs.vocabularies)} languages, {n_rules} rules; version {rs.version}")


@rules.command("test")
@rules_option
@click.option("--country", "only", multiple=True, help="Only these rulesets (folder names, e.g. no, eu).")
@click.option("--verbose", "-v", is_flag=True)
def test(rules_dir, only, verbose):
    """Run every ruleset's example posts and compare with their expected outcome."""
    rs = load_or_exit(rules_dir)
    outcomes = run_examples(Engine(rs), only=[o.lower() for o in only])
    failed = [o for o in outcomes if not o.ok]
    for o in outcomes:
        if verbose or not o.ok:
            mark = "ok  " if o.ok else "FAIL"
            click.echo(f"{mark} {o.ruleset}/{o.example_id}: expected {o.expected}, got {o.got}"
                       + (f" ({'; '.join(o.problems)})" if o.problems else ""))
    click.echo(f"{len(outcomes) - len(failed)}/{len(outcomes)} examples pass")
    raise SystemExit(EXIT_FINDINGS if failed else EXIT_OK)


@rules.command("list")
@rules_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_rules(rules_dir, as_json):
    """Countries, platforms, languages and rule ids."""
    rs = load_or_exit(rules_dir)
    data = {
        "version": rs.version,
        "countries": [{"code": c.code, "name": c.name, "languages": list(c.languages), "ruleset": c.ruleset,
                       "confidence": c.confidence, "rules": [r.id for r in c.spec.rules]}
                      for c in sorted(rs.countries.values(), key=lambda c: c.code)],
        "platforms": [{"id": k, "name": p.name, "native_label": p.spec.native_label,
                       "fold": p.spec.fold.chars if p.spec.fold else None,
                       "label_alone": dict(p.spec.label_alone), "rules": [r.id for r in p.spec.rules]}
                      for k, p in sorted(rs.platforms.items())],
        "languages": [{"code": k, "name": v.name, "labels": len(v.labels), "connection": len(v.connection)}
                      for k, v in sorted(rs.vocabularies.items())],
        "rules": rs.rule_ids(),
    }
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"ruleset version {rs.version}\n\nCountries:")
    for c in data["countries"]:
        click.echo(f"  {c['code']}  {c['name']:<22} {','.join(c['languages']):<8} {c['confidence']:<7}"
                   f" {len(c['rules'])} rules ({c['ruleset']})")
    click.echo("\nPlatforms:")
    for p in data["platforms"]:
        click.echo(f"  {p['id']:<10} native label: {p['native_label'] or '-':<32} fold: {p['fold'] or '-'}")
    click.echo("\nLanguages:")
    for lang in data["languages"]:
        click.echo(f"  {lang['code']:<4} {lang['name']:<24} {lang['labels']} label entries, "
                   f"{lang['connection']} connection entries")
    click.echo("\nRules:")
    for rule in data["rules"]:
        click.echo(f"  {rule}")
