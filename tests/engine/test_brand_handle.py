"""The campaign's brand tagged under a handle spelt otherwise, and a denied "collab"."""


def evidence(v, kind):
    return [e for e in v.connection.detected if e.kind == kind]


def test_brand_tagged_under_its_handle_is_a_weak_cue(audit):
    # "Fern Café" tagged as @ferncafecork: the post names the brand, a cue for review (a brand
    # mention alone is never a violation, regulations.md s.0)
    v = audit(text="Brunch at @ferncafecork 🥞 best pancakes in town", countries=["IE"],
              platform="instagram", brand="Fern Café")
    [mention] = evidence(v, "brand_mention")
    assert (mention.span.field, mention.span.text, mention.span.start) == ("text", "@ferncafecork", 10)
    assert v.connection.strength == "weak" and v.status == "needs_review"


def test_handle_named_by_the_brands_longest_part(audit):
    v = audit(text="Fika med @kaffebrenneriet ☕", countries=["SE"], platform="instagram",
              brand="Kaffebrenneriet Fjell")
    assert [e.span.text for e in evidence(v, "brand_mention")] == ["@kaffebrenneriet"]


def test_someone_elses_handle_does_not_name_the_brand(audit):
    v = audit(text="Brunch with @anna 🥞 best pancakes in town", countries=["IE"], platform="instagram",
              brand="Fern Café")
    assert evidence(v, "brand_mention") == [] and v.status == "compliant"
    # a short part ("krem") is not distinctive enough to name "@krem_arktyka"
    short = audit(text="Nowy krem @kremowo", countries=["PL"], platform="instagram", brand="@krem_arktyka")
    assert evidence(short, "brand_mention") == []


def test_no_collab_is_a_denial_not_a_label(audit):
    v = audit(text="no collab, just love these pancakes", countries=["IE"], platform="instagram")
    assert [e.kind for e in v.connection.detected] == ["not_sponsored"]
    assert v.disclosures == () and v.status == "compliant"
    # the same word unnegated is still read as a (rejected) label
    said = audit(text="#collab with @ferncafecork 🥞", countries=["IE"], platform="instagram")
    assert said.status == "violation"


def test_label_opening_its_line_may_name_the_brand_with_a_handle(audit):
    # "Publicité @maison" / "Werbung @hudlab" at the start: the label, then whom it is for
    fr = audit(text="Publicité @maisonlune\nNouvelle routine du soir 🌙", countries=["FR"],
               platform="instagram", relationship=["paid"], brand="Maison Lune")
    assert [d.evidence.span.text for d in fr.disclosures] == ["Publicité"]
    assert "fr.label.missing" not in {f.rule_id for f in fr.findings}
    de = audit(text="Werbung @hudlab Meine neue Creme", countries=["DE"], platform="instagram",
               relationship=["paid"])
    assert [d.evidence.span.text for d in de.disclosures] == ["Werbung"] and de.status == "compliant"
    # the same word inside a sentence, before a handle, is not a label
    tv = audit(text="la nouvelle publicité de @marque à la télé", countries=["FR"], platform="instagram",
               relationship=["paid"])
    assert tv.disclosures == () and "fr.label.missing" in {f.rule_id for f in tv.findings}


def test_family_tie_said_plainly(audit):
    # the FTC wants a family relationship disclosed, and saying it plainly does that (regulations.md s.1)
    us = audit(text="So proud of my sister's brand @glowbysis 💛", countries=["US"], platform="instagram",
               relationship=["family"])
    assert [d.evidence.kind for d in us.disclosures] == ["family_statement"] and us.status == "compliant"
    # elsewhere it says who, not that it is advertising: the word for "ad" is still wanted
    gb = audit(text="So proud of my sister's brand @glowbysis 💛", countries=["GB"], platform="instagram",
               relationship=["family"])
    assert gb.status == "violation"
    # alone, with no known deal, it is a weak connection: review at most, never a violation
    visit = audit(text="Visiting my sister's shop today ☕", countries=["GB"], platform="instagram")
    assert visit.connection.strength == "weak" and visit.status == "needs_review"
