"""Passwords without e-mail: changing one's own on the Account page, and the admin's one-time reset
links (hashed, expiring, single use, replaced by a newer link or a password change, scoped to the
admin's organization)."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from auditor import accounts
from auditor.models import PasswordReset, User, utcnow
from tests.ui.conftest import PASSWORD, UiClient, add_user, csrf_token, sign_in

NEW = "a brand new passphrase"
LINK = re.compile(r'<code class="big-code">(http://[^<]+/reset/([^<"]+))</code>')


def change(ui: UiClient, current=PASSWORD, new=NEW, again=None, **kw):
    return ui.form("/account", "/account", {"current_password": current, "new_password": new,
                                            "confirm_password": new if again is None else again}, **kw)


def reset_link(admin: UiClient, user_id: int) -> tuple[str, str]:
    r = admin.form("/admin", f"/admin/users/{user_id}/reset")
    assert r.status_code == 200, r.text[:500]
    m = LINK.search(r.text)
    assert m, "no reset link on the page"
    return m.group(1), m.group(2)


def set_via_link(client, token: str, new=NEW, again=None):
    page = client.get(f"/reset/{token}")
    if page.status_code != 200:              # a dead link has no form: post with the sign-in page's token
        page = client.get("/login")
    return client.post(f"/reset/{token}", data={"new_password": new, "csrf_token": csrf_token(page.text),
                                                "confirm_password": new if again is None else again})


def user_row(runtime, email: str) -> User:
    with runtime.db.session() as s:
        return s.scalar(select(User).where(User.email == email))


# -- the Account page -----------------------------------------------------------------------------

def test_account_page_is_linked_from_the_top_bar(reviewer):
    queue = reviewer.get("/queue").text
    assert 'href="/account"' in queue
    page = reviewer.get("/account")
    assert page.status_code == 200 and "Change password" in page.text and "rev@acme.test" in page.text


def test_change_password_keeps_this_session_and_ends_the_others(app, reviewer, caplog):
    other = app.test_client()                     # the same person signed in on another device
    sign_in(other, "rev@acme.test")
    assert other.get("/queue").status_code == 200
    with caplog.at_level(logging.INFO, logger="auditor.accounts"):
        r = change(reviewer, follow_redirects=True)
    assert r.status_code == 200 and "Password changed" in r.text
    assert reviewer.get("/queue").status_code == 200            # still signed in here
    assert other.get("/queue").status_code == 302               # signed out there
    sign_in(app.test_client(), "rev@acme.test", PASSWORD, expect=401)
    sign_in(app.test_client(), "rev@acme.test", NEW)
    assert any("password changed" in m and "rev@acme.test" in m for m in caplog.messages)


@pytest.mark.parametrize("current,new,again,message", [
    ("not my password", NEW, None, "That is not your current password."),
    (PASSWORD, NEW, NEW + "x", "The two new passwords differ."),
    (PASSWORD, "short", None, "Use at least 8 characters."),
    (PASSWORD, "", None, "Choose a new password."),
])
def test_change_password_rejected(app, reviewer, current, new, again, message):
    r = change(reviewer, current, new, again)
    assert r.status_code == 422 and message in r.text
    assert reviewer.get("/queue").status_code == 200
    sign_in(app.test_client(), "rev@acme.test", PASSWORD)       # the old password still works


def test_change_password_uses_the_user_creation_rule(runtime, world):
    """One rule for every new password: accounts.check_password_strength."""
    with runtime.db.transaction() as s:
        user = s.get(User, world.ids["reviewer"])
        with pytest.raises(accounts.AccountError, match="at least 8"):
            accounts.set_password(s, user, "1234567")
        with pytest.raises(accounts.AccountError, match="at least 8"):
            accounts.create_user(s, accounts.get_org(s, "Acme"), "x@acme.test", "1234567", "reviewer")


def test_wrong_current_password_is_throttled(reviewer):
    for _ in range(5):
        assert change(reviewer, "guess").status_code == 422
    r = change(reviewer)                                          # even the right one waits
    assert r.status_code == 429 and "Too many" in r.text


# -- reset links ----------------------------------------------------------------------------------

def test_admin_reset_link_sets_a_new_password(app, admin, runtime, world, caplog):
    victim = app.test_client()                    # the reviewer's old session ends with the reset
    sign_in(victim, "rev@acme.test")
    with caplog.at_level(logging.INFO, logger="auditor.accounts"):
        link, token = reset_link(admin, world.ids["reviewer"])
    assert link.startswith("http://localhost/reset/")
    assert token not in admin.get("/admin").text                  # shown once
    with runtime.db.session() as s:
        row = s.scalar(select(PasswordReset).where(PasswordReset.user_id == world.ids["reviewer"]))
        assert row.token_hash == accounts.hash_key(token) and token not in row.token_hash   # stored hashed
        assert row.created_by == world.ids["admin"] and row.org_id == world.acme.id
        expires = row.expires_at.replace(tzinfo=None) - row.created_at.replace(tzinfo=None)
        assert expires == timedelta(hours=24)

    client = app.test_client()                    # the user, signed out, opens the link
    page = client.get(f"/reset/{token}")
    assert page.status_code == 200 and "rev@acme.test" in page.text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    with caplog.at_level(logging.INFO, logger="auditor.accounts"):
        r = set_via_link(client, token)
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert "Sign in with it" in client.get("/login").text
    sign_in(client, "rev@acme.test", NEW)
    sign_in(app.test_client(), "rev@acme.test", PASSWORD, expect=401)
    assert victim.get("/queue").status_code == 302
    assert any("reset link" in m and "created for user" in m and "admin@acme.test" in m for m in caplog.messages)
    assert any("set through reset link" in m for m in caplog.messages)


def test_reset_link_works_once(app, admin, world):
    _, token = reset_link(admin, world.ids["reviewer"])
    assert set_via_link(app.test_client(), token).status_code == 302
    again = app.test_client()
    r = again.get(f"/reset/{token}")
    assert r.status_code == 404 and "not valid" in r.text
    r = again.post(f"/reset/{token}", data={"new_password": "another one!", "confirm_password": "another one!",
                                            "csrf_token": csrf_token(again.get("/login").text)})
    assert r.status_code == 404
    sign_in(app.test_client(), "rev@acme.test", NEW)
    sign_in(app.test_client(), "rev@acme.test", "another one!", expect=401)


def test_expired_link_is_rejected(app, admin, runtime, world):
    _, token = reset_link(admin, world.ids["reviewer"])
    with runtime.db.transaction() as s:
        row = s.scalar(select(PasswordReset).where(PasswordReset.token_hash == accounts.hash_key(token)))
        row.expires_at = utcnow() - timedelta(minutes=1)
    r = app.test_client().get(f"/reset/{token}")
    assert r.status_code == 404 and "expired" in r.text
    assert set_via_link(app.test_client(), token).status_code == 404


def test_unknown_link_names_no_one(app, world):
    r = app.test_client().get("/reset/" + "x" * 43)
    assert r.status_code == 404 and "not valid" in r.text and "@" not in r.text.split("<main")[1]


def test_newer_link_or_password_change_ends_older_links(app, admin, reviewer, world):
    _, first = reset_link(admin, world.ids["reviewer"])
    _, second = reset_link(admin, world.ids["reviewer"])
    assert app.test_client().get(f"/reset/{first}").status_code == 404
    assert app.test_client().get(f"/reset/{second}").status_code == 200
    assert change(reviewer).status_code == 302                    # the user remembered after all
    assert app.test_client().get(f"/reset/{second}").status_code == 404


def test_deactivated_user_gets_no_link_and_old_links_stop(app, admin, world):
    _, token = reset_link(admin, world.ids["reviewer"])
    admin.form("/admin", f"/admin/users/{world.ids['reviewer']}/active")
    assert app.test_client().get(f"/reset/{token}").status_code == 404
    r = admin.form("/admin", f"/admin/users/{world.ids['reviewer']}/reset", follow_redirects=True)
    assert "deactivated" in r.text and not LINK.search(r.text)


def test_reset_form_checks_the_password_rule_and_keeps_the_link(app, admin, world):
    _, token = reset_link(admin, world.ids["reviewer"])
    client = app.test_client()
    r = set_via_link(client, token, "short")
    assert r.status_code == 422 and "Use at least 8 characters." in r.text
    r = set_via_link(client, token, NEW, NEW + "!")
    assert r.status_code == 422 and "The two new passwords differ." in r.text
    assert set_via_link(client, token).status_code == 302        # still usable after the mistakes


def test_reset_form_needs_its_csrf_token(app, admin, world):
    _, token = reset_link(admin, world.ids["reviewer"])
    client = app.test_client()
    client.get(f"/reset/{token}")
    r = client.post(f"/reset/{token}", data={"new_password": NEW, "confirm_password": NEW})
    assert r.status_code == 400
    r = client.post(f"/reset/{token}", data={"new_password": NEW, "confirm_password": NEW, "csrf_token": "forged"})
    assert r.status_code == 400
    assert client.get(f"/reset/{token}").status_code == 200      # nothing was used up


def test_admin_of_another_organization_cannot_reset(app, runtime, world):
    add_user(runtime, "Other", "admin@other.test", "admin")
    client = app.test_client()
    sign_in(client, "admin@other.test")
    r = UiClient(client).form("/admin", f"/admin/users/{world.ids['reviewer']}/reset")
    assert r.status_code == 404 and "/reset/" not in r.text
    with runtime.db.session() as s:
        assert s.scalar(select(PasswordReset).where(PasswordReset.user_id == world.ids["reviewer"])) is None


def test_reviewer_cannot_reset(reviewer, runtime, world):
    r = reviewer.form("/queue", f"/admin/users/{world.ids['admin']}/reset")
    assert r.status_code == 403
    with runtime.db.session() as s:
        assert s.scalar(select(PasswordReset)) is None


def test_signed_in_visitor_of_a_link_is_signed_out_after_setting(app, admin, world):
    """An admin who opens the link in their own browser sets the user's password, not theirs, and
    is asked to sign in afresh."""
    _, token = reset_link(admin, world.ids["reviewer"])
    r = set_via_link(admin.c, token)
    assert r.headers["Location"] == "/login"
    sign_in(app.test_client(), "rev@acme.test", NEW)
    sign_in(app.test_client(), "admin@acme.test", PASSWORD)


@pytest.mark.parametrize("db_kind", ["postgresql"])
def test_reset_and_change_on_postgresql(app, admin, reviewer, runtime, world, db_kind):
    _, token = reset_link(admin, world.ids["reviewer"])
    assert change(reviewer).status_code == 302                     # ends the link
    assert app.test_client().get(f"/reset/{token}").status_code == 404
    _, token = reset_link(admin, world.ids["reviewer"])
    assert set_via_link(app.test_client(), token, "third password").status_code == 302
    assert set_via_link(app.test_client(), token, "fourth password").status_code == 404
    sign_in(app.test_client(), "rev@acme.test", "third password")
    assert user_row(runtime, "rev@acme.test").active
