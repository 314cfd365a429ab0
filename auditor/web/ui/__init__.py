"""The review UI: server-rendered pages for compliance officers (queue, post, campaign dashboard,
administration). Sessions are Flask's signed cookie; every form carries a CSRF token (Flask-WTF);
every query is scoped to the signed-in user's organization.

The API blueprint (Bearer keys) is not touched: CSRF is checked only on this blueprint's routes.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint
from flask_wtf.csrf import CSRFProtect

ui = Blueprint("ui", __name__, template_folder="templates", static_folder="static",
               static_url_path="/ui/static")
csrf = CSRFProtect()


@ui.record_once
def _setup(state) -> None:
    """Runs once when create_app registers the blueprint: session cookie, CSRF, template helpers."""
    app = state.app
    settings = app.extensions["auditor"].settings
    app.config.update(
        SESSION_COOKIE_NAME="auditor_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_CHECK_DEFAULT=False,     # checked in ui.before_request: the JSON API stays exempt
        WTF_CSRF_TIME_LIMIT=None,         # the token lives as long as the session
    )
    csrf.init_app(app)
    from auditor.web.ui import filters
    filters.register(app)


from auditor.web.ui import account, auth, views  # noqa: E402,F401 - register routes
