"""Material-connection cues: strong ones make a missing label a violation, weak ones a review."""
import pytest


def kinds(v, strength=None):
    return {e.kind for e in v.connection.detected if strength is None or e.strength == strength}


@pytest.mark.parametrize("text,kind", [
    ("use my code ANNA20 for 20% off", "discount_code"),
    ("Bruk koden min LINE20 hos @nordicrun", "discount_code"),
    ("code: SUMMER for free shipping", "discount_code"),
    ("Thanks @glowlab for sending me this", "gifted"),
    ("shop it here https://www.amazon.co.uk/dp/B01?tag=me-21", "affiliate"),
    ("linked: amzn.to/3xYzAb", "affiliate"),
    ("my fave https://rstyle.me/+abc", "affiliate"),
    ("get it https://click.linksynergy.com/deeplink?id=x", "affiliate"),
    ("as a @fitgear ambassador I love", "ambassador"),
])
def test_strong_cues(audit, text, kind):
    v = audit(text=text, countries=["US"], platform="instagram")
    assert kind in kinds(v, "strong")
    assert v.connection.strength == "strong"
    assert v.status == "violation"


@pytest.mark.parametrize("text", [
    "the dress code is black tie",
    "scan the QR code at the door",
    "https://example.com/page?ref=abc&tag=xyz",      # ref=/tag= are only affiliate on their networks
    "https://www.amazon.com/dp/B01",                  # an Amazon link without an associate tag
])
def test_not_cues(audit, text):
    v = audit(text=text, countries=["US"], platform="instagram")
    assert v.connection.strength == "none", v.connection
    assert v.status == "compliant"


def test_weak_cues_need_review_not_violation(audit):
    v = audit(text="Shop now at @fitgear, link in bio", countries=["US"], platform="instagram")
    assert v.connection.strength == "weak"
    assert v.status == "needs_review"


def test_known_relationship_from_contract(audit):
    v = audit(text="Morning run 🏃", countries=["US"], platform="instagram", relationship=["paid"])
    assert v.connection.known == ("paid",)
    assert v.status == "violation"
    v = audit(text="Morning run 🏃 link in bio", countries=["US"], platform="instagram", relationship=["none"])
    assert v.connection.strength == "none" and v.status == "compliant"


def test_not_sponsored_cancels_weak_cues_only(audit):
    v = audit(text="Not sponsored! shop now at @fitgear", countries=["US"], platform="instagram")
    assert v.status == "compliant"
    v = audit(text="Not sponsored! use my code ANNA20", countries=["US"], platform="instagram")
    assert v.status == "violation"


def test_brand_field_mention_is_weak(audit):
    v = audit(text="Loving my new @fitgear shoes", countries=["US"], platform="instagram", brand="@fitgear")
    assert "brand_mention" in kinds(v, "weak")
    assert v.status == "needs_review"


def test_links_field_is_checked(audit):
    v = audit(text="My morning routine", countries=["US"], platform="youtube",
              links=["https://rstyle.me/abc"])
    assert "affiliate" in kinds(v, "strong")
    ev = next(e for e in v.connection.detected if e.kind == "affiliate")
    assert ev.span.field == "links[0]"
