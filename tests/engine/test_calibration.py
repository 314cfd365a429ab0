"""Behaviours added while calibrating the engine on corpus/heldout.jsonl (each tied to the fact base)."""


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
