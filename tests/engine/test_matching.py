"""What counts as a label, and what must never count (look-alikes)."""
import pytest


def labels(verdict):
    return [(d.evidence.span.text, d.evidence.kind) for d in verdict.disclosures]


@pytest.mark.parametrize("text", [
    "Great hike #adventure #adidas",
    "so bad, so sad",
    "broken hashtag # ad here",
    "I saw an ad for this place on TV",
    "my partner and I went hiking",
    "Sendte inn reklamasjon på jakka",
    "Loading... #adorable #addict",
])
def test_lookalikes_are_not_labels(audit, text):
    v = audit(text=text, countries=["US"], platform="instagram")
    assert labels(v) == []
    assert v.status == "compliant"


@pytest.mark.parametrize("text,expected", [
    ("#ad new shoes", ("#ad", "ad")),
    ("#Ad new shoes", ("#Ad", "ad")),
    ("Ad: new shoes", ("Ad", "ad")),
    ("[AD] new shoes", ("AD", "ad")),
    ("new shoes | ad", ("ad", "ad")),
    ("new shoes (ad)", ("ad", "ad")),
    ("new shoes ✨#ad✨", ("#ad", "ad")),
    ("new shoes #fashion#ad", ("#ad", "ad")),
])
def test_label_shapes(audit, text, expected):
    v = audit(text=text, countries=["US"], platform="instagram")
    assert expected in labels(v)


def test_hashtag_form_and_accents_are_generated(audit):
    v = audit(text="#reklame for @x", countries=["NO"], platform="instagram")
    assert ("#reklame", "ad") in labels(v)


def test_brand_partner_hashtag_suffix(audit):
    v = audit(text="#GlowlabPartner new serum", countries=["US"], platform="instagram")
    assert ("#GlowlabPartner", "brand_partner") in labels(v)
    # "#partner" alone is the rejected shorthand, not a brand partner label
    v = audit(text="new serum #partner", countries=["US"], platform="instagram")
    assert ("#partner", "partner") in labels(v)


def test_negated_label_is_a_not_sponsored_signal(audit):
    v = audit(text="This is not sponsored, I love @glowlab", countries=["US"], platform="instagram")
    assert labels(v) == []
    assert any(e.kind == "not_sponsored" for e in v.connection.detected)
    v = audit(text="Dette er ikke reklame, bare kjærlighet til @fjellkaffe", countries=["NO"], platform="instagram")
    assert labels(v) == []


def test_thanks_needs_a_brand(audit):
    v = audit(text="Thanks everyone for 10k followers!", countries=["GB"], platform="instagram")
    assert labels(v) == [] and v.status == "compliant"
    v = audit(text="Thanks @glowlab for this serum", countries=["GB"], platform="instagram")
    assert any(kind == "thanks" for _, kind in labels(v))


def test_longest_label_wins(audit):
    v = audit(text="Paid partnership with @glowlab", countries=["US"], platform="instagram")
    kinds = [kind for _, kind in labels(v)]
    assert kinds == ["paid_partnership"]


def test_spans_point_into_the_field(audit):
    text = "Sunny day ☀️ 🏖️\nAd: @glowlab sunscreen"
    v = audit(text=text, countries=["US"], platform="instagram")
    span = v.disclosures[0].evidence.span
    assert text[span.start:span.end] == span.text == "Ad"
