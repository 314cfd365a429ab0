"""Behaviours added while reviewing the misses of corpus/group-d.jsonl, then the held-out set heldout-2
(each tied to the fact base)."""


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


def test_label_in_a_video_title_is_upfront(audit):
    # a YouTube title is shown whole above the description: a label anywhere in it is seen first
    # (AANA/ACCC "upfront", regulations.md s.14; title_line, P3)
    v = audit(text="I tried a 4WD camping trailer for a week | Paid promotion with Outback Campers",
              countries=["AU"], platform="youtube", format="video", relationship=["paid"], brand="Outback Campers",
              transcript="[00:00] Just so you know, this is a paid promotion with Outback Campers.")
    assert "au.placement.start" not in rule_ids(v)
    # in a long description's last line it is still not upfront
    late = audit(text="I tried a 4WD camping trailer for a week\n\nDay one we drove to the Flinders Ranges, "
                      "day two the gorge, day three the long way home. Paid promotion with Outback Campers",
                 countries=["AU"], platform="youtube", format="video", relationship=["paid"], brand="Outback Campers",
                 transcript="[00:00] Just so you know, this is a paid promotion with Outback Campers.")
    assert "au.placement.start" in rule_ids(late)


def test_live_disclosure_said_once_in_three_hours_is_not_repeated(audit):
    # said once at the start, then three hours of stream: viewers who join later never hear it, which
    # "repeat periodically" is meant to prevent (once, then 30+ minutes: us.live.repeated's
    # max_minutes_once); a review only while the platform's branded-content label is on throughout
    stream = dict(text="LATE NIGHT RANKED GRIND !sponsor", countries=["US"], platform="twitch", format="live",
                  relationship=["paid"], brand="Volt Energy",
                  transcript="[00:01:10] today's stream is sponsored by Volt Energy. [01:45:22] another Volt "
                             "[02:58:40] !volt in chat for the link")
    v = audit(**stream)
    assert rule_ids(v) & {"us.live.periodic", "us.live.repeated"} == {"us.live.periodic", "us.live.repeated"}
    assert v.status == "violation"
    assert audit(platform_label=True, **stream).status == "needs_review"
