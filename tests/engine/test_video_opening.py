"""A video whose only spoken disclosure comes at its end (FTC Disclosures 101, ASCI 'end-only')."""

BODY = ("Hey everyone, welcome back. Today we are looking at the Trailpeak X2, a two person tent that claims "
        "to pitch in under three minutes. I took it out for three nights in the Sierras, through wind and a "
        "little rain. Setup was quick, the poles are colour coded and the fly clips on fast. Inside there is "
        "room for two pads and the vestibule fits both packs. Condensation was low. ")
LATE = BODY + "Overall I really like it. Thanks to Trailpeak for sponsoring this video, this is an ad, bye!"
EARLY = "This video is an ad, sponsored by Trailpeak. " + BODY + "Overall I really like it, bye!"


def findings(v, suffix=".video.opening"):
    return [f for f in v.findings if f.rule_id.endswith(suffix)]


def video(audit, transcript, countries=("US",), fmt="video"):
    return audit(text="Ad: my honest review of the Trailpeak X2 tent", transcript=transcript,
                 countries=list(countries), platform="youtube", format=fmt, relationship=["paid"])


def test_only_at_the_end_is_reported_with_the_label_as_evidence(audit):
    v = video(audit, LATE)
    [f] = findings(v)
    assert (f.rule_id, f.severity, v.status) == ("us.video.opening", "error", "violation")
    assert f.evidence[0].field == "transcript" and f.evidence[0].start > len(LATE) * 2 / 3
    # where the regulator only says "upfront" it is a review
    gb = video(audit, LATE, countries=("GB",))
    assert [(f.rule_id, f.severity) for f in findings(gb)] == [("gb.video.opening", "warning")]


def test_early_label_short_transcript_and_live_are_not_reported(audit):
    assert findings(video(audit, EARLY)) == [] and video(audit, EARLY).status == "compliant"
    # a short transcript (an excerpt, on-screen text) says too little about where in the video it is
    assert findings(video(audit, "Loving this tent so far. Thanks Trailpeak for sponsoring, #ad")) == []
    # a live stream's repeats are judged by the live rules
    assert findings(video(audit, LATE, fmt="live")) == []
