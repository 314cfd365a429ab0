"""Behaviours added while calibrating the engine on corpus/group-c.jsonl (each tied to the fact base)."""


def rule_ids(v):
    return {f.rule_id for f in v.findings}


def test_platform_label_on_declares_a_connection(audit):
    # the creator switched on the paid-partnership label: a declared commercial relationship even when
    # the caption shows no cue (regulations.md P1-P7, s.0 item 4: "a signal, not a pass")
    v = audit(text="Min morgonrutin med @ekdalshud", countries=["SE"], platform="tiktok", format="video",
              platform_label=True)
    assert v.connection.strength == "strong"
    assert v.status == "needs_review"                  # SE: stance on the tool alone UNCONFIRMED
    assert "se.platform_label.alone" in rule_ids(v)
    off = audit(text="Min morgonrutin med @ekdalshud", countries=["SE"], platform="tiktok", format="video")
    assert off.connection.strength == "none" and off.status == "compliant"
    # where the label alone is accepted, it stays compliant
    ie = audit(text="Galway girlies @shannonspirits", countries=["IE"], platform="instagram", platform_label=True)
    assert ie.status == "compliant"


def test_youtube_label_opening_the_description_is_at_the_start(audit):
    text = "Jag testade Sveriges billigaste robotdammsugare\n\nReklam för Dammfri AB"
    v = audit(text=text, countries=["SE"], platform="youtube", format="video", brand="Dammfri",
              transcript="[text i bild: REKLAM FÖR DAMMFRI] Den här videon är reklam för Dammfri.")
    assert "se.placement.start" not in rule_ids(v)
    assert v.status == "compliant"
    # the description's second paragraph is not its start
    late = audit(text="Jag testade Sveriges billigaste robotdammsugare\n\nKolla in den. Den är så bra, "
                      "verkligen bäst. Reklam för Dammfri AB", countries=["SE"],
                 platform="youtube", format="video", brand="Dammfri",
                 transcript="Den här videon är reklam för Dammfri.")
    assert "se.placement.start" in rule_ids(late)
    # an Instagram caption has no title line
    ig = audit(text="Jag testade Sveriges billigaste robotdammsugare\n\nReklam för Dammfri AB", countries=["SE"],
               platform="instagram", brand="Dammfri")
    assert "se.placement.start" in rule_ids(ig)


def test_devanagari_hashtag_label(audit):
    # "#विज्ञापन": Devanagari vowel signs are combining marks, not \w; the hashtag is still one word
    from auditor.engine.nlp import hashtag_form
    assert hashtag_form("विज्ञापन") == "#विज्ञापन"
    assert hashtag_form("reklame for") == "#reklamefor"
    assert hashtag_form("don't") == "#dont"
    assert hashtag_form("a.b") is None
    v = audit(text="#विज्ञापन इस गर्मी @kesarkulfi की नई मैंगो कुल्फी ज़रूर ट्राई करें 🥭", countries=["IN"],
              platform="instagram", relationship=["paid"])
    assert [d.evidence.entry for d in v.disclosures] == ["hi.vigyapan"]
    assert v.status == "compliant"
    # the bare word in a sentence is still not a label ("saw an ad on TV")
    tv = audit(text="कल टीवी पर विज्ञापन देखा, बहुत मज़ेदार था", countries=["IN"], platform="instagram")
    assert not tv.disclosures


def test_platform_label_is_not_spoken(audit):
    # IN: the YouTube tag is an accepted label (ASCI), but DoCA wants video disclosures in audio too
    talk = dict(text="Nebula N5 full review\n\nBuy: https://nebulamobile.example/n5", countries=["IN"],
                platform="youtube", format="video", platform_label=True, brand="Nebula Mobile")
    v = audit(transcript="Namaste dosto! Aaj hum baat karenge Nebula N5 ki. Camera ekdum mast hai.", **talk)
    assert "in.video.in_video" in rule_ids(v) and v.status == "needs_review"
    said = audit(transcript="Yeh video Nebula ke saath paid partnership hai. Camera ekdum mast hai.", **talk)
    assert said.status == "compliant"
    # a reel with music only has nothing spoken to disclose in
    music = audit(text="Monsoon ready @rainyday_in jacket", countries=["IN"], platform="instagram", format="reel",
                  platform_label=True, relationship=["paid"], transcript="[on-screen: monsoon ready] [music]")
    assert music.status == "compliant"


def test_live_with_platform_label_still_needs_spoken_repeats(audit):
    # NL: in a live the sponsor must be said regularly (s.8); Twitch's label shows throughout: review
    post = dict(text="Zaterdag-stream: Elden Ring no-hit run | !muis", countries=["NL"], platform="twitch",
                format="live", relationship=["paid"], brand="Klikmuis",
                transcript="[0:01] Deze stream wordt gesponsord door Klikmuis! [2:40:00] die Klikmuis Pro is "
                           "echt strak, !muis voor de link [4:55:00] bedankt voor het kijken")
    on = audit(platform_label=True, **post)
    assert "nl.live.repeated" in rule_ids(on) and on.status == "needs_review"
    off = audit(**post)
    assert off.status == "violation"


def test_restricted_product_is_not_cured_by_a_label(audit):
    # FR loi 2023-451: influencers may not promote aesthetic procedures posing health risks (s.7)
    paid = audit(text="Publicité | Mon injection d'acide hyaluronique chez @cliniqueeclat 💉 -20% avec mon code MARINE20",
                 countries=["FR"], platform="instagram", relationship=["paid"])
    assert "fr.banned.promotion" in rule_ids(paid) and paid.status == "violation"
    # a personal post about the same procedure has no connection: nothing to ban
    own = audit(text="Ma première injection d'acide hyaluronique, j'avais tellement peur 😅", countries=["FR"],
                platform="instagram")
    assert own.connection.strength == "none" and own.status == "compliant"
    # a serum with hyaluronic acid is not a procedure
    serum = audit(text="Publicité | Le sérum à l'acide hyaluronique de @peaudouce 💧", countries=["FR"],
                  platform="instagram", relationship=["paid"])
    assert "fr.banned.promotion" not in rule_ids(serum)
    # other countries have no such rule
    be = audit(text="Publicité | Mon injection d'acide hyaluronique chez @cliniqueeclat", countries=["BE"],
               platform="instagram", relationship=["paid"])
    assert not any(f.rule_id.endswith("banned.promotion") for f in be.findings)
