"""Tuning on the misses of corpus/group-e.jsonl (the held-out set heldout-3 until then): a one-word
foreign code keyword, Norway's retouch mark as the ad label, banned French promotions said plainly,
the press trip in Germany."""


def rules_of(v):
    return {f.rule_id for f in v.findings}


def kinds(v):
    return [e.kind for e in v.connection.detected]


def test_croatian_kod_is_at_not_a_code(audit):
    # "kod" = "at" in Croatian; the Swedish keyword "kod" before a name in capitals is no code
    v = audit(text="Bila sam kod IKEA i kupila novu lampu 💡", countries=["HR"], platform="instagram")
    assert "discount_code" not in kinds(v) and v.status == "compliant"


def test_foreign_kod_with_a_digit_is_still_a_code(audit):
    v = audit(text="Nova lampa 💡 kod ANA20 za popust", countries=["HR"], platform="instagram")
    assert "discount_code" in kinds(v)


def test_swedish_kod_in_a_swedish_post_is_a_code(audit):
    # the post's own language: a code in capitals without a digit still counts
    v = audit(text="Nya skor från @skoman, använd kod ANNA för rabatt", countries=["SE"], platform="instagram")
    assert "discount_code" in kinds(v) and v.status == "violation"


def test_norway_retouch_mark_is_the_ad_label(audit):
    v = audit(text="Sommerkroppen er klar! 💪 Treningsplanen til @formfit_no",
              frames=["[Forbrukertilsynets merke for retusjert reklame øverst til venstre] Sommerkroppen"],
              countries=["NO"], platform="instagram", relationship=["paid"], retouched=True)
    assert v.status == "compliant", rules_of(v)


def test_the_mark_does_not_count_as_ad_label_elsewhere(audit):
    # only Norway lists the mark as a label; Denmark still wants "reklame"
    v = audit(text="Sommerkroppen er klar! 💪 @formfit_no",
              frames=["[Forbrukertilsynets merke for retusjert reklame] Sommerkroppen"],
              countries=["DK"], platform="instagram", relationship=["paid"], retouched=True)
    assert "dk.label.missing" in rules_of(v)


def test_french_banned_promotions_said_plainly(audit):
    lips = audit(text="Publicité 💉 J'ai fait mes lèvres chez @cliniqueaurore, résultat naturel",
                 countries=["FR"], platform="instagram", relationship=["paid"])
    assert "fr.banned.promotion" in rules_of(lips) and lips.status == "violation"
    crypto = audit(text="Publicité | L'appli @cryptomer pour investir en crypto 🚀",
                   countries=["FR"], platform="instagram", relationship=["paid"])
    assert rules_of(crypto) == {"fr.banned.financial"} and crypto.status == "needs_review"


def test_banned_topic_without_a_deal_is_nothing(audit):
    v = audit(text="Mes pronos du week-end ⚽ PSG 2-1", countries=["FR"], platform="instagram")
    assert v.status == "compliant"


def test_pressereise_is_rejected_in_germany(audit):
    v = audit(text="Pressereise ✈️ 3 Tage Wien mit @hotel_kaiserblick", countries=["DE"],
              platform="instagram", relationship=["trip"])
    assert "de.label.rejected" in rules_of(v)


def test_brand_of_several_words_after_a_label(audit):
    v = audit(text="Proud of our team at Fernleigh Analytics 🚀 DM me for a demo", countries=["GB"],
              platform="linkedin", relationship=["employee"], brand="Fernleigh Analytics")
    assert [d.evidence.span.text for d in v.disclosures] == ["our team at Fernleigh Analytics"]
    # the first word alone is not the brand
    other = audit(text="Proud of our team at Fernleigh today", countries=["GB"], platform="linkedin",
                  relationship=["employee"], brand="Fernleigh Analytics")
    assert other.disclosures == ()


def test_family_tie_without_a_trader(audit):
    v = audit(text="Fødselsdagsgave fra min mor 🥹 en håndlavet quilt", countries=["DK"],
              platform="instagram", relationship=["family"])
    assert v.status == "compliant"
    assert (v.connection.strength, v.connection.known) == ("none", ("family",))   # the verdict says so too
    # a tagged business, a brand field or a commercial word keeps the family tie a connection
    tagged = audit(text="Min fars nye bageri er åbent 🥐 @bageriet_lund", countries=["DK"],
                   platform="instagram", relationship=["family"])
    assert tagged.status == "violation"
    branded = audit(text="Fødselsdagsgave fra min mor 🥹", countries=["DK"], platform="instagram",
                    relationship=["family"], brand="Quiltehuset")
    assert branded.status == "violation"


def test_werbung_in_eigener_sache_is_werbung(audit):
    v = audit(text="Werbung in eigener Sache 🕯️ meine Kerzen sind da", countries=["DE"], platform="instagram",
              relationship=["own_brand"])
    assert v.status == "compliant"


def test_advertising_for_brand_opens_the_caption(audit):
    v = audit(text="Advertising for @trailfox\nNew trail shoes", countries=["GB"], platform="instagram",
              relationship=["paid"])
    assert v.status == "compliant"
    prose = audit(text="The advertising for @trailfox is on every bus stop", countries=["GB"], platform="instagram")
    assert prose.disclosures == () and prose.status == "compliant"


def test_fogra_counts_on_a_post_read_as_english(audit):
    v = audit(text="#Fógra 🍀 Deireadh seachtaine álainn i gConamara le @ostan_na_mara", countries=["IE"],
              platform="instagram", relationship=["trip"])
    assert v.status == "compliant"
