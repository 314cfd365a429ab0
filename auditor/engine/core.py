"""Engine.audit(post) -> Verdict: the one core call every shell (CLI, web, worker) adapts."""
from __future__ import annotations

from auditor.engine.evaluate import COMMENT_PLACEMENT, PostContext, evaluate_country, evaluate_platform, placement_of
from auditor.engine.language import LangDetect, resolve
from auditor.engine.links import LinkClassifier
from auditor.engine.nlp import Pipelines, lower
from auditor.engine.signals import analyze_post
from auditor.rulesets.model import RuleSet
from auditor.rulesets.schema import TOPIC_KINDS
from auditor.types import (
    Connection, Disclosure, Finding, Post, Verdict, status_of,
)


class Engine:
    def __init__(self, rules: RuleSet, language_detection: str = "auto"):
        if language_detection not in ("auto", "always", "never"):
            raise ValueError("language_detection must be auto, always or never")
        self.rules = rules
        self.language_detection = language_detection
        self.pipelines = Pipelines(rules)
        self.links = LinkClassifier(rules.links)
        self.langdetect = LangDetect()
        by_lang = {lang: frozenset(lower(w) for w in v.negations) for lang, v in rules.vocabularies.items()}
        english = by_lang.get("en", frozenset())
        # (label language, post language) -> the negation words that may turn that label around
        self.negations = {(a, b): by_lang[a] | by_lang[b] | english for a in by_lang for b in by_lang}
        self.articles = frozenset(lower(w) for v in rules.vocabularies.values() for w in v.articles)
        self._accepted_examples = {code: self._examples(code) for code in rules.countries}
        # langdetect can only change a verdict where a label must match the post's language
        self._needs_language = {code: c.spec.labels.same_language_as_post for code, c in rules.countries.items()}
        self._audiences: dict[tuple[str, ...], tuple[tuple[str, ...], bool]] = {}
        self._tokenization = {code: self.tokenization_language_of(code) for code in rules.countries}

    def _examples(self, code: str) -> str:
        """A few labels the country accepts, for messages: 'reklame', 'annonse'."""
        country = self.rules.countries[code]
        terms: list[str] = []
        for lang in country.languages:
            vocab = self.rules.vocabularies.get(lang)
            if not vocab:
                continue
            for entry in vocab.labels:
                status = country.label_status(f"{lang}.{entry.id}", entry.label_class, lang, None)
                if status != "accepted" or entry.brand != "optional" or entry.hashtag_suffix:
                    continue
                for term in [t for t in entry.terms if " " not in t][:2]:
                    shown = "#" + term if entry.context == "label" and not term.startswith("#") else term
                    if shown not in terms:
                        terms.append(shown)
        return ", ".join(f"'{t}'" for t in terms[:4]) or "'Ad'"

    def preload(self) -> None:
        """Build every pipeline a post can be tokenized with (workers do this before forking)."""
        langs = {self.tokenization_language_of(c.code) for c in self.rules.countries.values()}
        self.pipelines.preload(sorted(langs))

    def tokenization_language_of(self, country: str) -> str:
        for lang in self.rules.countries[country].languages:
            if lang in self.rules.vocabularies:
                return lang
        return "en"

    def _audience(self, codes: tuple[str, ...], countries) -> tuple[tuple[str, ...], bool]:
        """Candidate languages of an audience, and whether a label must match the post's language."""
        found = self._audiences.get(codes)
        if found is None:
            candidates = tuple(dict.fromkeys([lang for c in countries for lang in c.languages] + ["en"]))
            found = self._audiences[codes] = (candidates, any(self._needs_language[c.code] for c in countries))
        return found

    def tokenization_language(self, post: Post) -> str:
        """The first audience country's language (every vocabulary is matched whatever it is)."""
        return self._tokenization[post.countries[0]] if post.countries else "en"

    @staticmethod
    def _strength(known: tuple[str, ...], detected: tuple, relationship: tuple[str, ...],
                  platform_label: bool | None = None) -> str:
        """strong: a known connection, a strong cue, or the platform's paid-partnership label switched
        on (the creator has declared the commercial content, regulations.md P1-P7 and s.0 item 4: the
        label is "a signal, not a pass"); weak: only weak cues (and none denied)."""
        if known or platform_label is True:
            return "strong"
        strengths = {e.strength for e in detected if e.kind not in TOPIC_KINDS}
        if "strong" in strengths:
            return "strong"
        if "none" not in relationship and "weak" in strengths and "negative" not in strengths:
            return "weak"
        return "none"

    @staticmethod
    def _family_without_trader(post: Post, signals, detected: tuple) -> bool:
        """A family tie is a trigger when the family member is the advertiser (regulations.md s.0
        item 1, s.1, s.13): a post naming no brand and tagging no business ("a birthday quilt from my
        mum") has no trader to be connected to, whatever the contract field says."""
        if post.brand or post.platform_label is True or signals.mentions or signals.labels:
            return False
        # no commercial wording at all ("our family business", a code, a link): nothing is promoted
        return not any(e.kind not in TOPIC_KINDS and e.strength != "negative" for e in detected)

    def audit(self, post: Post) -> Verdict:
        rules = self.rules
        countries = [rules.countries[c] for c in post.countries]
        pipe = self.pipelines.get(self.tokenization_language(post))
        signals = analyze_post(post, pipe, self.links, self.negations, self.articles)

        known = tuple(r for r in post.relationship if r != "none") if post.relationship else ()
        detected = tuple(signals.connection)
        strength = self._strength(known, detected, post.relationship, post.platform_label)
        if known and all(k == "family" for k in known) and self._family_without_trader(post, signals, detected):
            strength = "none"
        connection = Connection(strength, known, detected)

        candidates, needs_language = self._audience(post.countries, countries)
        needed = needs_language and bool(signals.labels)
        language = resolve(signals.stops, post.text or " ".join(post.frames) or post.transcript,
                           candidates, needed, self.language_detection, self.langdetect)

        brand = post.brand or (signals.mentions[0] if signals.mentions else "[brand]")
        platform = rules.platforms.get(post.platform) if post.platform else None
        ctx = PostContext(post, signals, connection, language, platform, brand)

        findings: list[Finding] = []
        per_country: dict[str, dict[int, str]] = {}
        fix_labels: list[str] = []
        for country in countries:
            outcome = evaluate_country(ctx, country, self._accepted_examples[country.code])
            findings.extend(outcome.findings)
            per_country[country.code] = outcome.statuses
            for f in outcome.findings:
                if f.fix_label and f.fix_label not in fix_labels:
                    fix_labels.append(f.fix_label)
        findings.extend(evaluate_platform(ctx))
        if len(findings) > 1:
            findings.sort(key=Finding.sort_key)

        disclosures = tuple(
            Disclosure(hit.evidence, placement_of(ctx, hit),
                       {code: st[id(hit)] for code, st in per_country.items() if id(hit) in st})
            for hit in signals.labels
        ) if signals.labels else ()
        if signals.comment_labels:
            # labels only in the first comment: listed, placed "in the comments", rejected everywhere
            disclosures += tuple(
                Disclosure(hit.evidence, dict(COMMENT_PLACEMENT),
                           {code: st[id(hit)] for code, st in per_country.items() if id(hit) in st})
                for hit in signals.comment_labels)
        suggested = None
        if fix_labels and post.text:
            suggested = " | ".join(fix_labels) + "\n" + post.text
        return Verdict(
            post_id=post.id, status=status_of(findings), countries=post.countries,
            platform=post.platform, format=post.format, language=language, connection=connection,
            disclosures=disclosures, findings=tuple(findings), ruleset_version=rules.version,
            platform_label=post.platform_label, suggested_caption=suggested,
        )
