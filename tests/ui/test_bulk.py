"""Bulk decisions from the queue: tick several posts, one decision (and comment) for the findings
each row shows, one review-log entry per finding exactly as on the post page, all or nothing,
scoped to the organization, back to the same filtered queue page."""
from __future__ import annotations

import html as htmllib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from auditor.models import Finding, ReviewLog, User
from tests.ui.conftest import UiClient, add_user, csrf_token, sign_in

BULK = "/queue/decisions"


def current_findings(runtime, *post_ids) -> list[Finding]:
    with runtime.db.session() as s:
        return list(s.scalars(select(Finding).where(Finding.post_id.in_(post_ids), Finding.current)
                              .order_by(Finding.id)))


def logs(runtime, finding_ids) -> list[ReviewLog]:
    with runtime.db.session() as s:
        return list(s.scalars(select(ReviewLog).where(ReviewLog.finding_id.in_(list(finding_ids)))
                              .order_by(ReviewLog.id)))


def all_logs(runtime) -> int:
    with runtime.db.session() as s:
        return len(s.scalars(select(ReviewLog.id)).all())


def flashes(client: UiClient, location: str) -> list[tuple[str, str]]:
    page = client.get(location).text
    found = re.findall(r'<p class="flash flash-(\w+)">([^<]*)</p>', page)
    return [(kind, htmllib.unescape(text)) for kind, text in found]


def query_of(location: str) -> tuple[str, dict]:
    parts = urlsplit(location)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_queue_shows_the_bulk_bar(reviewer, world):
    page = reviewer.get("/queue?platform=tiktok").text
    assert f'action="{BULK}"' in page and 'id="select-all"' in page
    for name in ("gb_script", "gb_gifted"):
        assert f'name="post" value="{world.ids[name]}"' in page
    assert '<input type="hidden" name="platform" value="tiktok">' in page
    assert '<input type="hidden" name="review" value="open">' in page
    assert 'name="csrf_token"' in page.split(f'action="{BULK}"')[1].split("</form>")[0]
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page    # post content stays text


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"])
def test_bulk_dismiss_logs_every_post_like_a_single_decision(reviewer, runtime, world, db_kind):
    ids = [world.ids["gb_script"], world.ids["gb_gifted"]]
    before = current_findings(runtime, *ids)
    assert {f.post_id for f in before} == set(ids) and all(f.review_state == "open" for f in before)
    reason = "Gifting disclosed in the <video> itself; checked with Tom's agent"
    r = reviewer.form("/queue?platform=tiktok", BULK,
                      {"post": [str(i) for i in ids], "action": "dismiss", "note": f"  {reason} ",
                       "platform": "tiktok", "review": "open"})
    assert r.status_code == 302
    path, args = query_of(r.headers["Location"])
    assert path == "/queue" and args == {"platform": "tiktok", "review": "open"}     # same filtered queue
    assert ("ok", f"Dismissed as a false positive: 2 posts decided ({len(before)} findings).") in \
        flashes(reviewer, r.headers["Location"])

    after = current_findings(runtime, *ids)
    assert all(f.review_state == "dismissed" and f.fix_requested_at is None for f in after)
    entries = logs(runtime, (f.id for f in before))
    assert len(entries) == len(before) and {e.finding_id for e in entries} == {f.id for f in before}
    for e in entries:                     # who, what, from/to, when, and that it was a bulk action
        assert (e.user_id, e.action, e.from_state, e.to_state) == \
            (world.ids["reviewer"], "dismiss", "open", "dismissed")
        assert e.note == f"[bulk decision on 2 posts] {reason}" and e.org_id == world.acme.id
    assert len({e.created_at for e in entries}) == 1                 # one decision, one moment

    for post_id in ids:                                              # the timeline of each post
        page = reviewer.get(f"/posts/{post_id}").text
        entry = page.split('class="timeline"')[1].split("</li>")[0]
        assert "rev@acme.test" in entry and "dismissed as a false positive" in entry
        assert "bulk · 2 posts" in entry
        assert "Gifting disclosed in the &lt;video&gt; itself; checked with Tom&#39;s agent" in entry
        assert "[bulk decision" not in entry
    assert world.ids["gb_script"] in rows(reviewer.get("/queue?review=dismissed").text)


