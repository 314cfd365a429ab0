"""The creator's first comment (`first_comment`): its connection cues count, a label only there does not.

Regulators hold that a disclosure only in the comments is not enough - it is behind a click and not seen
with the post (regulations.md: ASA/CMA, FTC, the EU sweep "visible without read more")."""
import pytest

from auditor.posts import KNOWN_FIELDS, PostError, parse_post

CAPTION = "My new favourite trainers from @stridelondon 👟"


def rule_ids(v):
    return {f.rule_id for f in v.findings}


def test_strict_mode_accepts_the_field(rules):
    assert "first_comment" in KNOWN_FIELDS
    post = parse_post({"text": CAPTION, "first_comment": "#ad", "countries": ["GB"]}, rules.countries,
                      strict=True)
    assert post.first_comment == "#ad"
    assert parse_post({"text": CAPTION, "countries": ["GB"]}, rules.countries).first_comment == ""


def test_the_field_must_be_a_string(rules):
    with pytest.raises(PostError) as err:
        parse_post({"text": CAPTION, "first_comment": ["#ad"], "countries": ["GB"]}, rules.countries)
    assert err.value.field == "first_comment"


def test_a_comment_alone_is_not_a_post(rules):
    with pytest.raises(PostError) as err:
        parse_post({"first_comment": "#ad", "countries": ["GB"]}, rules.countries)
    assert err.value.code == "missing_text"


@pytest.mark.parametrize("country,rule", [("GB", "gb.placement.fold"), ("US", "us.placement.fold")])
def test_label_only_in_first_comment_is_behind_a_click(audit, country, rule):
    v = audit(text=CAPTION, first_comment="#ad", countries=[country], platform="instagram")
    assert v.status == "violation"
    assert rule in rule_ids(v)
    f = next(f for f in v.findings if f.rule_id == rule)
    assert [(s.field, s.text) for s in f.evidence] == [("first_comment", "#ad")]
    assert "first comment" in f.message
    assert "caption" in f.fix and "Move" in f.fix
    assert f.fix_label
    # the verdict lists the label, rejected, placed in the comments
    (d,) = v.to_dict()["disclosures"]
    assert d["field"] == "first_comment" and d["text"] == "#ad"
    assert d["countries"] == {country: "rejected"}
    assert d["placement"]["in_comments"] is True and d["placement"]["before_fold"] is False
    # the label still reveals the connection
    assert v.connection.strength == "strong"
    assert v.suggested_caption and v.suggested_caption.endswith(CAPTION)


def test_without_a_placement_rule_it_is_a_missing_label(audit, rules):
    """A country without a before_fold placement rule reports the label in the comment as missing."""
    code = next((c for c, p in rules.countries.items()
                 if not any(r.position == "before_fold" for r in p.applicable("placement", "instagram", "post"))
                 and p.applicable("require_label", "instagram", "post")), None)
    if code is None:
        pytest.skip("every country has a before_fold placement rule")
    v = audit(text=CAPTION, first_comment="#ad", countries=[code], platform="instagram", relationship=["paid"])
    assert v.status == "violation"
    missing = [f for f in v.findings if f.evidence and f.evidence[0].field == "first_comment"]
    assert missing and all("caption" in f.fix for f in missing)


@pytest.mark.parametrize("country", ["GB", "US"])
def test_label_in_caption_and_comment(audit, country):
    v = audit(text="#ad " + CAPTION, first_comment="#ad", countries=[country], platform="instagram")
    assert v.status == "compliant"
    fields = {d["field"]: d["countries"][country] for d in v.to_dict()["disclosures"]}
    assert fields == {"text": "accepted", "first_comment": "rejected"}


def test_caption_label_is_judged_as_it_stands(audit):
    """A rejected caption label stays the finding: the comment's "#ad" does not replace it."""
    alone = audit(text=CAPTION + " #spon", countries=["GB"], platform="instagram", relationship=["paid"])
    both = audit(text=CAPTION + " #spon", first_comment="#ad", countries=["GB"], platform="instagram",
                 relationship=["paid"])
    assert rule_ids(alone) == rule_ids(both) == {"gb.label.rejected"}


@pytest.mark.parametrize("country,rule", [("GB", "gb.label.missing"), ("US", "us.label.missing")])
def test_code_in_first_comment_reveals_the_deal(audit, country, rule):
    caption = "Obsessed with these trainers 👟"
    assert audit(text=caption, countries=[country], platform="instagram").status == "compliant"
    v = audit(text=caption, first_comment="Use my code STRIDE15 for 15% off", countries=[country],
              platform="instagram")
    assert v.status == "violation"
    assert rule_ids(v) == {rule}
    f = v.findings[0]
    assert any(s.field == "first_comment" and "STRIDE15" in s.text for s in f.evidence)
    assert any(e.kind == "discount_code" and e.span.field == "first_comment" for e in v.connection.detected)
    assert v.disclosures == ()


def test_affiliate_link_and_thanks_in_comment_count(audit):
    v = audit(text="Love this candle 🕯️", first_comment="shop it here https://amzn.to/3xYz",
              countries=["US"], platform="instagram")
    assert v.status == "violation" and "us.label.missing" in rule_ids(v)
    assert any(e.kind == "affiliate" and e.span.field == "first_comment" for e in v.connection.detected)
    v = audit(text="Love this candle 🕯️", first_comment="thanks @wickco for the gift!",
              countries=["GB"], platform="instagram")
    assert v.status == "violation"
    assert any(e.kind == "gifted" and e.span.field == "first_comment" for e in v.connection.detected)


POSTS = [
    dict(text="My go-to lipstick 💄 @rougelondon", platform="instagram", relationship=["paid"], countries=["GB"]),
    dict(text="AD | My go-to lipstick 💄 @rougelondon", platform="instagram", countries=["GB", "US"]),
    dict(text="Use my code ELLA10 for 10% off @wickco candles", platform="tiktok", countries=["US", "NO"]),
    dict(text="Obsessed with the new @lumenskin serum ✨ disclosure in the first comment", platform="instagram",
         countries=["US", "ES"]),
    dict(text="Reklame: nye sko fra @nordicrun", platform="instagram", countries=["NO", "DK"]),
    dict(text="Bad day, the bakery was closed. #adorable dog though", platform="instagram", countries=["GB"]),
    dict(platform="instagram", format="story", relationship=["paid"], countries=["GB"],
         frames=["#ad Unboxing my @wickco candles", "Look at this glass 😍"]),
]


@pytest.mark.parametrize("fields", POSTS)
def test_without_first_comment_nothing_changes(audit, fields):
    """No first_comment, or an empty one: the verdict is the same, and has nothing from a comment."""
    v = audit(**fields).to_dict()
    assert audit(**fields, first_comment="").to_dict() == v
    assert audit(**fields, first_comment=None).to_dict() == v
    assert "first_comment" not in repr(v)
    assert all("in_comments" not in d["placement"] for d in v["disclosures"])


def test_a_neutral_comment_changes_nothing(audit):
    for fields in POSTS:
        v = audit(**fields).to_dict()
        assert audit(**fields, first_comment="So happy with these 😍 what do you think?").to_dict() == v
