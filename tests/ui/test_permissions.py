"""Sign-in, roles and tenancy, route by route: another organization's reviewer gets 404 for every
object of ours, a reviewer gets 403 on administration, nobody signed out gets anything."""
from __future__ import annotations

import pytest

from tests.ui.conftest import csrf_token

# method, path (filled with Acme's ids), role needed (None: any signed-in user), form data
ROUTES = [
    ("GET", "/", None, None),
    ("GET", "/queue", None, None),
    ("GET", "/queue/next", None, None),
    ("POST", "/queue/decisions", None, {"action": "confirm"}),
    ("GET", "/posts/{no_wrong_language}", None, None),
    ("POST", "/posts/{no_wrong_language}/findings/{finding}/decision", None, {"action": "confirm"}),
    ("POST", "/posts/{no_wrong_language}/comments", None, {"body": "hello"}),
    ("POST", "/posts/{no_wrong_language}/reaudit", None, {}),
    ("GET", "/posts/{no_wrong_language}/edit", None, None),
    ("POST", "/posts/{no_wrong_language}/edit", None, {"text": "Reklame for @nordicrun"}),
    ("GET", "/posts/{no_wrong_language}/compare/{no_wrong_language}", None, None),
    ("GET", "/campaigns", None, None),
    ("GET", "/campaigns/{campaign}", None, None),
    ("POST", "/campaigns/{campaign}/close", "admin", {}),
    ("GET", "/campaigns/{campaign}/report", None, None),
    ("GET", "/campaigns/{campaign}/report.csv", None, None),
    ("GET", "/account", None, None),
    ("POST", "/account", None, {"current_password": "x", "new_password": "long enough pw",
                                "confirm_password": "long enough pw"}),
    ("GET", "/admin", "admin", None),
    ("POST", "/admin/users", "admin", {"email": "new@acme.test", "password": "long enough pw", "role": "reviewer"}),
    ("POST", "/admin/users/{reviewer}/active", "admin", {}),
    ("POST", "/admin/users/{reviewer}/reset", "admin", {}),
    ("POST", "/admin/keys", "admin", {"name": "k", "read": "y"}),
    ("POST", "/admin/keys/{key}/revoke", "admin", {}),
]
# /reset/<token>: the token is the credential (tests/ui/test_account.py)
PUBLIC = {"/login", "/logout", "/reset/<token>", "/ui/static/<path:filename>", "/static/<path:filename>"}


def fill(path: str, ids: dict) -> str:
    for k, v in ids.items():
        path = path.replace("{" + k + "}", str(v))
    assert "{" not in path, path
    return path


@pytest.fixture
def ids(world, runtime):
    from sqlalchemy import select

    from auditor.models import ApiKey
    with runtime.db.session() as s:
        key = s.scalar(select(ApiKey.id).where(ApiKey.org_id == world.acme.id).limit(1))
    return dict(world.ids, key=key)


def test_every_ui_route_is_listed_here(app):
    listed = {path for _, path, _, _ in ROUTES}
    normal = {p.replace("{no_wrong_language}", "<int:post_id>") for p in listed}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule in PUBLIC:
            continue
        pattern = rule.rule
        assert any(_matches(pattern, path) for path in listed), f"{pattern} has no permission test"
    assert normal


def _matches(rule: str, path: str) -> bool:
    import re
    regex = re.sub(r"<[^>]+>", "[^/]+", re.escape(rule).replace(r"\<", "<").replace(r"\>", ">"))
    regex = re.sub(r"<[^>]+>", "[^/]+", regex)
    return re.fullmatch(regex, re.sub(r"\{[^}]+\}", "1", path)) is not None


def _send(ui_client, method, url, data):
    if method == "GET":
        return ui_client.get(url)
    return ui_client.form("/queue", url, data)


@pytest.mark.parametrize("method,path,role,data", ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_signed_out_gets_nothing(app, ids, method, path, role, data):
    client = app.test_client()
    url = fill(path, ids)
    if method == "GET":
        r = client.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], (url, r.status_code)
    else:
        token = csrf_token(client.get("/login").text)
        r = client.post(url, data={**data, "csrf_token": token})
        assert r.status_code == 401, (url, r.status_code)


@pytest.mark.parametrize("method,path,role,data", [r for r in ROUTES if "{" in r[1]],
                         ids=[f"{m} {p}" for m, p, _, _ in ROUTES if "{" in p])
def test_other_organization_gets_404(app, ids, runtime, world, method, path, role, data):
    """An admin of the other organization (the strongest role) still sees none of Acme's objects."""
    from tests.ui.conftest import UiClient, add_user, sign_in
    add_user(runtime, "Other", "admin@other.test", "admin")
    client = app.test_client()
    sign_in(client, "admin@other.test")
    r = _send(UiClient(client), method, fill(path, ids), data)
    assert r.status_code == 404, (path, r.status_code, r.text[:300])
    assert "belongs to another organization" in r.text or "nothing here" in r.text


@pytest.mark.parametrize("method,path,role,data", [r for r in ROUTES if r[2] == "admin"],
                         ids=[f"{m} {p}" for m, p, role, _ in ROUTES if role == "admin"])
def test_reviewer_cannot_administer(reviewer, ids, method, path, role, data):
    r = _send(reviewer, method, fill(path, ids), data)
    assert r.status_code == 403, (path, r.status_code)


@pytest.mark.parametrize("method,path,role,data", [r for r in ROUTES if r[2] == "admin"],
                         ids=[f"{m} {p}" for m, p, role, _ in ROUTES if role == "admin"])
def test_admin_can_administer(admin, ids, method, path, role, data):
    r = _send(admin, method, fill(path, ids), data)
    assert r.status_code in (200, 302), (path, r.status_code, r.text[:500])


@pytest.mark.parametrize("method,path,role,data", [r for r in ROUTES if r[0] == "POST"],
                         ids=[f"{m} {p}" for m, p, _, _ in ROUTES if m == "POST"])
def test_every_form_needs_the_csrf_token(admin, ids, method, path, role, data):
    r = admin.c.post(fill(path, ids), data=data)
    assert r.status_code == 400, (path, r.status_code)
    r = admin.c.post(fill(path, ids), data={**data, "csrf_token": "forged"})
    assert r.status_code == 400, (path, r.status_code)


def test_other_organizations_rows_never_listed(outsider, world):
    """Lists (queue, campaigns, filters) show only the user's organization."""
    queue = outsider.get("/queue?review=all").text
    assert "o-Spring launch" in queue and "o-Lina Berg" in queue
    assert ">Spring launch<" not in queue and ">Lina Berg<" not in queue
    campaigns = outsider.get("/campaigns").text
    assert "o-Spring launch" in campaigns and ">Spring launch<" not in campaigns
