"""The review UI's pages with Flask's test client: sign-in and sessions, the queue, the post page
(highlights, escaping, decisions, comments, timeline), re-audit and versions, the campaign
dashboard and the close report, administration."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import select, text

from auditor.models import Finding, PostEvent, ReviewLog
from tests.ui.conftest import PASSWORD, csrf_token, sign_in


def finding_of(runtime, finding_id: int) -> Finding:
    with runtime.db.session() as s:
        return s.get(Finding, finding_id)


# -- sign-in and sessions ---------------------------------------------------------------------------

def test_sign_in_sets_a_hardened_session_cookie(app, world):
    client = app.test_client()
    assert client.get("/queue").headers["Location"].startswith("/login?next=/queue")
    r = sign_in(client, "REV@acme.test")            # e-mail is case-insensitive
    assert r.headers["Location"] == "/queue"
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("auditor_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/queue")
    assert page.status_code == 200 and "rev@acme.test" in page.text and "Acme" in page.text


def test_cookie_secure_flag_is_configurable(runtime, world):
    from auditor.web import create_app
    app = create_app(runtime=runtime.__class__(runtime.settings.with_(session_cookie_secure=False)), preload=False)
    app.extensions["auditor"]._rules = runtime.rules
    client = app.test_client()
    r = sign_in(client, "rev@acme.test")
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("auditor_session="))
    assert "Secure" not in cookie and "HttpOnly" in cookie


def test_wrong_password_and_unknown_user_look_the_same(app, world):
    client = app.test_client()
    a = sign_in(client, "rev@acme.test", "wrong password", expect=401)
    b = sign_in(client, "nobody@acme.test", "wrong password", expect=401)
    assert "Wrong e-mail or password." in a.text and "Wrong e-mail or password." in b.text
    assert client.get("/queue").status_code == 302


def test_sign_in_is_throttled_after_repeated_failures(app, world):
    client = app.test_client()
    for _ in range(5):
        sign_in(client, "rev@acme.test", "guess", expect=401)
    r = sign_in(client, "rev@acme.test", PASSWORD, expect=429)   # even the right password waits
    assert "Too many failed sign-ins" in r.text


def test_sign_in_form_needs_its_csrf_token(app, world):
    r = app.test_client().post("/login", data={"email": "rev@acme.test", "password": PASSWORD})
    assert r.status_code == 400


def test_next_never_redirects_off_site(app, world):
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    for target in ("https://evil.example/x", "//evil.example", "/\\evil.example"):
        r = client.post(f"/login?next={target}", data={"email": "rev@acme.test", "password": PASSWORD,
                                                       "csrf_token": token})
        assert r.headers["Location"] == "/queue", target
        client.post("/logout", data={"csrf_token": csrf_token(client.get("/queue").text)})
        token = csrf_token(client.get("/login").text)


def test_sign_out_ends_the_session(reviewer):
    r = reviewer.form("/queue", "/logout")
    assert r.status_code == 302
    assert reviewer.get("/queue").status_code == 302


def test_deactivated_user_is_signed_out(reviewer, admin, world):
    assert reviewer.get("/queue").status_code == 200
    admin.form("/admin", f"/admin/users/{world.ids['reviewer']}/active")
    assert reviewer.get("/queue").status_code == 302
    sign_in(reviewer.c, "rev@acme.test", expect=401)


def test_api_keeps_working_without_csrf(app, world):
    r = app.test_client().post("/api/v1/check", headers=world.acme.h("check"),
                               json={"text": "#ad new shoes from @nordicrun", "countries": ["GB"]})
    assert r.status_code == 200 and r.json["status"]


# -- the queue --------------------------------------------------------------------------------------

def rows(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-href="/posts/(\d+)"', html)]


def test_queue_lists_flagged_posts_worst_then_oldest(reviewer, world):
    html = reviewer.get("/queue").text
    ids = rows(html)
    assert world.ids["no_compliant"] not in ids                   # nothing to review
    assert world.ids["no_wrong_language"] in ids and world.ids["gb_script"] in ids
    worst = re.findall(r'<td><span class="sev sev-(\w+)">', html)
    order = {"error": 0, "warning": 1, "info": 2}
    assert [order[w] for w in worst] == sorted(order[w] for w in worst)
    errors = [i for i, w in zip(ids, worst) if w == "error"]
    assert errors == sorted(errors)                                # same severity: oldest first
    assert "o-Spring launch" not in html                           # the other organization's posts
    assert re.search(r"<strong>\d+</strong> posts?", html)


@pytest.mark.parametrize("query,expected,absent", [
    ("country=NO", ["no_wrong_language"], ["gb_script", "gb_gifted"]),
    ("country=GB", ["gb_script"], ["no_wrong_language"]),
    ("platform=tiktok", ["gb_script"], ["no_wrong_language"]),
    ("influencer={lina}", ["no_wrong_language"], ["gb_script"]),
    ("influencer={tom}", ["gb_script"], ["no_wrong_language"]),
    ("campaign={campaign2}", [], ["no_wrong_language", "gb_script"]),
    ("rule={finding_rule}", ["no_wrong_language"], ["gb_script"]),
    ("severity=error", ["no_wrong_language", "gb_script"], []),
    ("review=dismissed", [], ["no_wrong_language", "gb_script"]),
    ("review=all", ["no_wrong_language", "gb_script"], []),
])
def test_queue_filters(reviewer, world, query, expected, absent):
    query = query.format(**world.ids)
    ids = rows(reviewer.get(f"/queue?{query}").text)
    for name in expected:
        assert world.ids[name] in ids, (query, name)
    for name in absent:
        assert world.ids[name] not in ids, (query, name)


def test_queue_tabs_count_review_states(reviewer, runtime, world):
    post_id, finding = world.ids["no_wrong_language"], world.ids["finding"]
    before = reviewer.get("/queue").text
    open_count = int(re.search(r'Open <span class="badge">(\d+)</span>', before).group(1))
    reviewer.form(f"/posts/{post_id}", f"/posts/{post_id}/findings/{finding}/decision", {"action": "request_fix"})
    with runtime.db.session() as s:
        others = s.scalar(select(text("count(*)")).select_from(Finding).where(
            Finding.post_id == post_id, Finding.current, Finding.review_state == "open"))
    after = reviewer.get("/queue").text
    assert re.search(r'Fix requested <span class="badge">1</span>', after)
    if not others:
        assert int(re.search(r'Open <span class="badge">(\d+)</span>', after).group(1)) == open_count - 1
    assert post_id in rows(reviewer.get("/queue?review=fix_requested").text)


def test_queue_paginates(reviewer, world, monkeypatch):
    from auditor.web.ui import queries
    monkeypatch.setattr(queries, "PAGE_SIZE", 1)
    first = reviewer.get("/queue?review=all").text
    assert len(rows(first)) == 1 and 'rel="next"' in first
    second = reviewer.get("/queue?review=all&page=2").text
    assert rows(second) != rows(first) and 'rel="prev"' in second


# -- the post page ----------------------------------------------------------------------------------

def test_post_page_highlights_evidence_and_explains(reviewer, runtime, world):
    post_id = world.ids["no_wrong_language"]
    html = reviewer.get(f"/posts/{post_id}").text
    f = finding_of(runtime, world.ids["finding"])
    assert f"finding-{f.id}" in html and f.rule_id in html
    marks = re.findall(r'<mark class="hl hl-(\w+)" data-refs="([^"]*)"[^>]*>([^<]*)</mark>', html)
    assert any(f"f{f.id}" in refs.split() for _, refs, _ in marks), marks
    ev = f.evidence[0]
    assert any(t == ev["text"] and kind == f.severity for kind, refs, t in marks if f"f{f.id}" in refs.split())
    for ref in f.references:                                   # the regulator's source, linked
        assert f'href="{ref["url"]}"' in html
    assert f.fix.split("'")[0] in html                         # the suggested fix
    assert "Language" in html and ">nb<" not in html or "nb" in html
    assert "fixed fee" in html and "paid" in html              # contract and known relationship
    assert "Platform label" in html
    assert "Confirm violation" in html and "<kbd>d</kbd>" in html


def test_post_content_is_always_text_never_markup(reviewer, world):
    html = reviewer.get(f"/posts/{world.ids['gb_script']}").text
    assert '<script>alert("pwned")</script>' not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html
    queue = reviewer.get("/queue?review=all").text
    assert "<script>alert" not in queue and "&lt;script&gt;alert" in queue


def test_dismiss_needs_a_reason_and_is_logged(reviewer, runtime, world):
    post_id, fid = world.ids["no_wrong_language"], world.ids["finding"]
    page = f"/posts/{post_id}"
    r = reviewer.form(page, f"{page}/findings/{fid}/decision", {"action": "dismiss", "note": "  "},
                      follow_redirects=True)
    assert 'flash-error">Give the reason this is a false positive.' in r.text
    assert finding_of(runtime, fid).review_state == "open"
    reason = "The post is in Bokmål; '#ad' sits next to 'Reklame' in the story <frame 2>"
    r = reviewer.form(page, f"{page}/findings/{fid}/decision", {"action": "dismiss", "note": reason},
                      follow_redirects=True)
    assert r.status_code == 200 and "dismissed as a false positive" in r.text
    assert finding_of(runtime, fid).review_state == "dismissed"
    with runtime.db.session() as s:
        entry = s.scalars(select(ReviewLog).where(ReviewLog.finding_id == fid)).one()
    assert (entry.user_id, entry.action, entry.from_state, entry.to_state, entry.note) == \
        (world.ids["reviewer"], "dismiss", "open", "dismissed", reason)
    timeline = r.text[r.text.index('id="timeline"'):]
    assert "rev@acme.test" in timeline and "dismissed as a false positive" in timeline
    assert "story &lt;frame 2&gt;" in timeline                    # the note is escaped too


def test_every_decision_is_appended(reviewer, runtime, world):
    post_id, fid = world.ids["no_wrong_language"], world.ids["finding"]
    page = f"/posts/{post_id}"
    for action, state in (("confirm", "confirmed"), ("request_fix", "confirmed"), ("resolve", "fixed"),
                          ("reopen", "open")):
        reviewer.form(page, f"{page}/findings/{fid}/decision", {"action": action})
        f = finding_of(runtime, fid)
        assert f.review_state == state
        assert (f.fix_requested_at is not None) == (action == "request_fix")
    with runtime.db.session() as s:
        actions = s.scalars(select(ReviewLog.action).where(ReviewLog.finding_id == fid).order_by(ReviewLog.id)).all()
        assert actions == ["confirm", "request_fix", "resolve", "reopen"]
        with pytest.raises(Exception):   # append-only, enforced by the database
            with runtime.db.transaction() as t:
                t.execute(text("DELETE FROM review_log"))
    assert reviewer.form(page, f"{page}/findings/{fid}/decision", {"action": "approve"}).status_code == 302
    assert finding_of(runtime, fid).review_state == "open"        # unknown decision: nothing changed


def test_decision_on_a_finding_of_another_post_is_404(reviewer, world):
    other_post = world.ids["gb_script"]
    r = reviewer.form(f"/posts/{other_post}", f"/posts/{other_post}/findings/{world.ids['finding']}/decision",
                      {"action": "confirm"})
    assert r.status_code == 404


def test_comments_join_the_timeline_and_stay(reviewer, runtime, world):
    post_id = world.ids["gb_script"]
    r = reviewer.form(f"/posts/{post_id}", f"/posts/{post_id}/comments",
                      {"body": "Asked Tom's agent <b>today</b>"}, follow_redirects=True)
    assert "Asked Tom&#39;s agent &lt;b&gt;today&lt;/b&gt;" in r.text
    with pytest.raises(Exception):
        with runtime.db.transaction() as s:
            s.execute(text("UPDATE post_events SET body = 'changed'"))


def test_reaudit_uses_the_audit_use_case(reviewer, runtime, world):
    post_id = world.ids["no_wrong_language"]
    r = reviewer.form(f"/posts/{post_id}", f"/posts/{post_id}/reaudit", follow_redirects=True)
    assert "Re-audited" in r.text and "asked for a re-audit" in r.text
    with runtime.db.session() as s:
        event = s.scalars(select(PostEvent).where(PostEvent.post_id == post_id, PostEvent.kind == "reaudit")).one()
        current = s.scalars(select(Finding).where(Finding.post_id == post_id, Finding.current)).all()
    assert event.audit_id and all(f.audit_id == event.audit_id for f in current) and current


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"])
def test_reaudit_keeps_the_decisions_on_unchanged_findings(reviewer, runtime, world):
    """A dismissed false positive must not come back as open after a re-audit or a campaign close."""
    post_id, fid = world.ids["no_wrong_language"], world.ids["finding"]
    page = f"/posts/{post_id}"
    reviewer.form(page, f"{page}/findings/{fid}/decision", {"action": "dismiss", "note": "Reklame is in frame 2"})
    r = reviewer.form(page, f"{page}/reaudit", follow_redirects=True)
    with runtime.db.session() as s:
        old = s.get(Finding, fid)
        new = s.scalars(select(Finding).where(Finding.post_id == post_id, Finding.current,
                                              Finding.rule_id == old.rule_id, Finding.country == old.country)).one()
        log = s.scalars(select(ReviewLog).where(ReviewLog.finding_id == new.id)).one()
    assert new.id != fid and not old.current
    assert new.review_state == "dismissed"
    assert (log.action, log.from_state, log.to_state, log.user_id) == ("carry", "open", "dismissed", None)
    assert str(fid) in log.note
    assert "kept the earlier decision (dismissed) after a re-audit" in r.text


def test_edited_version_is_audited_and_compared(reviewer, runtime, world):
    post_id = world.ids["no_wrong_language"]
    edit = reviewer.get(f"/posts/{post_id}/edit")
    assert "#ad Nye løpesko" in edit.text
    fixed = "Reklame for @nordicrun | Nye løpesko fra @nordicrun til høstens turer 🍂 Bruk koden min LINE20 for 20% rabatt"
    r = reviewer.form(f"/posts/{post_id}/edit", f"/posts/{post_id}/edit", {"text": fixed, "note": "added Reklame"})
    assert r.status_code == 302 and "/compare/" in r.headers["Location"]
    page = reviewer.get(r.headers["Location"]).text
    assert "Version 1 → version 2" in page
    assert "<ins>" in page and "Reklame" in page
    assert world.ids["finding_rule"] in page.split("Fixed in v2")[1].split("New in v2")[0]
    new_id = int(r.headers["Location"].rsplit("/", 1)[1])
    new_page = reviewer.get(f"/posts/{new_id}").text
    assert "Version 2" in new_page and "entered an edited version" in new_page and "added Reklame" in new_page
    old_page = reviewer.get(f"/posts/{post_id}").text
    assert "This is an old version" in old_page
    assert reviewer.get(f"/posts/{post_id}/compare/{world.ids['gb_script']}").status_code == 404


# -- campaigns and the close report ---------------------------------------------------------------

def test_campaign_dashboard_charts_and_open_violations(reviewer, world):
    html = reviewer.get(f"/campaigns/{world.ids['campaign']}").text
    assert html.count("<svg") == 4                              # over time, influencer, country, platform
    assert "Lina Berg" in html and "Tom Price" in html and "Norway" in html and "TikTok" in html
    assert f"/posts/{world.ids['no_wrong_language']}#finding-" in html   # open violations link to review
    assert "compliant (1 of 4 audited posts)" in html or "of 4 audited posts" in html
    listing = reviewer.get("/campaigns").text
    assert "Spring launch" in listing and "o-Spring launch" not in listing


def test_dismissing_a_false_positive_raises_the_compliance_rate(reviewer, world, runtime):
    url = f"/campaigns/{world.ids['campaign']}"
    before = re.search(r'kpi-value[^>]*>(\d+)%', reviewer.get(url).text).group(1)
    with runtime.db.session() as s:
        errors = s.scalars(select(Finding).where(Finding.post_id == world.ids["no_wrong_language"],
                                                 Finding.current, Finding.severity == "error")).all()
    post = f"/posts/{world.ids['no_wrong_language']}"
    for f in errors:
        reviewer.form(post, f"{post}/findings/{f.id}/decision", {"action": "dismiss", "note": "contract says NO is out"})
    after = re.search(r'kpi-value[^>]*>(\d+)%', reviewer.get(url).text).group(1)
    assert int(after) > int(before)


def test_close_report_view_and_exports(admin, reviewer, world):
    cid = world.ids["campaign"]
    r = reviewer.get(f"/campaigns/{cid}/report.csv", follow_redirects=True)
    assert "no finished close report" in r.text
    r = admin.form(f"/campaigns/{cid}", f"/campaigns/{cid}/close", follow_redirects=True)
    assert "Close audit started for 4 post(s)" in r.text and "Export CSV" in r.text
    page = reviewer.get(f"/campaigns/{cid}/report")
    assert page.status_code == 200 and "Disclosure compliance report" in page.text
    assert "&lt;script&gt;" in page.text and "<script>alert" not in page.text
    assert "@media print" in reviewer.get("/ui/static/ui.css").text
    csv_r = reviewer.get(f"/campaigns/{cid}/report.csv")
    assert csv_r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_r.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(csv_r.text)))
    assert {r["post_id"] for r in table} >= {"https://instagram.com/p/a1", "https://instagram.com/p/a2"} or table
    doc = json.loads(reviewer.get(f"/campaigns/{cid}/report.json").text)
    assert doc["summary"]["posts"] == 4 and doc["source"] == "Spring launch"
    assert reviewer.get(f"/campaigns/{cid}/report.xml").status_code == 404


# -- administration ---------------------------------------------------------------------------------

def test_admin_adds_people_and_keys(admin, app, world):
    r = admin.form("/admin", "/admin/users", {"email": "new@acme.test", "password": "long enough pw",
                                              "role": "reviewer"}, follow_redirects=True)
    assert "Created reviewer new@acme.test" in r.text
    client = app.test_client()
    sign_in(client, "new@acme.test", "long enough pw")
    assert admin.form("/admin", "/admin/users", {"email": "x@acme.test", "password": "short",
                                                 "role": "reviewer"}).status_code == 422
    r = admin.form("/admin", "/admin/keys", {"name": "ci", "read": "y", "ingest": "y"})
    secret = re.search(r'<code class="big-code">([^<]+)</code>', r.text).group(1)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert secret not in admin.get("/admin").text                 # shown once
    key_id = int(re.findall(r'/admin/keys/(\d+)/revoke', r.text)[0])
    admin.form("/admin", f"/admin/keys/{key_id}/revoke")
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


# -- PostgreSQL: the queries that differ between databases ----------------------------------------

@pytest.mark.parametrize("db_kind", ["postgresql"])
def test_main_pages_on_postgresql(reviewer, admin, world, runtime, db_kind):
    assert runtime.db.dialect == "postgresql"
    assert world.ids["no_wrong_language"] in rows(reviewer.get("/queue?country=NO").text)
    post_id, fid = world.ids["no_wrong_language"], world.ids["finding"]
    reviewer.form(f"/posts/{post_id}", f"/posts/{post_id}/findings/{fid}/decision",
                  {"action": "dismiss", "note": "false positive"})
    assert post_id in rows(reviewer.get("/queue?review=dismissed").text)
    assert "dismissed as a false positive" in reviewer.get(f"/posts/{post_id}").text
    html = reviewer.get(f"/campaigns/{world.ids['campaign']}").text
    assert html.count("<svg") == 4
    admin.form(f"/campaigns/{world.ids['campaign']}", f"/campaigns/{world.ids['campaign']}/close")
    assert json.loads(reviewer.get(f"/campaigns/{world.ids['campaign']}/report.json").text)["summary"]["posts"] == 4
    assert reviewer.get(f"/posts/{world.other_ids['no_wrong_language']}").status_code == 404
