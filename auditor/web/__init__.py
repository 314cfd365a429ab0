"""The Flask app factory. Blueprints come from a list, so the review UI can join as another one."""
from __future__ import annotations

import importlib
import logging

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from auditor.config import Settings
from auditor.runtime import Runtime

# (import path, url prefix); optional ones are registered only when their module exists
BLUEPRINTS: list[tuple[str, str | None]] = [("auditor.web.api:api", "/api/v1")]
OPTIONAL_BLUEPRINTS: list[tuple[str, str | None]] = [("auditor.web.ui:ui", None)]

log = logging.getLogger(__name__)


class ApiSessionless(SecureCookieSessionInterface):
    """The JSON API authenticates with bearer keys and never uses the session: its requests get an
    empty one without reading the cookie (no signature check, no serializer: ~10% of a /ping)."""

    def open_session(self, app, request):
        if request.path.startswith("/api/"):
            return SecureCookieSession()
        return super().open_session(app, request)


def _load(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None,
               preload: bool | None = None) -> Flask:
    """preload: build the rules and every spaCy pipeline now (default: settings.web_preload)."""
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    rt = runtime or Runtime(settings)
    app = Flask(__name__, instance_path=settings.instance_path, instance_relative_config=True)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_ingest_bytes,
                      JSON_SORT_KEYS=False)
    app.json.sort_keys = False
    app.session_interface = ApiSessionless()
    app.extensions["auditor"] = rt

    if settings.should_auto_migrate:   # SQLite embedded default: a first run needs no set-up
        from auditor.db import upgrade
        upgrade(rt.db)
    if settings.web_preload if preload is None else preload:   # now, not on the first /check
        rt.preload()

    for path, prefix in BLUEPRINTS:
        app.register_blueprint(_load(path), url_prefix=prefix)
    for path, prefix in OPTIONAL_BLUEPRINTS:
        try:
            bp = _load(path)
        except ModuleNotFoundError as exc:
            if exc.name and path.split(":")[0].startswith(exc.name):
                continue
            raise
        app.register_blueprint(bp, url_prefix=prefix) if prefix else app.register_blueprint(bp)
    from auditor.web.api import register_app_handlers
    register_app_handlers(app)
    return app


def runtime_of(app: Flask) -> Runtime:
    return app.extensions["auditor"]
