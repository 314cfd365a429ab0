"""Tuning on the misses of corpus/heldout-5.jsonl after it was measured blind (0.88): a Dutch tag on a
French caption in Belgium, "Thanks to @x for the free blender they sent me to try", an end-only "publi"
in a Brazilian video, a label on screen for three seconds of a French or Finnish video."""


def rules_of(v):
    return {f.rule_id for f in v.findings}


def test_unaccented_reclame_is_dutch_on_a_french_caption_in_belgium(audit):
    v = audit(text="#reclame Mon nouveau parfum préféré @senteursbruxelles 🌸 notes de figue et de thé",
              countries=["BE"], platform="instagram", relationship=["paid"])
    assert [d.countries for d in v.disclosures] == [{"BE": "wrong_language"}]
    assert "be.label.language" in rules_of(v) and v.status == "violation"
    # written the French way, it is French
    fr = audit(text="#réclame Mon nouveau parfum préféré @senteursbruxelles 🌸 notes de figue et de thé",
               countries=["BE"], platform="instagram", relationship=["paid"])
    assert fr.status == "compliant", rules_of(fr)


def test_thanks_for_the_free_product_they_sent_me_to_try(audit):
    # FTC Disclosures 101: "Thanks to Acme brand for the free product" works when hard to miss
    v = audit(text="Thanks to @vitablend for the free blender they sent me to try! 🙌 Here's my honest take",
              countries=["US"], platform="instagram", relationship=["gifted"])
    assert v.status == "compliant", rules_of(v)
    # a bare thanks still is not a disclosure
    bare = audit(text="Thanks to @vitablend 🙌 Here's my honest take", countries=["US"], platform="instagram",
                 relationship=["gifted"])
    assert bare.status == "violation"


def test_label_on_screen_for_three_seconds_of_a_long_video(audit):
    base = dict(countries=["FR"], platform="youtube", format="video", relationship=["paid"], brand="Pixelo",
                text="J'ai testé la nouvelle console portable 🎮")
    v = audit(transcript="[00:00-00:03 incrustation : Publicité] [00:04] Salut ! [01:00-09:00 test de la console]",
              **base)
    [f] = [f for f in v.findings if f.rule_id == "fr.video.throughout"]
    assert "3 s of 9 min" in f.message and v.status == "violation"
    # said aloud outside a timed note: its duration is unknown, nothing to measure
    said = audit(transcript="[00:00] Publicité : cette vidéo est sponsorisée par Pixelo. [01:00-09:00 test]", **base)
    assert "fr.video.throughout" not in rules_of(said)
    # shown for most of the video
    long = audit(transcript="[00:00-08:00 incrustation : Publicité] [01:00-09:00 test de la console]", **base)
    assert "fr.video.throughout" not in rules_of(long)


def test_brazilian_video_saying_publi_only_at_the_end(audit):
    v = audit(text="Minha rotina de skincare noturna 🌙", countries=["BR"], platform="youtube", format="video",
              relationship=["paid"], brand="Pelebela",
              transcript="Oi gente, tudo bem? Hoje eu vou mostrar a minha rotina de skincare da noite, passo a "
                         "passo. Primeiro eu tiro a maquiagem com um óleo demaquilante, depois lavo o rosto com um "
                         "gel suave. Em seguida vem o tônico, o sérum de vitamina C e um hidratante leve. Duas "
                         "vezes por semana eu uso uma máscara de argila. Gostaram? Deixem nos comentários. Ah, esse "
                         "vídeo foi uma publi da Pelebela, beijos!")
    assert "br.video.opening" in rules_of(v) and v.status == "violation"


