"""Tuning on the misses of corpus/group-f.jsonl (the held-out set heldout-4 until then): where the brand
is named, self-purchase said plainly, Norway's retouch mark as a label and not a sentence, stays
marked "(hosted)", an employee's "I work there", German "nix", French puffs, US Story frames."""


def rules_of(v):
    return {f.rule_id for f in v.findings}


def evidence(v, kind):
    return [e for e in v.connection.detected if e.kind == kind]


def test_brand_named_only_in_the_transcript_is_evidence_there(audit):
    v = audit(text="Jag testar Sveriges dyraste hörlurar 🎧", transcript="hej allihop! idag testar jag Klango X",
              countries=["SE"], platform="youtube", format="video", brand="Klango")
    [mention] = evidence(v, "brand_mention")
    assert (mention.span.field, mention.span.start, mention.span.text) == ("transcript", 29, "Klango")


def test_brand_named_only_on_a_frame_is_evidence_there(audit):
    v = audit(text="New in 💛 huggies, obsessed", frames=["GOLDTONE JEWELS × KATIE"], countries=["GB"],
              platform="instagram", brand="Goldtone Jewels")
    [mention] = evidence(v, "brand_mention")
    assert (mention.span.field, mention.span.text) == ("frames[0]", "GOLDTONE JEWELS")


def test_bought_myself_is_a_denial(audit):
    v = audit(text="Bought myself the Ravenna bag after 3 years of wanting it 😭 saved up every month.",
              countries=["US"], platform="instagram", brand="Ravenna")
    assert "not_sponsored" in [e.kind for e in v.connection.detected] and v.status == "compliant"
    # a code is still a strong cue, whatever the denial
    coded = audit(text="Bought myself the Ravenna bag 😭 use code ANNA20", countries=["US"],
                  platform="instagram", brand="Ravenna")
    assert coded.status == "violation"


def test_swedish_bought_it_all_myself(audit):
    v = audit(text="Mina favoriter från @hudvård.se 💧 köpte allt själv på rea!", countries=["SE"],
              platform="instagram", brand="Hudvård.se")
    assert v.status == "compliant"


def test_german_nix_negates_sponsored(audit):
    v = audit(text="Outfit of the day 🖤 alles selbst gekauft, nix gesponsert! Mantel @nordlichtmode",
              countries=["DE"], platform="instagram", relationship=["none"])
    assert v.disclosures == () and v.status == "compliant"


def test_retouched_in_a_sentence_is_not_the_norwegian_mark(audit):
    v = audit(text="Annonse for @solvstrand – sommerkjolen ☀️ Bildet er retusjert.", countries=["NO"],
              platform="instagram", relationship=["paid"], retouched=True)
    assert "no.special.retouched" in rules_of(v) and v.status == "violation"


def test_norwegian_mark_described_in_brackets_is_the_mark(audit):
    v = audit(text="[Retusjert-merke øverst til venstre] Sommerkjolen fra @solvstrand ☀️", countries=["NO"],
              platform="instagram", relationship=["paid"], retouched=True)
    assert v.status == "compliant", rules_of(v)


def test_hosted_in_brackets_is_a_weak_label_in_the_us(audit):
    v = audit(text="spring break in Tulum 🌊 stayed at @casaazulresort (hosted) #travel", countries=["US"],
              platform="instagram", relationship=["trip"])
    assert [d.evidence.span.text for d in v.disclosures] == ["hosted"]
    assert rules_of(v) == {"us.label.weak"} and v.status == "needs_review"
    # "hosted" in a sentence is not a label
    said = audit(text="we hosted a dinner for friends at @casaazulresort", countries=["US"], platform="instagram")
    assert said.disclosures == ()


def test_dutch_i_work_there_states_the_employment(audit):
    v = audit(text="Na 6 maanden nog steeds gek op mijn fiets van @stadsfiets (en ja, ik werk er) 🚲",
              countries=["NL"], platform="instagram", relationship=["employee"])
    assert [d.evidence.kind for d in v.disclosures] == ["employee"]
    assert "nl.label.missing" not in rules_of(v)


def test_french_puffs_with_a_tag_between_are_nicotine(audit):
    v = audit(text="Collaboration commerciale 💨 les nouvelles puffs @vapecloud goût mangue 🥭", countries=["FR"],
              platform="instagram", relationship=["paid"])
    assert v.status == "violation" and any(r.startswith("fr.banned") for r in rules_of(v))


