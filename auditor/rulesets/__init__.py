"""Rulesets: schema, loader (file:line errors) and the loaded RuleSet. No I/O."""
from auditor.rulesets.loader import RuleError, RulesInvalid, parse_rules
from auditor.rulesets.model import CountryPolicy, PlatformPolicy, RuleSet

__all__ = ["RuleError", "RulesInvalid", "parse_rules", "CountryPolicy", "PlatformPolicy", "RuleSet"]