def test_retouch_mark_shown_for_two_seconds_of_a_video(audit):
    v = audit(text="Reklame for @glowfilterapp ✨ slik ser jeg ut med den nye appen", countries=["NO"],
              platform="tiktok", format="video", relationship=["paid"], retouched=True,
              transcript="[00:00-00:02 retusjeringsmerke] [00:02-00:45 video med ansiktsslankende filter, uten merke]")
    [f] = [f for f in v.findings if f.rule_id == "no.special.retouched"]
    assert "2 s of 45 s" in f.message and v.status == "violation"
    whole = audit(text="Reklame for @glowfilterapp ✨", countries=["NO"], platform="tiktok", format="video",
                  relationship=["paid"], retouched=True,
                  transcript="[00:00-00:45 retusjeringsmerke øverst til venstre] [00:02] hei alle sammen")
    assert "no.special.retouched" not in rules_of(whole)


def test_stage_directions_only_do_not_prove_the_video_unlabelled(audit):
    v = audit(text="Ad | 7 days with @glowfair serum, see the difference ✨", countries=["IN"], platform="instagram",
              format="reel", relationship=["paid"], transcript="[before/after with beauty filter on the after shot]")
    assert {f.severity for f in v.findings if f.rule_id == "in.video.in_video"} == {"warning"}
    spoken = audit(text="Ad | 7 days with @glowfair serum ✨", countries=["IN"], platform="instagram", format="reel",
                   relationship=["paid"], transcript="hi guys, seven days with this serum and look at my skin")
    assert {f.severity for f in spoken.findings if f.rule_id == "in.video.in_video"} == {"error"}


def test_commissions_earned_tag_and_polish_gift_from_the_brand(audit):
    v = audit(text="#commissionsearned fall capsule is here 🍂 Shop it all on my LTK", countries=["US"],
              platform="instagram", links=["https://liketk.it/4aBcD"])
    assert [d.evidence.kind for d in v.disclosures] == ["affiliate"] and v.status == "needs_review"
    pl = audit(text="#prezentodmarki @kosmetykinatury 🎁 Paczka pełna nowości", countries=["PL"], platform="instagram",
               relationship=["gifted"])
    assert [d.evidence.kind for d in pl.disclosures] == ["gifted"]


def test_irish_stop_words_stand_where_langdetect_cannot_say_irish(audit):
    v = audit(text="#ad Bricfeasta blasta le @arancoirce 🥣 Is breá liom é!", countries=["IE"], platform="instagram",
              relationship=["paid"])
    assert v.language.code == "ga" and [d.countries for d in v.disclosures] == [{"IE": "wrong_language"}]
    assert "ie.label.language" in rules_of(v)
    english = audit(text="#ad This is the best breakfast from @arancoirce, I love it", countries=["IE"],
                    platform="instagram", relationship=["paid"])
    assert english.language.code == "en" and english.status == "compliant"


def test_hyphenated_host_names_the_tagged_shop(audit):
    v = audit(text="Beste Pfanne ever 😍 Gibt's nur bei @eisenwerk.manufaktur – hier bestellen 👉 "
                   "eisenwerk-manufaktur.de/shop", countries=["DE"], platform="instagram")
    assert "links.brand_site" in [e.entry for e in v.connection.detected if e.kind == "call_to_action"]
    assert v.status == "needs_review"


def test_sponsor_thanked_in_the_last_seconds_of_a_timed_transcript(audit):
    # an excerpt: short, but its timestamps say the only mention comes at 17:40 of 17:40
    v = audit(text="Honest review: TrailMax hiking boots after 300 miles", countries=["US"], platform="youtube",
              format="video", relationship=["paid"], brand="TrailMax",
              transcript="[00:00] So these boots have been with me through the whole Colorado Trail... [17:40] "
                         "would I buy them again? Absolutely. Oh and big thanks to TrailMax for sponsoring this one.")
    assert "us.video.opening" in rules_of(v) and v.status == "violation"
    early = audit(text="Honest review: TrailMax hiking boots after 300 miles", countries=["US"], platform="youtube",
                  format="video", relationship=["paid"], brand="TrailMax",
                  transcript="[00:00] This video is sponsored by TrailMax. So these boots... [17:40] see you next week")
    assert "us.video.opening" not in rules_of(early)
