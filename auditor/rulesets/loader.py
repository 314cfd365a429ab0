"""Turn the text of the rules files into a validated RuleSet, or fail with `file:line` errors.

Pure: the caller reads the files (see auditor.rulefiles) and passes {relative path: text}.
Layout under rules/:
  vocab/<lang>.yaml                  labels and material-connection wording of one language
  links.yaml                         affiliate and tracking link patterns
  platforms/<platform>.yaml          native label, "more" cut-off, platform-policy rules
  countries/<cc>/country.yaml        one country's policy and rules (eu/ is the EU baseline)
  countries/<cc>/examples.yaml       example posts with their expected outcome
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Mapping

from pydantic import BaseModel, ValidationError

from auditor.rulesets.model import CountryPolicy, PlatformPolicy, RuleSet
from auditor.rulesets.schema import (
    CountryFile, ExamplesFile, LinksFile, PlatformFile, Source, VocabularyFile,
)
from auditor.rulesets.yamlines import YamlError, line_of, load_with_lines
from auditor.types import PLATFORMS, Reference


@dataclass(frozen=True)
class RuleError:
    file: str
    line: int
    message: str
    rule_id: str | None = None
    field: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        parts = [where]
        if self.rule_id:
            parts.append(f"rule {self.rule_id}")
        if self.field:
            parts.append(f"field '{self.field}'")
        text = ": ".join(parts) + ": " + self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class RulesInvalid(Exception):
    def __init__(self, errors: list[RuleError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


_HINTS = {
    "missing": "add this field",
    "extra_forbidden": "remove it or check its spelling",
    "union_tag_invalid": "kind must be one of require_label, forbid_label, label_language, placement, "
                         "name_brand, stories, in_video, live, platform_label, special_label, platform_tool",
    "union_tag_not_found": "every rule needs a kind",
    "string_pattern_mismatch": "check the allowed characters",
}


def _validate(model: type[BaseModel], path: str, text: str, errors: list[RuleError],
              line_maps: dict[str, dict] | None = None) -> Any:
    try:
        data, lines = load_with_lines(text)
    except YamlError as exc:
        errors.append(RuleError(path, exc.line, exc.message, hint="check indentation and quoting"))
        return None
    if line_maps is not None:
        line_maps[path] = lines
    if not isinstance(data, dict):
        errors.append(RuleError(path, 1, "expected a mapping at the top of the file"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            rule_id = _rule_id(data, loc)
            field = ".".join(str(p) for p in loc if not isinstance(p, int)) or None
            errors.append(RuleError(path, line_of(lines, loc), err["msg"], rule_id=rule_id,
                                    field=field, hint=_HINTS.get(err["type"])))
        return None


def _rule_id(data: dict, loc: tuple) -> str | None:
    if len(loc) >= 2 and loc[0] in ("rules", "labels", "connection", "networks", "examples") \
            and isinstance(loc[1], int):
        items = data.get(loc[0])
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            value = items[loc[1]].get("id")
            return str(value) if value is not None else None
    return None


def _refs(rules, sources: dict[str, Source]) -> dict[str, tuple[Reference, ...]]:
    out = {}
    for rule in rules:
        resolved = []
        for ref in rule.references:
            src = sources[ref] if isinstance(ref, str) else ref
            resolved.append(Reference(src.title, src.url))
        out[rule.id] = tuple(resolved)
    return out


def _policy(code: str, name: str, languages: tuple[str, ...], key: str, spec: CountryFile) -> CountryPolicy:
    by_kind: dict[str, list] = defaultdict(list)
    for rule in spec.rules:
        by_kind[rule.kind].append(rule)
    class_status = {}
    for status in ("accepted", "weak", "rejected"):
        for c in getattr(spec.labels, status):
            class_status[c] = status
    # a member state of the EU baseline reads its own languages; other languages are capped
    caps = {lang: "accepted" for lang in languages} if spec.members else dict(spec.labels.languages)
    return CountryPolicy(code=code, name=name, languages=languages, ruleset=key, spec=spec,
                         references=_refs(spec.rules, spec.sources),
                         rules_by_kind={k: tuple(v) for k, v in by_kind.items()},
                         class_status=class_status, language_caps=caps)


def parse_rules(sources: Mapping[str, str]) -> RuleSet:
    errors: list[RuleError] = []
    vocabularies: dict[str, VocabularyFile] = {}
    platforms: dict[str, PlatformPolicy] = {}
    countries: dict[str, CountryPolicy] = {}
    examples: dict[str, tuple] = {}
    files: dict[str, str] = {}
    links: LinksFile | None = None
    line_maps: dict[str, dict] = {}
    digest = hashlib.sha256()

    for path in sorted(sources):
        text = sources[path]
        parts = path.split("/")
        if not path.endswith("examples.yaml"):
            digest.update(path.encode() + b"\0" + text.encode() + b"\0")
        if parts[0] == "vocab" and len(parts) == 2:
            vocab = _validate(VocabularyFile, path, text, errors, line_maps)
            if vocab:
                if parts[1] != f"{vocab.language}.yaml":
                    errors.append(RuleError(path, 1, f"file name must be {vocab.language}.yaml",
                                            field="language"))
                vocabularies[vocab.language] = vocab
        elif path == "links.yaml":
            links = _validate(LinksFile, path, text, errors)
        elif parts[0] == "platforms" and len(parts) == 2:
            spec = _validate(PlatformFile, path, text, errors, line_maps)
            if spec:
                if parts[1] != f"{spec.platform}.yaml":
                    errors.append(RuleError(path, 1, f"file name must be {spec.platform}.yaml",
                                            field="platform"))
                platforms[spec.platform] = PlatformPolicy(spec, _refs(spec.rules, spec.sources))
        elif parts[0] == "countries" and len(parts) == 3 and parts[2] == "country.yaml":
            spec = _validate(CountryFile, path, text, errors, line_maps)
            if spec:
                key = parts[1]
                files[key] = path
                if spec.members:
                    for code, member in sorted(spec.members.items()):
                        countries[code] = _policy(code, member.name, member.languages, key, spec)
                else:
                    if key != spec.country.lower():
                        errors.append(RuleError(path, 1, f"folder must be countries/{spec.country.lower()}/",
                                                field="country"))
                    countries[spec.country] = _policy(spec.country, spec.name, spec.languages, key, spec)
        elif parts[0] == "countries" and len(parts) == 3 and parts[2] == "examples.yaml":
            ex = _validate(ExamplesFile, path, text, errors)
            if ex:
                examples[parts[1]] = ex.examples
        elif path.endswith((".yaml", ".yml")):
            errors.append(RuleError(path, 1, "unexpected rules file",
                                    hint="see rules/README.md for the layout"))

    if links is None and not any(e.file == "links.yaml" for e in errors):
        errors.append(RuleError("links.yaml", 1, "missing links.yaml"))
    if not errors:   # cross-file checks only make sense once every file is valid on its own
        _cross_check(vocabularies, countries, platforms, files, errors, line_maps)
    if errors:
        raise RulesInvalid(errors)
    return RuleSet(version="sha256:" + digest.hexdigest()[:16], vocabularies=vocabularies,
                   links=links, platforms=platforms, countries=countries, examples=examples,
                   files=files)


def _cross_check(vocabularies, countries, platforms, files, errors, line_maps) -> None:
    def at(path: str, *loc) -> int:
        return line_of(line_maps.get(path, {}), loc)

    entry_ids = {f"{lang}.{e.id}" for lang, v in vocabularies.items() for e in (*v.labels, *v.connection)}
    seen_keys = set()
    for policy in countries.values():
        if policy.ruleset in seen_keys:
            continue
        seen_keys.add(policy.ruleset)
        spec, path = policy.spec, files[policy.ruleset]
        for entry in spec.labels.entries:
            if entry not in entry_ids:
                errors.append(RuleError(path, at(path, "labels", "entries", entry),
                                        f"labels.entries names unknown vocabulary entry {entry!r}",
                                        field="labels.entries", hint="use <language>.<entry id>"))
        if not spec.members:
            for lang in spec.languages:
                if lang not in vocabularies:
                    errors.append(RuleError(path, at(path, "languages"), f"no vocabulary for language {lang!r}",
                                            field="languages", hint=f"add rules/vocab/{lang}.yaml"))
        prefix = policy.ruleset + "."
        for i, rule in enumerate(spec.rules):
            if not rule.id.startswith(prefix):
                errors.append(RuleError(path, at(path, "rules", i, "id"), f"rule id must start with {prefix!r}",
                                        rule_id=rule.id, field="id"))
            for topic in getattr(rule, "topics", ()):
                if topic not in entry_ids:
                    errors.append(RuleError(path, at(path, "rules", i, "id"),
                                            f"topics names unknown vocabulary entry {topic!r}", rule_id=rule.id,
                                            field="topics", hint="use <language>.<connection entry id>"))
    for name, platform in platforms.items():
        path = f"platforms/{name}.yaml"
        for i, rule in enumerate(platform.spec.rules):
            if not rule.id.startswith(name + "."):
                errors.append(RuleError(path, at(path, "rules", i, "id"), f"rule id must start with '{name}.'",
                                        rule_id=rule.id, field="id"))
        for code in platform.spec.label_alone:
            if code != "*" and code not in countries:
                errors.append(RuleError(path, at(path, "label_alone", code),
                                        f"label_alone names unknown country {code!r}", field="label_alone",
                                        hint="use an ISO 3166-1 alpha-2 code that has a ruleset"))
    for p in PLATFORMS:
        if platforms and p not in platforms:
            errors.append(RuleError(f"platforms/{p}.yaml", 1, f"missing platform file for {p}"))
