"""Rules turn signals into findings; the status is derived from the worst finding."""
from auditor.types import Finding, status_of

LONG = ("Sunday reset! Clean sheets, fresh flowers, a long walk and finally some time for me. Tried "
        "the new lavender body wash from @bloomco and it smells like a spa. Highly recommend. ")


def rule_ids(v):
    return {f.rule_id for f in v.findings}


def test_status_is_the_worst_finding():
    f = lambda sev: Finding("x.y", "US", sev, "m", "f")  # noqa: E731
    assert status_of([]) == "compliant"
    assert status_of([f("info")]) == "compliant"
    assert status_of([f("info"), f("warning")]) == "needs_review"
    assert status_of([f("warning"), f("error")]) == "violation"


def test_worst_over_countries(audit):
    v = audit(text="#ad new shoes from @nordicrun", countries=["US", "NO"], platform="instagram")
    by_country = {f.country: f.rule_id for f in v.findings}
    assert "US" not in by_country
    assert by_country["NO"] == "no.label.language"
    assert v.status == "violation"
    d = v.disclosures[0]
    assert d.countries == {"US": "accepted", "NO": "wrong_language"}


def test_finding_carries_evidence_references_and_fix(audit):
    v = audit(text="#spon lipstick @rougelondon", countries=["GB"], platform="instagram", relationship=["paid"])
    (f,) = v.findings
    assert f.rule_id == "gb.label.rejected"
    assert [e.text for e in f.evidence] == ["#spon"]
    assert f.references and f.references[0].url.startswith("http")
    assert "#ad" in f.fix and f.fix_label == "#ad"
    assert v.suggested_caption.startswith("#ad\n")
    assert v.ruleset_version.startswith("sha256:")


def test_fix_names_the_brand_in_the_country_language(audit):
    v = audit(text="Nye sko!", countries=["NO"], platform="instagram", relationship=["paid"], brand="@nordicrun")
    (f,) = [f for f in v.findings if f.rule_id == "no.label.missing"]
    assert f.fix_label == "Reklame for @nordicrun"
    assert "Reklame for @nordicrun" in f.fix


def test_placement_after_fold(audit):
    v = audit(text=LONG + "#ad", countries=["US"], platform="instagram", relationship=["paid"])
    assert "us.placement.fold" in rule_ids(v)
    # a blog has no "more" cut-off
    v = audit(text=LONG + "Ad: this post was paid for by Bloomco.", countries=["US"], platform="blog",
              relationship=["paid"])
    assert "us.placement.fold" not in rule_ids(v)


def test_fold_counts_lines(audit):
    text = "Sunday\nreset\nwith\nmy @bloomco body wash #ad"
    v = audit(text=text, countries=["US"], platform="instagram", relationship=["paid"])
    assert "us.placement.fold" in rule_ids(v)


def test_hashtag_block_strict_and_leading(audit):
    v = audit(text="Loving this bag! #fashion #ootd #style #ad", countries=["US"], platform="instagram",
              relationship=["paid"])
    assert "us.placement.hashtags" in rule_ids(v)
    v = audit(text="#ad #fashion #ootd Loving this bag!", countries=["US"], platform="instagram",
              relationship=["paid"])
    assert v.status == "compliant"


def test_start_placement_is_a_warning(audit):
    v = audit(text="For en tur i dag med nye sko fra @nordicrun! reklame", countries=["NO"], platform="instagram",
              relationship=["paid"])
    assert "no.placement.start" in rule_ids(v)
    assert v.status == "needs_review"


def test_stories_need_every_frame(audit):
    frames = ["#ad unboxing @wickco", "look at this", "#ad swipe up"]
    v = audit(frames=frames, format="story", countries=["GB"], platform="instagram", relationship=["paid"])
    (f,) = [f for f in v.findings if f.rule_id == "gb.stories.frames"]
    assert [e.field for e in f.evidence] == ["frames[1]"]
    assert "2" in f.message


def test_video_transcript_and_live_repetition(audit):
    base = dict(countries=["US"], platform="youtube", relationship=["paid"], text="Ad: review of @fitgear")
    v = audit(format="video", transcript="hello and welcome to my channel", **base)
    assert "us.video.in_video" in rule_ids(v)
    v = audit(format="video", transcript="this video is sponsored by fitgear. hello", **base)
    assert v.status == "compliant"
    long_talk = "this stream is sponsored by fitgear. " + "we keep playing and talking. " * 400
    v = audit(format="live", transcript=long_talk, **{**base, "platform": "twitch"})
    assert "us.live.repeated" in rule_ids(v)
    # no transcript given: the in-video check cannot run and says nothing
    v = audit(format="video", **base)
    assert "us.video.in_video" not in rule_ids(v)


def test_platform_label_alone(audit):
    v = audit(text="New trainers", countries=["US"], platform="instagram", relationship=["paid"], platform_label=True)
    assert rule_ids(v) == {"us.platform_label.alone"}
    assert v.status == "violation"
    v = audit(text="New trainers", countries=["GB"], platform="instagram", relationship=["paid"], platform_label=True)
    assert v.status == "needs_review"     # stance not established: review, not violation


def test_platform_tool_rule(audit):
    v = audit(text="#ad new drop from @fitgear", countries=["US"], platform="tiktok", relationship=["paid"],
              platform_label=False)
    (f,) = v.findings
    assert f.rule_id == "tiktok.tool.disclosure" and f.country is None and f.severity == "warning"
    # unknown label state (not given): no platform finding
    v = audit(text="#ad new drop from @fitgear", countries=["US"], platform="tiktok", relationship=["paid"])
    assert v.findings == ()


def test_special_label_retouched(audit):
    v = audit(text="Reklame for @sommer ☀️", countries=["NO"], platform="instagram", relationship=["paid"],
              retouched=True)
    assert "no.special.retouched" in rule_ids(v)
    v = audit(text="Reklame for @sommer ☀️", countries=["NO"], platform="instagram", relationship=["paid"],
              retouched=True, frames=["Retusjert person"])
    assert "no.special.retouched" not in rule_ids(v)
    # not advertising: the retouch rule is about advertising
    v = audit(text="Feriebilde ☀️", countries=["NO"], platform="instagram", retouched=True)
    assert v.status == "compliant"


def test_name_brand(audit):
    v = audit(text="Reklame! Nye sko til høsten", countries=["NO"], platform="instagram", relationship=["paid"])
    assert "no.brand.named" in rule_ids(v)
    v = audit(text="Reklame for @nordicrun! Nye sko", countries=["NO"], platform="instagram", relationship=["paid"])
    assert "no.brand.named" not in rule_ids(v)


def test_findings_are_sorted_and_stable(audit):
    text = "#ad Nye sko fra @nordicrun #tur #løp #høst"
    a = audit(text=text, countries=["NO", "GB", "US"], platform="tiktok", relationship=["paid"],
              platform_label=False)
    b = audit(text=text, countries=["US", "GB", "NO"], platform="tiktok", relationship=["paid"],
              platform_label=False)
    assert [f.sort_key() for f in a.findings] == sorted(f.sort_key() for f in a.findings)
    assert [f.rule_id for f in a.findings] == [f.rule_id for f in b.findings]