def test_us_story_needs_the_label_on_every_frame(audit):
    v = audit(frames=["new fave gum flavor 🍋", "@zestygum watermelon mint is elite", "#ad"], countries=["US"],
              platform="snapchat", format="story", relationship=["paid"])
    [f] = [f for f in v.findings if f.rule_id == "us.stories.frames"]
    assert f.severity == "error" and [s.field for s in f.evidence] == ["frames[0]", "frames[1]"]


def test_referral_code_on_the_brands_own_site_is_an_affiliate_link(audit):
    v = audit(text="Jag testar Sveriges dyraste hörlurar 🎧", links=["https://klango.se/?ref=jonte"],
              countries=["SE"], platform="youtube", format="video", brand="Klango")
    [link] = evidence(v, "affiliate")
    assert (link.span.field, link.entry, link.strength) == ("links[0]", "links.brand_site.referral", "strong")
    assert v.status == "violation"


def test_ref_on_someone_elses_site_means_nothing(audit):
    v = audit(text="Great read on running form https://runnersworld.example/form?ref=homepage",
              countries=["GB"], platform="instagram", brand="Klango")
    assert v.connection.detected == () and v.status == "compliant"


def test_link_to_the_makers_shop_is_a_cue(audit):
    # BGH Influencer I: linking the maker's shop with a purchase push can make a post commercial;
    # the German spelling of the umlaut in the host ("beerenglueck") names "Beerenglück"
    v = audit(text="Dieses Rezept ist der Hammer 🍓 Die Marmelade gibt's hier: https://beerenglueck.de/shop",
              countries=["DE"], platform="instagram", brand="Beerenglück")
    [link] = evidence(v, "call_to_action")
    assert link.span.text == "https://beerenglueck.de/shop" and v.status == "needs_review"
    # a tagged handle names the site too
    tagged = audit(text="Mantel von @nordlichtmode 🖤 gibt's hier: nordlichtmode.de/mantel", countries=["DE"],
                   platform="instagram")
    assert [e.entry for e in evidence(tagged, "call_to_action")] == ["links.brand_site"]


def test_a_companys_job_advert_is_not_a_shop_link(audit):
    v = audit(text="Wir suchen eine:n Social Media Manager:in in Linz! Zur Stellenanzeige: "
                   "https://karriere.donaumedia.example", countries=["AT"], platform="linkedin", brand="Donau Media")
    assert v.status == "compliant"


def test_affiliate_software_parameter_on_any_shop(audit):
    v = audit(text="my go-to socks 🧦 https://cosyfeet.example/products/wool?sca_ref=4411.abc",
              countries=["GB"], platform="instagram")
    [link] = evidence(v, "affiliate")
    assert link.source == "UpPromote (Shopify affiliate app)" and v.status == "violation"


def test_us_story_labelled_on_the_first_frame_only_is_a_review(audit):
    v = audit(frames=["#ad new fave gum flavor 🍋", "@zestygum watermelon mint is elite"], countries=["US"],
              platform="instagram", format="story", relationship=["paid"])
    [f] = [f for f in v.findings if f.rule_id == "us.stories.frames"]
    assert f.severity == "warning" and v.status == "needs_review"


def test_label_at_the_bottom_is_a_violation_where_the_regulator_says_so(audit):
    bottom = audit(text="Veckans middagar 🥕 allt från @gronsaksbolaget som alltid!\n\nReklam", countries=["SE"],
                   platform="instagram", relationship=["paid"])
    assert "se.placement.end" in rules_of(bottom) and bottom.status == "violation"
    # the same label opening the caption, or followed by more text, is not at the end
    top = audit(text="Reklam\n\nVeckans middagar 🥕 allt från @gronsaksbolaget som alltid!", countries=["SE"],
                platform="instagram", relationship=["paid"])
    assert "se.placement.end" not in rules_of(top)
    middle = audit(text="Veckans middagar 🥕 allt från @gronsaksbolaget som alltid!\nReklam för dem, alltså.\n"
                        "Recepten kommer i morgon", countries=["SE"], platform="instagram", relationship=["paid"])
    assert "se.placement.end" not in rules_of(middle)


def test_short_one_line_caption_ending_in_the_label_is_not_at_the_bottom(audit):
    v = audit(text="Solnedgång med nya solglasögonen från @solbrillor_se 🌅 #reklam", countries=["SE"],
              platform="instagram", relationship=["paid"])
    assert "se.placement.end" not in rules_of(v) and v.status == "needs_review"


