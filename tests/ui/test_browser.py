"""End-to-end in a real Chromium (Debian's, driven by Playwright): a compliance officer signs in,
filters the queue, opens a post with the keyboard, sees the highlighted evidence, dismisses a
finding with a reason, sees it in the timeline, and exports the campaign-close report.

The server is the real app in a werkzeug server thread on 127.0.0.1 with a SQLite file.
Screenshots of the main pages go to test-output/ui/. Outside CI a missing chromium or Playwright
skips; under CI=true it fails.
"""
from __future__ import annotations

import csv
import io
import shutil
import threading
from pathlib import Path

import pytest

from tests.conftest import require_or_skip
from tests.ui.conftest import PASSWORD, _runtime

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "test-output" / "ui"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-default-apps", "--disable-sync"]

MORE_POSTS = [  # (influencer handle, platform, day, text): a campaign with some history for the charts
    ("lina.runs", "instagram", "2026-03-06", "Reklame for @nordicrun: morgenløp i regnet 🌧️"),
    ("lina.runs", "instagram", "2026-03-08", "Elsker disse skoene fra @nordicrun! Lenke i bio"),
    ("tomtrains", "tiktok", "2026-03-07", "#ad My morning run in the new @nordicrun shoes"),
    ("tomtrains", "tiktok", "2026-03-09", "Gifted by @nordicrun 🎁 #gifted honest review"),
    ("tomtrains", "tiktok", "2026-03-10", "New @nordicrun kicks. Use code TOM15 for 15% off!"),
    ("lina.runs", "instagram", "2026-03-11", "Reklame | Samarbeid med @nordicrun. Nye farger i butikk nå"),
]


def chromium_path() -> str | None:
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def server(sqlite_template, tmp_path_factory, rules, engine):
    """The app on a copy of the seeded database, plus a few more posts, served on 127.0.0.1."""
    from werkzeug.serving import make_server

    from auditor.web import create_app

    template, world = sqlite_template
    tmp = tmp_path_factory.mktemp("ui-e2e")
    shutil.copy(template, tmp / "ui.sqlite")
    rt = _runtime(f"sqlite:///{tmp / 'ui.sqlite'}", tmp, rules, engine)
    app = create_app(runtime=rt, preload=False)
    api = app.test_client()
    h = world.acme.h()
    for handle, platform, day, text in MORE_POSTS:
        contract = world.ids["contract_lina" if handle == "lina.runs" else "contract_tom"]
        r = api.post("/api/v1/posts", headers=h, json={"url": f"https://{platform}.com/{handle}/{day}", "author": handle,
                                                       "platform": platform, "posted_at": f"{day}T09:00:00Z",
                                                       "text": text, "contract_id": contract})
        assert r.status_code == 202, r.json
    r = api.post(f"/api/v1/campaigns/{world.ids['campaign']}/close", headers=h)   # the report exists
    assert r.status_code == 202, r.json
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}", world
    finally:
        srv.shutdown()
        rt.db.dispose()


@pytest.fixture(scope="module")
def browser(request):
    path = chromium_path()
    require_or_skip(path is not None, "Debian's chromium is not installed (apt-get install -y chromium)")
    pw = request.getfixturevalue("sync_playwright_session")
    b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    # nothing leaves the machine: any request to another host is refused
    context.route(lambda url: not url.startswith(server[0]), lambda route: route.abort("blockedbyclient"))
    p = context.new_page()
    p.set_default_timeout(15000)
    dialogs = []
    p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    p.dialogs = dialogs
    errors = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.js_errors = errors
    yield p
    context.close()
    assert not errors, errors


