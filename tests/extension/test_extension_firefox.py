"""The extension end to end in Firefox: Debian's firefox-esr with the built Firefox package
(extension/build.sh's -firefox.zip: background scripts, not a service worker) installed as a
temporary add-on, against the real service. Driven over WebDriver BiDi (firefox_bidi.py), since
Playwright's Firefox is a patched build that cannot be downloaded here.

The popup page is opened in a tab (moz-extension://<fixed uuid>/popup/popup.html), as the
Chromium tests do: the caption is typed into it, Check is clicked with a real mouse click, the
background script calls the service, and the result is read from the page.
"""
from __future__ import annotations

import time

import pytest

from tests.extension.test_extension_e2e import BADGE_COLOURS, FIXTURES, VIOLATION_NO, _pick

pytestmark = pytest.mark.browser

BADGES = {"violation": "Violation", "needs_review": "Needs review", "compliant": "Compliant"}


def _fill(tab, **fields: str | None) -> None:
    """Set form fields by id as a user would (the value, then input and change events)."""
    tab.call("""(fields) => {
        for (const [id, value] of Object.entries(fields)) {
            if (value === null) continue;
            const field = document.getElementById(id);
            field.value = value;
            field.dispatchEvent(new Event('input', {bubbles: true}));
            field.dispatchEvent(new Event('change', {bubbles: true}));
        }
    }""", fields)


def _run(popup, text: str, countries: str | None = None, platform: str | None = None) -> None:
    """Fill the popup's form and click Check."""
    _fill(popup, text=text, countries=countries, platform=platform)
    popup.click("#check")
    popup.wait_for("document.querySelector('#result .status, #result .error-box')", timeout=30)


def _result(popup) -> dict:
    """What the popup shows: status, badge, findings, highlighted spans and their numbers."""
    return popup.evaluate("""(() => {
        const q = (s) => document.querySelector(s);
        const all = (s) => [...document.querySelectorAll(s)];
        const badge = q('#result .status .badge');
        return {
            status: q('#result .status')?.dataset.status ?? null,
            badge: badge?.textContent ?? null,
            badgeColour: badge ? getComputedStyle(badge).backgroundColor : null,
            text: q('#result')?.innerText ?? '',
            findings: all('#result .finding').map((li) => ({
                rule: li.dataset.rule, text: li.innerText,
                refs: [...li.querySelectorAll('.refs a')].map((a) => ({title: a.textContent, url: a.getAttribute('href')})),
            })),
            marks: all('#result .post-text:not(.corrected-text) mark').map((m) => m.textContent),
            numbers: all('#result .post-text:not(.corrected-text) sup.mark-num').map((s) => s.textContent),
            copyButton: Boolean(q('#copy-corrected')),
        };
    })()""")


def test_firefox_popup_checks_a_violation_against_the_service(firefox, service):
    firefox.configure(serverUrl=service.url, apiKey=service.key, countries=["NO"])
    popup = firefox.popup()
    assert popup.evaluate("document.getElementById('setup').hidden") is True    # configured
    assert popup.evaluate("document.getElementById('countries').value") == "NO"
    assert popup.evaluate("document.getElementById('relationship').value") == "paid"

    _run(popup, VIOLATION_NO, countries="no", platform="instagram")
    shown = _result(popup)
    status, verdict = service.check({"text": VIOLATION_NO, "countries": ["NO"], "platform": "instagram",
                                     "relationship": ["paid"]})
    assert status == 200 and verdict["status"] == "violation", verdict
    assert verdict["findings"], "an English '#ad' alone should be a finding for Norway"

    assert shown["status"] == "violation"
    assert shown["badge"] == "Violation" and shown["badgeColour"] == BADGE_COLOURS["violation"]
    assert [f["rule"] for f in shown["findings"]] == [f["rule_id"] for f in verdict["findings"]]
    first, finding = shown["findings"][0], verdict["findings"][0]
    assert finding["message"] in first["text"]
    assert finding["fix"] in first["text"]
    ref = finding["references"][0]
    assert first["refs"][0] == {"title": ref["title"], "url": ref["url"]}
    # The highlights: spans after two emoji (astral characters, 2 UTF-16 units but 1 code point
    # each) land on the right characters; one mark per distinct span, numbered with its findings.
    by_span: dict[tuple[int, int], list[int]] = {}
    for n, f in enumerate(verdict["findings"], 1):
        for ev in f["evidence"]:
            if ev["field"] == "text":
                by_span.setdefault((ev["start"], ev["end"]), []).append(n)
    assert "#ad" in shown["marks"]
    assert shown["marks"] == [VIOLATION_NO[s:e] for s, e in sorted(by_span)]
    assert shown["numbers"] == [",".join(map(str, by_span[k])) for k in sorted(by_span)]
    assert shown["copyButton"] == bool(verdict.get("suggested_caption"))
    firefox.screenshot(popup, "firefox-popup-violation")


def test_firefox_popup_shows_a_compliant_caption(firefox, service):
    text, country, verdict = _pick(service, "compliant")
    firefox.configure(serverUrl=service.url, apiKey=service.key, countries=["NO"])
    popup = firefox.popup()
    _run(popup, text, countries=country, platform="instagram")
    shown = _result(popup)
    assert shown["status"] == "compliant"
    assert shown["badge"] == BADGES["compliant"] and shown["badgeColour"] == BADGE_COLOURS["compliant"]
    assert not verdict["findings"] and not shown["findings"]
    assert "No findings" in shown["text"]
    assert not shown["copyButton"]
    firefox.screenshot(popup, "firefox-popup-compliant")


