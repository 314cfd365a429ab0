"""Signing in and out, the signed-in user on `g`, roles, CSRF on every form, login throttling."""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from auditor.models import Organization, User
from auditor.web.ui import csrf, ui
from auditor.web.ui.forms import LoginForm

# a hash to compare against when the e-mail is unknown: the answer takes as long either way
_DUMMY_HASH = generate_password_hash("not a password of anyone")
MAX_FAILURES = 5          # per e-mail and per client address ...
FAILURE_WINDOW = 300      # ... within this many seconds, then sign-in waits


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    role: str
    org_id: int
    org_name: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginThrottle:
    """Failed sign-ins per key in a sliding window (per process; enough to slow guessing down)."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = FAILURE_WINDOW):
        self.limit, self.window = limit, window
        self._fails: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        items = [t for t in self._fails.get(key, []) if now - t < self.window]
        if items:
            self._fails[key] = items
        else:
            self._fails.pop(key, None)
        return items

    def wait(self, *keys: str) -> float:
        """Seconds until another attempt is allowed (0: allowed now)."""
        now = time.monotonic()
        with self._lock:
            waits = [self.window - (now - items[0]) for items in (self._recent(k, now) for k in keys)
                     if len(items) >= self.limit]
        return max(waits, default=0.0)

    def fail(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._fails) > 10_000:
                self._fails.clear()
            for key in keys:
                self._recent(key, now)
                self._fails.setdefault(key, []).append(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)


def password_mark(password_hash: str) -> str:
    """A short fingerprint of the password hash for the session: a password change signs out
    every other session. (The cookie is signed, not encrypted, so never the hash itself.)"""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def throttle() -> LoginThrottle:
    return current_app.extensions.setdefault("auditor.ui.login_throttle", LoginThrottle())


def rt():
    return current_app.extensions["auditor"]


PUBLIC_ENDPOINTS = {"ui.login", "ui.static", "ui.reset_password"}   # a reset link is its own credential


@ui.before_request
def _load_user():
    """Every UI request: CSRF on anything that changes state, then the signed-in user (or sign-in)."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    g.user = None
    user_id = session.get("user_id")
    if user_id is not None:
        with rt().db.session() as s:
            row = s.execute(select(User, Organization.name).join(Organization, Organization.id == User.org_id)
                            .where(User.id == user_id)).first()
        # a deactivated user, or a password changed elsewhere, ends the session
        if row is None or not row[0].active or session.get("pw") != password_mark(row[0].password_hash):
            session.clear()
        else:
            user, org_name = row
            g.user = CurrentUser(user.id, user.email, user.role, user.org_id, org_name)
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.method == "GET":
            return redirect(url_for("ui.login", next=request.full_path.rstrip("?")))
        abort(401)
    return None


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not g.user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target:
        return url_for("ui.queue")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return url_for("ui.queue")
    return target


@ui.route("/login", methods=["GET", "POST"])
def login():
    if g.user is not None:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        keys = (f"email:{email}", f"addr:{request.remote_addr}")
        wait = throttle().wait(*keys)
        if wait:
            flash(f"Too many failed sign-ins. Try again in {int(wait // 60) + 1} minute(s).", "error")
            return render_template("ui/login.html", form=form), 429
        with rt().db.session() as s:
            user = s.scalar(select(User).where(User.email == email))
        ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, form.password.data)
        if user is not None and ok and user.active:
            throttle().clear(keys[0])
            session.clear()                       # a fresh session: no fixation
            session.permanent = True
            session["user_id"] = user.id
            session["pw"] = password_mark(user.password_hash)
            return redirect(_safe_next(request.args.get("next")))
        throttle().fail(*keys)
        flash("Wrong e-mail or password.", "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("ui/login.html", form=form), status


@ui.post("/logout")
def logout():
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("ui.login"))
