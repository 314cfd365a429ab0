"""Reading the rules directory from disk (the core's loader itself does no I/O)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from auditor.rulesets import RuleSet, parse_rules

DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


def read_rules_dir(path: str | Path) -> dict[str, str]:
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"rules directory not found: {root}")
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*.y*ml")) if p.is_file()}


def load_rules(path: str | Path | None = None) -> RuleSet:
    return parse_rules(read_rules_dir(path or DEFAULT_RULES_DIR))


@lru_cache(maxsize=4)
def cached_rules(path: str) -> RuleSet:
    return load_rules(path)