def test_ai_generated_ad_in_the_eu_asks_for_an_ai_disclosure(audit):
    v = audit(text="Werbung | die neue Sonnenbrille von @lichtblick ☀️", countries=["DE"], platform="instagram",
              relationship=["paid"], ai_generated=True)
    [f] = [f for f in v.findings if f.rule_id == "de.special.ai_generated"]
    assert f.severity == "warning" and f.confidence == "low" and "AI Act" in f.references[0].title
    said = audit(text="Werbung | die neue Sonnenbrille von @lichtblick ☀️ (KI-generiert)", countries=["DE"],
                 platform="instagram", relationship=["paid"], ai_generated=True)
    assert said.status == "compliant"
    # not an EU rule: the US has none
    us = audit(text="#ad the new shades from @lichtblick ☀️", countries=["US"], platform="instagram",
               relationship=["paid"], ai_generated=True)
    assert us.status == "compliant"


def test_labelled_gambling_ad_in_gb_needs_an_audience_check(audit):
    v = audit(text="Ad | Saturday footy accas with @goalrushbet ⚽ who's in? 18+ BeGambleAware", countries=["GB"],
              platform="instagram")
    [f] = [f for f in v.findings if f.rule_id == "gb.sector.gambling"]
    assert f.severity == "warning" and "accas" in f.message
    # a personal post about a bet has no connection: nothing to check
    personal = audit(text="lost my acca again on the last game 😭 never again", countries=["GB"], platform="x")
    assert personal.findings == () and personal.status == "compliant"


def test_alcohol_in_gb_is_noted_not_flagged(audit):
    v = audit(text="Ad | the new small-batch gin and tonic from @juniperhill 🍸", countries=["GB"], platform="instagram")
    assert [f.severity for f in v.findings if f.rule_id == "gb.sector.alcohol"] == ["info"]
    assert v.status == "compliant"


def test_two_part_stamps_past_24_are_minutes_and_seconds(audit):
    # "[45:10]" cannot be a clock's hour: the stream is 50 minutes long, labelled at 0:30 and 35:00
    v = audit(transcript="[00:30] this stream is sponsored by HydraFuel ... [20:00] gg ... [35:00] sponsored by "
                         "HydraFuel again ... [45:10] thanks for watching", countries=["US"], platform="twitch",
              format="live", relationship=["paid"], brand="HydraFuel", text="chill stream")
    assert "us.live.repeated" not in rules_of(v)


def test_several_product_tags_and_nothing_said_ask_for_review(audit):
    v = audit(text="Dagens outfit 🖤 Jakke @nordvest_studio, bukser @kbhdenim, sko @fyrskibet", countries=["DK"],
              platform="instagram")
    [tags] = [e for e in v.connection.detected if e.entry == "post.tags"]
    assert tags.span.text == "@nordvest_studio, bukser @kbhdenim, sko @fyrskibet" and v.status == "needs_review"
    # people one is with are not products; "bought it myself" settles it
    friends = audit(text="Middag med @anna og @peter 🍝", countries=["DK"], platform="instagram")
    assert friends.status == "compliant"
    bought = audit(text="Dagens outfit 🖤 Jakke @nordvest_studio, bukser @kbhdenim - alt er selvkøbt", countries=["DK"],
                   platform="instagram")
    assert bought.status == "compliant"


def test_disclosure_said_once_in_a_long_stream_is_not_repeated(audit):
    base = dict(countries=["US"], platform="instagram", format="live", brand="Sparkpod")
    once = "[00:00] hey guys, this live is sponsored by Sparkpod! [12:00] these earbuds are insane [44:00] code SPARK15"
    v = audit(transcript=once, **base)
    assert "us.live.repeated" in rules_of(v) and v.status == "violation"
    twice = "[00:00] this live is sponsored by Sparkpod! [25:00] again, sponsored by Sparkpod [44:00] code SPARK15"
    assert "us.live.repeated" not in rules_of(audit(transcript=twice, **base))
    # the platform's branded-content label on the stream throughout: a review
    labelled = audit(transcript=once, platform_label=True, **{**base, "platform": "twitch"})
    assert {f.severity for f in labelled.findings if f.rule_id == "us.live.repeated"} == {"warning"}