def test_firefox_popup_says_when_the_server_is_down(firefox, closed_port_url):
    firefox.configure(serverUrl=closed_port_url, apiKey="aud_whatever", countries=["NO"])
    popup = firefox.popup()
    _run(popup, VIOLATION_NO)
    box = popup.evaluate("""(() => {
        const box = document.querySelector('#result .error-box');
        return box && {code: box.dataset.code, text: box.innerText,
                       buttons: [...box.querySelectorAll('button')].map((b) => b.textContent)};
    })()""")
    assert box, "no error box: the popup stayed blank"
    assert box["code"] == "unreachable"
    assert "Cannot reach the server" in box["text"] and closed_port_url in box["text"]
    assert "Open options" in box["buttons"] and "Try again" in box["buttons"]
    firefox.screenshot(popup, "firefox-popup-error-server-down")


def test_firefox_post_page_button_opens_the_result_window(firefox, service):
    """The content script on an Instagram post page (the page is a local fixture, served for the
    real address by network interception) reads the caption and label; a person's click on its
    button (not a page script's) opens the result window (windows.create from the background
    script), which runs the check."""
    url = "https://www.instagram.com/p/DAbc123xyz/"
    caption = "Nye sko fra @nordicrun! Bruk koden NORDIC20 🎉 #ad"
    firefox.configure(serverUrl=service.url, apiKey=service.key, countries=["NO"], platform="blog")
    firefox.firefox.serve_page("https://www.instagram.com/", (FIXTURES / "instagram_post.html").read_text(encoding="utf-8"))
    page = firefox.firefox.new_tab()
    page.navigate(url)
    button = "document.querySelector('auditor-check')?.shadowRoot?.querySelector('button.check')"
    assert page.wait_for(f"{button}?.textContent") == "Check ad disclosure"

    # The page's own scripts can reach the button (an open shadow root) but not start a check:
    # only a trusted click does (event.isTrusted, which Firefox also gives content scripts).
    windows = len(firefox.firefox.contexts())
    page.evaluate(f"{button}.click()")
    time.sleep(1.5)
    assert len(firefox.firefox.contexts()) == windows

    page.click_element(button)
    result = firefox.firefox.wait_for_context(firefox.url("popup/popup.html?pending="))
    result.wait_for("document.body.dataset.state === 'done'", timeout=30)
    shown = result.evaluate("""(() => ({
        source: document.getElementById('source').textContent,
        text: document.getElementById('text').value,
        platform: document.getElementById('platform').value,
        label: document.getElementById('platform-label').value,
        status: document.querySelector('#result .status')?.dataset.status ?? null,
        error: document.querySelector('#result .error-box')?.innerText ?? null,
        rules: [...document.querySelectorAll('#result .finding')].map((li) => li.dataset.rule),
    }))()""")
    assert shown["error"] is None
    assert 'Instagram post on www.instagram.com · label shown: "Paid partnership with nordicrun"' == shown["source"]
    assert shown["text"] == caption
    assert shown["platform"] == "instagram" and shown["label"] == "true"   # not the default "blog"
    status, verdict = service.check({"text": caption, "countries": ["NO"], "platform": "instagram",
                                     "platform_label": True, "relationship": ["paid"], "format": "post",
                                     "brand": "@nordicrun"})
    assert status == 200
    assert shown["status"] == verdict["status"]
    assert shown["rules"] == [f["rule_id"] for f in verdict["findings"]]
    result.set_viewport(480, 900)
    firefox.screenshot(result, "firefox-post-instagram")


def test_firefox_options_test_connection_and_save(firefox, service):
    page = firefox.options()
    _fill(page, serverUrl=f"{service.url}/api/v1/", apiKey=service.key, countries="no, gb", platform="tiktok")
    page.click("#test")
    page.wait_for("document.getElementById('test-steps').dataset.ok", timeout=30)
    report = page.evaluate("""(() => ({
        ok: document.getElementById('test-steps').dataset.ok,
        steps: Object.fromEntries([...document.querySelectorAll('#test-steps li')].map((li) => [li.dataset.step, li.innerText])),
    }))()""")
    assert report["ok"] == "true", report
    assert list(report["steps"]) == ["reachable", "key", "scopes", "countries"]
    assert "Server reachable" in report["steps"]["reachable"]
    assert "Acme Agency" in report["steps"]["key"] and 'key "extension"' in report["steps"]["key"]
    assert "NO, GB" in report["steps"]["countries"]

    # Save also asks Firefox for access to the server (permissions.request inside the click; the
    # prompt is not answered in headless Firefox, so it ends "not granted"): the settings are
    # stored first, and checks work without the grant (the service answers CORS).
    page.click("#save")
    page.wait_for("document.body.dataset.saved === 'true'")
    assert page.wait_for("document.getElementById('save-status').textContent").startswith("Saved")
    stored = firefox.stored()
    assert stored["serverUrl"] == service.url          # /api/v1/ and the slash removed
    assert stored["apiKey"] == service.key
    assert stored["countries"] == ["NO", "GB"]
    assert stored["platform"] == "tiktok"
    firefox.screenshot(page, "firefox-options-test-connection")
