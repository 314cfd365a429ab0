"""The JSON API, /api/v1. Every route names its scope; every query is scoped to the key's organization."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from auditor.web import errors
from auditor.web.errors import error_response

api = Blueprint("api", __name__)

# routes the browser extension calls: CORS for extension origins, preflight answered here
CORS_ENDPOINTS = {"api.check", "api.me", "api.meta"}


def _extension_origin() -> str | None:
    origin = request.headers.get("Origin")
    if origin and origin.startswith(current_app.extensions["auditor"].settings.cors_origins):
        return origin
    return None


@api.before_request
def _before():
    settings = current_app.extensions["auditor"].settings
    if request.method == "OPTIONS" and request.endpoint in CORS_ENDPOINTS:
        return current_app.response_class(status=204)
    # per-route body limits: small for the synchronous check, large for batch ingest
    if request.endpoint == "api.check":
        request.max_content_length = settings.max_check_bytes
    elif request.endpoint != "api.create_posts":
        request.max_content_length = settings.max_json_bytes
    return None


@api.after_request
def _cors(response):
    if request.endpoint in CORS_ENDPOINTS:
        origin = _extension_origin()
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Max-Age"] = "600"
            response.headers["Access-Control-Expose-Headers"] = "Retry-After"
        response.headers.add("Vary", "Origin")
    return response


errors.register(api)


def register_app_handlers(app) -> None:
    """Unknown /api/ URLs and wrong methods answer in the API's shape too."""
    @app.errorhandler(404)
    def _nf(exc):
        if request.path.startswith("/api/"):
            return error_response(404, "not_found", "no such route")
        return exc

    @app.errorhandler(405)
    def _na(exc):
        if request.path.startswith("/api/"):
            return error_response(405, "method_not_allowed", "method not allowed on this route")
        return exc


from auditor.web.api import campaigns, check, posts, webhooks  # noqa: E402,F401 - register routes
