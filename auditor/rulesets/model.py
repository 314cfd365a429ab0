"""Loaded rules, ready for the engine: one object per country and platform, plus vocabularies."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditor.rulesets.schema import (
    CountryFile, Example, LabelEntry, LinksFile, PlatformFile, VocabularyFile,
)
from auditor.types import Reference

STATUS_ORDER = {"accepted": 2, "weak": 1, "rejected": 0}


@dataclass(frozen=True)
class CountryPolicy:
    """One audience country's rules. EU member states share the EU baseline's file."""

    code: str
    name: str
    languages: tuple[str, ...]
    ruleset: str                     # the folder it came from: "no", "eu"
    spec: CountryFile
    references: dict[str, tuple[Reference, ...]]   # rule id -> resolved references
    rules_by_kind: dict[str, tuple[Any, ...]]
    class_status: dict[str, str]
    language_caps: dict[str, str]    # a label in this language is at most ...
    # memo of derived answers (label statuses, applicable rules); filled by use, never changes meaning
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def confidence(self) -> str:
        return self.spec.confidence

    def label_status(self, entry_id: str, label_class: str, language: str | None,
                     post_language: str | None, kinds: frozenset[str] = frozenset()) -> str:
        """accepted | weak | rejected | wrong_language, for a label found in a post.

        `kinds`: the connection kinds the post is known to have (contract relationship, strong cues);
        they matter only for label classes listed in `labels.by_connection`."""
        if kinds and label_class not in self.spec.labels.by_connection:
            kinds = frozenset()
        key = ("status", entry_id, label_class, language, post_language, kinds)
        status = self.memo.get(key)
        if status is None:
            status = self.memo[key] = self._label_status(entry_id, label_class, language, post_language, kinds)
        return status

    def applicable(self, kind: str, platform: str | None, fmt: str) -> tuple[Any, ...]:
        """This country's rules of one kind that apply to a platform and format."""
        key = ("rules", kind, platform, fmt)
        rules = self.memo.get(key)
        if rules is None:
            rules = self.memo[key] = tuple(
                r for r in self.rules_by_kind.get(kind, ())
                if (not r.platforms or platform in r.platforms) and (not r.formats or fmt in r.formats))
        return rules

    def _label_status(self, entry_id: str, label_class: str, language: str | None,
                      post_language: str | None, kinds: frozenset[str] = frozenset()) -> str:
        policy = self.spec.labels
        by_entry = policy.entries.get(entry_id)
        if by_entry is not None:
            return by_entry
        status = self.class_status.get(label_class, "rejected")
        fit = policy.by_connection.get(label_class) if kinds else None
        if fit is not None:
            # "#gifted" on a paid deal understates it; BE's "#gesponsord" fits only a gift without agreement
            if kinds <= set(fit.fits):
                status = fit.status or status
            elif STATUS_ORDER[fit.otherwise] < STATUS_ORDER[status]:
                status = fit.otherwise
        if status == "rejected":
            return "rejected"
        lang_cap = self.language_caps.get(language or "", policy.other_languages)
        if policy.same_language_as_post and post_language and language and language != post_language \
                and post_language in self.language_caps:
            lang_cap = "rejected"
        if STATUS_ORDER[lang_cap] < STATUS_ORDER[status]:
            return "wrong_language" if lang_cap == "rejected" else "weak"
        return status

    def suggested_label(self, language: str | None) -> str:
        labels = self.spec.suggested_label
        if language in labels and language in self.languages:
            return labels[language]
        for lang in self.languages:
            if lang in labels:
                return labels[lang]
        return next(iter(labels.values()))


@dataclass(frozen=True)
class PlatformPolicy:
    spec: PlatformFile
    references: dict[str, tuple[Reference, ...]]
    # memo of derived answers (the rules that apply to a format); filled by use, never changes meaning
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    def label_alone(self, country: str) -> str:
        alone = self.spec.label_alone
        return alone.get(country, alone.get("*", "unknown"))


@dataclass(frozen=True)
class RuleSet:
    version: str
    vocabularies: dict[str, VocabularyFile]
    links: LinksFile
    platforms: dict[str, PlatformPolicy]
    countries: dict[str, CountryPolicy]
    examples: dict[str, tuple[Example, ...]] = field(default_factory=dict)  # ruleset key -> examples
    files: dict[str, str] = field(default_factory=dict)                     # ruleset key -> file path

    def label_entries(self) -> list[tuple[str, LabelEntry]]:
        return [(lang, e) for lang, v in sorted(self.vocabularies.items()) for e in v.labels]

    def rule_ids(self) -> list[str]:
        ids = {r.id for c in self.countries.values() for r in c.spec.rules}
        ids |= {r.id for p in self.platforms.values() for r in p.spec.rules}
        return sorted(ids)

    def country(self, code: str) -> CountryPolicy:
        return self.countries[code]
