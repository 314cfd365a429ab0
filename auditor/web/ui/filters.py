"""Template helpers: dates, percentages, names of countries, platforms, states."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import g, request, url_for

STATE_LABELS = {"open": "Open", "confirmed": "Confirmed", "fix_requested": "Fix requested",
                "dismissed": "Dismissed", "fixed": "Resolved"}
STATUS_LABELS = {"violation": "Violation", "needs_review": "Needs review", "compliant": "Compliant"}


def when(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value.strftime("%d %b %Y %H:%M UTC" if with_time else "%d %b %Y")


def pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


def register(app) -> None:
    def rules():
        return app.extensions["auditor"].rules

    def country_name(code: str | None) -> str:
        if not code:
            return "all countries"
        policy = rules().countries.get(code)
        return policy.name if policy else code

    def platform_name(pid: str | None) -> str:
        if not pid:
            return "no platform"
        policy = rules().platforms.get(pid)
        return policy.name if policy else pid

    def query_url(**changes) -> str:
        """This page's URL with some query arguments changed (None removes one); page resets."""
        args = request.args.to_dict()
        args.pop("page", None)
        for k, v in changes.items():
            if v in (None, ""):
                args.pop(k, None)
            else:
                args[k] = v
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    app.jinja_env.filters.update(when=when, pct=pct, country_name=country_name, platform_name=platform_name,
                                 state_label=lambda s: STATE_LABELS.get(s, s),
                                 status_label=lambda s: STATUS_LABELS.get(s, s or "not audited"))
    app.jinja_env.globals.update(query_url=query_url)

    @app.context_processor
    def _user():
        return {"current_user": getattr(g, "user", None)}
