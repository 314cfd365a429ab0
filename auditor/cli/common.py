"""What the CLI commands share: loading rules with the right exit code, error lines, output."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from auditor.rulefiles import DEFAULT_RULES_DIR, load_rules
from auditor.rulesets import RuleSet, RulesInvalid

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_RULES = 0, 1, 2, 3

rules_option = click.option(
    "--rules", "rules_dir", type=click.Path(file_okay=False), default=None, envvar="AUDITOR_RULES_DIR",
    help=f"Rules directory (default: {DEFAULT_RULES_DIR}).",
)


def fail(message: str, hint: str | None = None, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)
    sys.exit(code)


def load_or_exit(rules_dir: str | None) -> RuleSet:
    try:
        return load_rules(rules_dir)
    except RulesInvalid as exc:
        for err in exc.errors:
            click.echo(f"error: {err}", err=True)
        click.echo(f"hint: {len(exc.errors)} problem(s) in the rules; see rules/README.md", err=True)
        sys.exit(EXIT_RULES)
    except FileNotFoundError as exc:
        fail(str(exc), "pass --rules DIR or set AUDITOR_RULES_DIR", EXIT_RULES)


def write_output(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}")
    else:
        click.echo(text, nl=False)


def split_values(values: tuple[str, ...]) -> list[str]:
    """--country NO --country SE and --country NO,SE mean the same."""
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out
