"""Running the example posts each ruleset ships (`auditor rules test`, and the test suite)."""
from __future__ import annotations

from dataclasses import dataclass, field

from auditor.engine import Engine
from auditor.posts import Defaults, PostError, parse_post


@dataclass
class ExampleOutcome:
    ruleset: str
    example_id: str
    expected: str
    got: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def run_examples(engine: Engine, only: list[str] | None = None) -> list[ExampleOutcome]:
    rules = engine.rules
    outcomes = []
    for key, examples in sorted(rules.examples.items()):
        if only and key not in only:
            continue
        default_country = key.upper() if key.upper() in rules.countries else None
        for ex in examples:
            defaults = Defaults(countries=(default_country,) if default_country else ())
            try:
                post = parse_post({"id": ex.id, **ex.post}, rules.countries, strict=True, defaults=defaults)
            except PostError as exc:
                outcomes.append(ExampleOutcome(key, ex.id, ex.expected.status, "input error",
                                               [f"invalid example post: {exc.message}"]))
                continue
            verdict = engine.audit(post)
            fired = {f.rule_id for f in verdict.findings}
            problems = []
            if verdict.status != ex.expected.status:
                problems.append(f"status {verdict.status}; findings: {', '.join(sorted(fired)) or 'none'}")
            for rule in ex.expected.rules or ():
                if rule not in fired:
                    problems.append(f"{rule} did not fire")
            for rule in ex.expected.not_rules:
                if rule in fired:
                    problems.append(f"{rule} fired")
            outcomes.append(ExampleOutcome(key, ex.id, ex.expected.status, verdict.status, problems))
    return outcomes
