"""Fixtures shared by every test: the shipped rules and one engine (both are read-only)."""
from __future__ import annotations

import os

import pytest

from auditor.engine import Engine
from auditor.posts import parse_post
from auditor.rulefiles import load_rules

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
RULES_DIR = os.environ.get("AUDITOR_RULES_DIR", "rules")   # the shipped rules unless told otherwise


@pytest.fixture(scope="session")
def rules():
    return load_rules(RULES_DIR)


@pytest.fixture(scope="session")
def engine(rules):
    return Engine(rules)


@pytest.fixture(scope="session")
def audit(engine, rules):
    """audit(text=..., countries=[...], ...) -> Verdict"""
    def run(**fields):
        fields.setdefault("id", "t")
        return engine.audit(parse_post(fields, rules.countries))
    return run


def require_or_skip(available: bool, reason: str) -> None:
    """Outside CI a missing service skips; under CI=true it is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sync_playwright_session():
    """One Playwright for the whole run: a second sync_playwright() in the same process fails while
    the first one's event loop is alive, so the UI and extension browser tests share this one."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip(False, "the Python playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        yield pw