def rows(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-href="/posts/(\d+)"', page)]


def test_request_fix_and_resolve_in_bulk_without_a_comment(reviewer, runtime, world):
    ids = [world.ids["no_wrong_language"], world.ids["gb_gifted"]]
    r = reviewer.form("/queue", BULK, {"post": [str(i) for i in ids], "action": "request_fix"})
    assert "Requested a fix from the influencer: 2 posts decided" in flashes(reviewer, r.headers["Location"])[0][1]
    fixing = current_findings(runtime, *ids)
    assert all(f.review_state == "confirmed" and f.fix_requested_at is not None for f in fixing)
    assert all(e.note == "[bulk decision on 2 posts]" for e in logs(runtime, (f.id for f in fixing)))
    # from the Fix requested tab: mark them resolved
    r = reviewer.form("/queue?review=fix_requested", BULK,
                      {"post": [str(i) for i in ids], "action": "resolve", "review": "fix_requested"})
    assert query_of(r.headers["Location"])[1] == {"review": "fix_requested"}
    assert all(f.review_state == "fixed" and f.fix_requested_at is None for f in current_findings(runtime, *ids))
    assert "bulk · 2 posts" in reviewer.get(f"/posts/{ids[0]}").text


def test_only_the_findings_the_view_shows_are_decided(reviewer, runtime, world):
    post_id, rule = world.ids["no_wrong_language"], world.ids["finding_rule"]
    before = current_findings(runtime, post_id)
    r = reviewer.form(f"/queue?rule={rule}", BULK, {"post": [str(post_id)], "action": "confirm", "rule": rule})
    assert query_of(r.headers["Location"])[1] == {"rule": rule, "review": "open"}
    for f in current_findings(runtime, post_id):
        assert f.review_state == ("confirmed" if f.rule_id == rule else "open"), f.rule_id
    assert len(logs(runtime, (f.id for f in before))) == sum(f.rule_id == rule for f in before)


def test_findings_already_in_that_state_are_skipped_and_said_so(reviewer, runtime, world):
    a, b = world.ids["gb_script"], world.ids["gb_gifted"]
    reviewer.form("/queue", BULK, {"post": [str(a)], "action": "confirm"})
    n = all_logs(runtime)
    r = reviewer.form("/queue?review=all", BULK, {"post": [str(a), str(b)], "action": "confirm", "review": "all"})
    kind, message = flashes(reviewer, r.headers["Location"])[0]
    assert kind == "ok" and "1 post decided" in message and "1 post had nothing left to decide" in message
    assert all_logs(runtime) == n + len(current_findings(runtime, b))
    r = reviewer.form("/queue?review=all", BULK, {"post": [str(a)], "action": "confirm", "review": "all"})
    assert flashes(reviewer, r.headers["Location"])[0][1].startswith("Nothing changed")


def test_filters_and_page_are_kept(reviewer, world, monkeypatch):
    from auditor.web.ui import queries
    monkeypatch.setattr(queries, "PAGE_SIZE", 1)
    second = reviewer.get("/queue?review=all&severity=error&page=2").text
    assert '<input type="hidden" name="page" value="2">' in second
    post_id = rows(second)[0]
    r = reviewer.form("/queue?review=all&severity=error&page=2", BULK,
                      {"post": [str(post_id)], "action": "confirm", "review": "all", "severity": "error", "page": "2"})
    assert query_of(r.headers["Location"]) == ("/queue", {"review": "all", "severity": "error", "page": "2"})


# -- clear errors, nothing changed --------------------------------------------------------------------

@pytest.mark.parametrize("data,message", [
    ({"action": "confirm"}, "Nothing selected: tick the posts to decide on first."),
    ({"post": ["{gb_script}"], "action": "dismiss", "note": "   "},
     "Give the reason these are false positives; it is recorded on every post."),
    ({"post": ["{gb_script}"], "action": "approve"}, "Unknown decision 'approve'; nothing was changed."),
    ({"post": ["{gb_script}"]}, "Choose a decision."),
    ({"post": ["{gb_script}", "drop table"], "action": "confirm"}, "Invalid choice(s)"),
])
def test_bad_requests_change_nothing_and_say_why(reviewer, runtime, world, data, message):
    data = {k: [x.format(**world.ids) for x in v] if isinstance(v, list) else v for k, v in data.items()}
    n = all_logs(runtime)
    r = reviewer.form("/queue?country=GB", BULK, {**data, "country": "GB"})
    assert r.status_code == 302 and query_of(r.headers["Location"])[1] == {"country": "GB", "review": "open"}
    shown = flashes(reviewer, r.headers["Location"])
    assert any(kind == "error" and text.startswith(message) for kind, text in shown), shown
    assert all_logs(runtime) == n
    assert all(f.review_state == "open" for f in current_findings(runtime, world.ids["gb_script"]))


def test_a_post_of_another_organization_rejects_the_whole_request(reviewer, runtime, world):
    ours, theirs = world.ids["gb_script"], world.other_ids["gb_script"]
    n = all_logs(runtime)
    r = reviewer.form("/queue", BULK, {"post": [str(ours), str(theirs)], "action": "confirm"})
    assert ("error", "1 selected post is not in your organization or no longer exists; nothing was changed.") \
        in flashes(reviewer, r.headers["Location"])
    assert all_logs(runtime) == n
    assert all(f.review_state == "open" for f in current_findings(runtime, ours, theirs))
    r = reviewer.form("/queue", BULK, {"post": ["999999"], "action": "confirm"})   # unknown: same answer
    assert any("not in your organization" in t for _, t in flashes(reviewer, r.headers["Location"]))


def test_another_organization_cannot_decide_our_posts(outsider, runtime, world):
    ours = [world.ids["gb_script"], world.ids["no_wrong_language"]]
    r = outsider.form("/queue", BULK, {"post": [str(i) for i in ours], "action": "dismiss", "note": "x"})
    shown = flashes(outsider, r.headers["Location"])
    assert any("2 selected posts are not in your organization" in t for _, t in shown)
    assert all(f.review_state == "open" for f in current_findings(runtime, *ours))
    assert not logs(runtime, (f.id for f in current_findings(runtime, *ours)))


def test_admins_decide_in_bulk_too_and_signed_out_nobody(app, admin, runtime, world):
    r = admin.form("/queue", BULK, {"post": [str(world.ids["gb_script"])], "action": "confirm"})
    assert "1 post decided" in flashes(admin, r.headers["Location"])[0][1]
    entry = logs(runtime, (f.id for f in current_findings(runtime, world.ids["gb_script"])))[0]
    assert entry.user_id == world.ids["admin"]
    client = app.test_client()
    r = client.post(BULK, data={"post": [str(world.ids["gb_gifted"])], "action": "confirm",
                                "csrf_token": csrf_token(client.get("/login").text)})
    assert r.status_code == 401


def test_a_deactivated_reviewer_cannot(app, admin, runtime, world):
    add_user(runtime, "Acme", "temp@acme.test", "reviewer")
    client = app.test_client()
    sign_in(client, "temp@acme.test")
    temp = UiClient(client)
    token = csrf_token(temp.get("/queue").text)
    with runtime.db.transaction() as s:
        s.scalar(select(User).where(User.email == "temp@acme.test")).active = False
    r = client.post(BULK, data={"post": [str(world.ids["gb_script"])], "action": "confirm", "csrf_token": token})
    assert r.status_code == 401
    assert all(f.review_state == "open" for f in current_findings(runtime, world.ids["gb_script"]))


def test_csrf_token_is_required(reviewer, runtime, world):
    n = all_logs(runtime)
    data = {"post": [str(world.ids["gb_script"])], "action": "confirm"}
    assert reviewer.c.post(BULK, data=data).status_code == 400
    assert reviewer.c.post(BULK, data={**data, "csrf_token": "forged"}).status_code == 400
    assert all_logs(runtime) == n


def test_all_or_nothing(reviewer, runtime, world, monkeypatch):
    """A failure on the third finding leaves no entry and no changed state behind."""
    from auditor.web.ui import decisions
    real, calls = decisions.record, []

    def failing(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kw)
    monkeypatch.setattr(decisions, "record", failing)
    ids = [world.ids["no_wrong_language"], world.ids["gb_script"], world.ids["gb_gifted"]]
    n = all_logs(runtime)
    r = reviewer.form("/queue", BULK, {"post": [str(i) for i in ids], "action": "confirm"})
    assert r.status_code == 500 and len(calls) == 3
    assert all_logs(runtime) == n
    assert all(f.review_state == "open" for f in current_findings(runtime, *ids))
