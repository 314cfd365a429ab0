"""Behaviours added while reviewing the misses of corpus/heldout-2.jsonl (each tied to the fact base)."""


def rule_ids(v):
    return {f.rule_id for f in v.findings}


def test_brand_with_accents_is_named_by_its_plain_handle(audit):
    # UOKiK: name the brand (regulations.md s.20); handles drop accents, as label matching does
    v = audit(text="[WSPÓŁPRACA REKLAMOWA] z @gorskiszlak 🏔️ Weekend w Zakopanem", countries=["PL"],
              platform="instagram", relationship=["trip"], brand="Górski Szlak")
    assert "pl.brand.named" not in rule_ids(v)
    assert v.status == "compliant"
    # a brand named nowhere is still reported
    other = audit(text="[WSPÓŁPRACA REKLAMOWA] Weekend w Zakopanem", countries=["PL"],
                  platform="instagram", relationship=["trip"], brand="Łódzki Szlak")
    assert "pl.brand.named" in rule_ids(other)


def test_own_business_statement_says_whom_it_advertises_for(audit):
    # Forbrukertilsynet: say whom you advertise for; self-promotion is labelled too (s.3)
    v = audit(text="Reklame for min egen nettbutikk 🧶 Nye strikkepakker er ute!", countries=["NO"],
              platform="instagram", relationship=["own_brand"], brand="Garnhimmel")
    assert "no.brand.named" not in rule_ids(v)
    paid = audit(text="Reklame 🧶 Nye strikkepakker er ute!", countries=["NO"], platform="instagram",
                 relationship=["paid"], brand="Garnhimmel")
    assert "no.brand.named" in rule_ids(paid)


def test_nichts_gesponsert_is_a_denial(audit):
    v = audit(text="Outfit of the day 🌼 alles selbst gekauft, nichts gesponsert! Kleid @mango",
              countries=["DE"], platform="threads", relationship=["none"])
    assert v.status == "compliant"