def shot(page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def ready(page) -> None:
    """The page's script has run: keyboard shortcuts are live."""
    page.wait_for_selector("html[data-ready]", state="attached")


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/queue")
    page.wait_for_url("**/login?next=/queue")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/queue")
    ready(page)


def test_review_flow(page, server):
    base, world = server
    page.goto(f"{base}/login")
    shot(page, "01-login")
    sign_in(page, base, "rev@acme.test")
    assert page.locator("table.queue tr.row").count() >= 3
    shot(page, "02-queue")

    # filter the queue: Norway only (the select submits itself)
    page.select_option("#f-country", "NO")
    page.wait_for_url("**country=NO**")
    ready(page)
    rows = page.locator("table.queue tr.row")
    assert rows.count() >= 1
    for i in range(rows.count()):
        assert "NO" in rows.nth(i).inner_text()
    assert "TikTok" not in page.locator("table.queue").inner_text()
    shot(page, "03-queue-filtered")

    # keyboard: j / k move the selection, Enter opens
    first = rows.nth(0).get_attribute("data-href")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert "selected" in rows.nth(0).get_attribute("class")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(f"**{first}")
    ready(page)

    # the evidence is highlighted, the finding explained, the regulator linked
    assert page.locator("mark.hl-error").count() >= 1
    finding = page.locator("article.finding").first
    assert finding.locator(".refs a").count() >= 1
    assert "Fix:" in finding.inner_text()
    assert page.locator("mark.hl.active").count() >= 1          # the selected finding's evidence
    shot(page, "04-post")

    # dismiss with a reason, from the keyboard: d asks for the reason, Ctrl+Enter sends it
    rule = finding.locator("code.rule").inner_text()
    page.keyboard.press("d")
    note = finding.locator("textarea[name=note]")
    assert note.evaluate("el => el === document.activeElement")
    assert finding.locator(".form-error").is_visible()
    note.type("Label is in the story frames; checked with the influencer")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    ready(page)
    page.wait_for_selector(".flash-ok")
    assert "dismissed as a false positive" in page.locator(".flash-ok").inner_text()
    timeline = page.locator("#timeline")
    entry = timeline.locator("li.ev-dismiss").first
    assert "rev@acme.test" in entry.inner_text() and rule in entry.inner_text()
    assert "checked with the influencer" in entry.inner_text()
    assert page.locator(f"article.finding:has(code.rule:text-is('{rule}')) .state-dismissed").count() >= 1
    shot(page, "05-post-after-dismiss")

    # comment for the record, then on to the next post with x
    page.keyboard.press("n")
    page.keyboard.type("Screenshot of the story saved to the case file")
    with page.expect_navigation():
        page.click("#comment button[type=submit]")
    ready(page)
    page.wait_for_selector("li.ev-comment")
    assert "case file" in page.locator("li.ev-comment").first.inner_text()
    current = page.url.split("#")[0]
    page.keyboard.press("x")
    page.wait_for_url(lambda url: url.split("#")[0] != current and "/posts/" in url)


def test_post_html_is_shown_as_text(page, server):
    base, world = server
    sign_in(page, base, "rev@acme.test")
    page.goto(f"{base}/posts/{world.ids['gb_script']}")
    text = page.locator(".post-text").first.inner_text()
    assert '<script>alert("pwned")</script>' in text and "<b>bold</b>" in text
    assert page.locator(".post-text script, .post-text b").count() == 0
    assert page.dialogs == []                                    # the alert never ran


def test_campaign_dashboard_and_report_export(page, server):
    base, world = server
    sign_in(page, base, "rev@acme.test")
    page.click("nav[aria-label=Main] >> text=Campaigns")
    page.click("text=Spring launch")
    assert page.locator("figure.chart svg").count() == 4
    assert page.locator("svg.columns rect.fill").count() >= 3    # posts on several days
    shot(page, "06-campaign")
    with page.expect_download() as info:
        page.click("text=Export CSV")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    table = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert table and {"post_id", "status", "rule_id"} <= set(table[0])
    with page.expect_download() as info:
        page.click("text=Export JSON")
    assert info.value.suggested_filename.endswith(".json")
    page.click("text=View printable report")
    page.wait_for_selector("article.report")
    assert "Disclosure compliance report" in page.inner_text("h1")
    shot(page, "07-report")
    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()        # the print view drops the app chrome
    page.emulate_media(media="screen")


def test_admin_page(page, server):
    base, _ = server
    sign_in(page, base, "admin@acme.test")
    page.click("text=Admin")
    page.wait_for_selector("text=API keys")
    shot(page, "08-admin")


def test_bulk_dismiss_from_the_queue(page, server):
    """Tick two posts (mouse and keyboard), dismiss both with one reason, see the flash on the same
    filtered queue and a bulk entry in each post's timeline."""
    base, world = server
    sign_in(page, base, "rev@acme.test")
    page.goto(f"{base}/queue?platform=tiktok")
    ready(page)
    bar = page.locator(".bulk-bar")
    assert "None selected" in bar.inner_text()
    height = bar.bounding_box()["height"]
    page.click(".bulk-bar button[value=confirm]")                 # nothing ticked: said so, nothing sent
    assert bar.locator("[data-bulk-error=none]").is_visible()
    assert "/queue?platform=tiktok" in page.url

    boxes = page.locator("table.queue input[name=post]")
    page.check("#select-all")                                     # the whole page, and back
    assert boxes.count() >= 2 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    assert f"{boxes.count()} posts selected" in bar.inner_text()
    page.keyboard.press("Shift+A")
    assert not any(boxes.nth(i).is_checked() for i in range(boxes.count()))

    a, b = world.ids["gb_script"], world.ids["gb_gifted"]
    page.check(f"input[name=post][value='{a}']")                  # one with the mouse ...
    rows = page.locator("table.queue tr.row")
    index = [rows.nth(i).get_attribute("data-href") for i in range(rows.count())].index(f"/posts/{b}")
    page.locator("body").focus()
    for _ in range(index):                                        # ... one with the keyboard: j to it, x ticks
        page.keyboard.press("j")
    while "selected" not in (rows.nth(index).get_attribute("class") or ""):
        page.keyboard.press("k")
    page.keyboard.press("x")
    assert page.is_checked(f"input[name=post][value='{b}']")
    assert "2 posts selected" in bar.inner_text()
    assert page.locator("table.queue tr.row.checked").count() == 2
    assert bar.bounding_box()["height"] == height                # the table does not jump when ticking
    shot(page, "09-queue-bulk")

    page.keyboard.press("d")                                      # dismiss needs the reason first
    note = page.locator("#bulk-note")
    assert note.evaluate("el => el === document.activeElement")
    assert bar.locator("[data-bulk-error=reason]").is_visible()
    note.type("Gifting is disclosed on screen in both videos")
    shot(page, "10-queue-bulk-reason")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    ready(page)
    assert "platform=tiktok" in page.url
    flash = page.locator(".flash-ok").inner_text()
    assert "Dismissed as a false positive: 2 posts decided" in flash
    for post_id in (a, b):
        assert page.locator(f"input[name=post][value='{post_id}']").count() == 0   # left the open queue
    shot(page, "11-queue-after-bulk")

    for post_id in (a, b):
        page.goto(f"{base}/posts/{post_id}")
        ready(page)
        entry = page.locator("#timeline li.ev-dismiss").first
        text = entry.inner_text()
        assert "rev@acme.test" in text and "dismissed as a false positive" in text
        assert "bulk · 2 posts" in text and "Gifting is disclosed on screen in both videos" in text
    shot(page, "12-post-bulk-timeline")


def test_admin_resets_a_password_and_the_user_sets_it(page, browser, server):
    """No e-mail: the admin adds a person, makes a reset link for them on the Admin page and hands it
    over; the person opens it in their own browser, sets a password and signs in with it."""
    base, _ = server
    sign_in(page, base, "admin@acme.test")
    page.goto(f"{base}/admin")
    ready(page)
    page.fill("#u-email", "kim@acme.test")
    page.fill("#u-password", "temporary password")
    with page.expect_navigation():
        page.click("form[action$='/admin/users'] button[type=submit]")
    row = page.locator("table.list tr", has_text="kim@acme.test")
    with page.expect_navigation():
        row.locator("button", has_text="Reset password").click()
    ready(page)
    box = page.locator("#reset-link")
    assert "kim@acme.test" in box.inner_text() and "shown only once" in box.inner_text()
    link = box.locator("code").inner_text().strip()
    assert link.startswith(f"{base}/reset/")
    shot(page, "13-admin-reset-link")

    context = browser.new_context(viewport={"width": 1440, "height": 900})   # the person's own browser
    context.route(lambda url: not url.startswith(base), lambda route: route.abort("blockedbyclient"))
    user = context.new_page()
    user.set_default_timeout(15000)
    errors = []
    user.on("pageerror", lambda e: errors.append(str(e)))
    try:
        user.goto(link)
        assert "kim@acme.test" in user.inner_text("form")
        user.fill("#new-password", "kims own passphrase")
        user.fill("#confirm-password", "kims own passphrase!")      # a typo first
        with user.expect_navigation():
            user.click("button[type=submit]")
        assert "The two new passwords differ." in user.inner_text("form")
        shot(user, "14-reset-mismatch")
        user.fill("#new-password", "kims own passphrase")
        user.fill("#confirm-password", "kims own passphrase")
        with user.expect_navigation():
            user.click("button[type=submit]")
        user.wait_for_url("**/login")
        assert "Sign in with it" in user.locator(".flash-ok").inner_text()
        shot(user, "15-reset-done-login")
        user.fill("#email", "kim@acme.test")
        user.fill("#password", "kims own passphrase")
        with user.expect_navigation():
            user.click("button[type=submit]")
        user.wait_for_url("**/queue")
        assert "kim@acme.test" in user.inner_text("header.topbar")
        user.click("header.topbar a.email")
        user.wait_for_url("**/account")
        assert "Change password" in user.inner_text("main")
        shot(user, "16-account")
        user.goto(link)                                             # the link worked once
        assert "not valid" in user.inner_text("main")
        shot(user, "17-reset-link-used")
    finally:
        context.close()
    assert not errors, errors
