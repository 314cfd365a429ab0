"""Every ruleset's example posts produce their expected outcome."""
import pytest

from auditor.rulefiles import load_rules
from auditor.ruletests import run_examples
from tests.conftest import RULES_DIR

_RULES = load_rules(RULES_DIR)
_CASES = [(key, ex.id) for key, exs in sorted(_RULES.examples.items()) for ex in exs]


@pytest.fixture(scope="module")
def outcomes(engine):
    return {(o.ruleset, o.example_id): o for o in run_examples(engine)}


def test_every_country_ruleset_ships_examples(rules):
    rulesets = {c.ruleset for c in rules.countries.values()}
    assert rulesets <= set(rules.examples), sorted(rulesets - set(rules.examples))


@pytest.mark.parametrize("key,example_id", _CASES, ids=[f"{k}/{e}" for k, e in _CASES])
def test_example(outcomes, key, example_id):
    o = outcomes[(key, example_id)]
    assert o.ok, f"{key}/{example_id}: expected {o.expected}, got {o.got}: {'; '.join(o.problems)}"
