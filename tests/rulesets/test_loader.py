"""The loader validates every file and fails with file:line, rule id, field and a hint."""
import pytest

from auditor.rulefiles import read_rules_dir
from auditor.rulesets import RulesInvalid, parse_rules
from tests.conftest import RULES_DIR


@pytest.fixture(scope="module")
def sources():
    return read_rules_dir(RULES_DIR)


def errors_for(sources, path, text):
    broken = dict(sources)
    broken[path] = text
    with pytest.raises(RulesInvalid) as exc:
        parse_rules(broken)
    return exc.value.errors


def test_shipped_rules_are_valid(sources):
    rs = parse_rules(sources)
    assert {"US", "GB", "NO"} <= set(rs.countries)
    assert rs.version.startswith("sha256:")


def test_version_changes_with_rules_but_not_examples(sources):
    base = parse_rules(sources).version
    changed = dict(sources)
    changed["countries/us/examples.yaml"] = sources["countries/us/examples.yaml"] + "\n# note\n"
    assert parse_rules(changed).version == base
    changed["countries/us/country.yaml"] = sources["countries/us/country.yaml"] + "\n# note\n"
    assert parse_rules(changed).version != base


def test_yaml_syntax_error_has_line(sources):
    text = sources["countries/us/country.yaml"].replace("regulator: Federal", "regulator: [Federal", 1)
    (err,) = errors_for(sources, "countries/us/country.yaml", text)
    assert err.file == "countries/us/country.yaml" and err.line > 1
    assert "invalid YAML" in err.message


def test_bad_severity_names_rule_field_and_line(sources):
    text = sources["countries/us/country.yaml"]
    lines = text.splitlines()
    idx = next(i for i, l in enumerate(lines) if "id: us.label.rejected" in l)
    sev = next(i for i in range(idx, len(lines)) if lines[i].strip().startswith("severity:"))
    lines[sev] = lines[sev].replace("error", "fatal")
    errs = errors_for(sources, "countries/us/country.yaml", "\n".join(lines))
    err = next(e for e in errs if e.rule_id == "us.label.rejected")
    assert err.line == sev + 1
    assert "severity" in err.field
    assert "us.label.rejected" in str(err) and f"countries/us/country.yaml:{sev + 1}" in str(err)


def test_unknown_kind_gets_a_hint(sources):
    text = sources["countries/us/country.yaml"].replace("kind: require_label", "kind: require_lable", 1)
    errs = errors_for(sources, "countries/us/country.yaml", text)
    assert any("kind must be one of" in (e.hint or "") for e in errs)


def test_unknown_placeholder_and_reference(sources):
    text = sources["countries/us/country.yaml"].replace("{accepted}", "{acepted}", 1)
    errs = errors_for(sources, "countries/us/country.yaml", text)
    assert any("unknown placeholder {acepted}" in e.message for e in errs)
    text = sources["countries/us/country.yaml"].replace("references: [letters2017, disclosures101]",
                                                        "references: [letters2071]", 1)
    errs = errors_for(sources, "countries/us/country.yaml", text)
    assert any("letters2071" in e.message for e in errs)


def test_unknown_label_class_in_vocabulary(sources):
    text = sources["vocab/en.yaml"].replace("class: sp_abbrev", "class: sp_abbreviation", 1)
    errs = errors_for(sources, "vocab/en.yaml", text)
    assert any("unknown label class 'sp_abbreviation'" in e.message for e in errs)


def test_norway_stays_a_string(sources):
    rs = parse_rules(sources)
    assert "NO" in rs.countries and rs.countries["NO"].name == "Norway"


def test_unexpected_file(sources):
    errs = errors_for(sources, "countries/us/notes.yaml", "a: 1\n")
    assert any("unexpected rules file" in e.message for e in errs)


def test_label_terms_may_be_written_with_alternatives(sources):
    rs = parse_rules(sources)
    [family] = [e for e in rs.vocabularies["en"].labels if e.id == "family-statement"]
    # "my sister's|mum's (new) café|bakery" style: every form is a plain phrase after loading
    assert {"my sister's bakery", "my mum's new café", "mam's café", "my little sister just opened her bakery"} \
        - set(family.terms) == {"my little sister just opened her bakery"}
    assert "sister just opened her bakery" in family.terms
    assert not any("|" in t or "(" in t for t in family.terms)


def test_a_term_with_too_many_forms_is_an_error_with_its_line(sources):
    text = sources["vocab/en.yaml"]
    blowup = " ".join(["a|b|c|d"] * 8)     # 4^8 forms
    text = text.replace("terms: [free gift, gift]", f'terms: [free gift, "{blowup}"]', 1)
    errs = errors_for(sources, "vocab/en.yaml", text)
    assert any("expands to more than" in e.message and e.line > 1 for e in errs)
