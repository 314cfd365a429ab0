"""Passwords without e-mail: every signed-in user changes their own on the Account page; an admin
makes a one-time reset link for a person of the organization and hands it over; the link's page
sets a new password. Both end the user's other sessions (the session's "pw" mark) and every open
reset link of the user. Resets and changes are logged by accounts (logger "auditor.accounts")."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash

from auditor import accounts
from auditor.models import User
from auditor.web.ui import queries, ui
from auditor.web.ui.auth import admin_required, password_mark, rt, throttle
from auditor.web.ui.forms import ChangePasswordForm, EmptyForm, SetPasswordForm
from auditor.web.ui.views import _admin_page

INVALID_LINK = ("This password reset link is not valid: it may have expired, been used already, or been "
                "replaced by a newer one. Ask an administrator of your organization for a new link.")
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _form_errors(form) -> list[str]:
    return [e for field in form for e in field.errors if field.name != "csrf_token"]


@ui.route("/account", methods=["GET", "POST"])
def account():
    form = ChangePasswordForm()
    status = 200
    if request.method == "POST":
        key = f"change:{g.user.id}"
        if throttle().wait(key):
            flash("Too many wrong current passwords. Try again in a few minutes.", "error")
            return render_template("ui/account.html", form=form, min_length=accounts.MIN_PASSWORD_LENGTH), 429
        if form.validate():
            with rt().db.transaction() as s:
                user = s.get(User, g.user.id)
                if not check_password_hash(user.password_hash, form.current_password.data):
                    throttle().fail(key)
                    form.current_password.errors.append("That is not your current password.")
                else:
                    try:
                        accounts.set_password(s, user, form.new_password.data)
                    except accounts.AccountError as exc:
                        form.new_password.errors.append(exc.message[0].upper() + exc.message[1:] + ".")
                    else:
                        mark = password_mark(user.password_hash)
            if not _form_errors(form):
                throttle().clear(key)
                session["pw"] = mark          # this session stays signed in; every other one ends
                flash("Password changed. Any other sessions of yours have been signed out.", "ok")
                return redirect(url_for("ui.account"))
        status = 422
    return render_template("ui/account.html", form=form, min_length=accounts.MIN_PASSWORD_LENGTH), status


@ui.post("/admin/users/<int:user_id>/reset")
@admin_required
def admin_reset_password(user_id: int):
    if not EmptyForm().validate():
        abort(400)
    try:
        with rt().db.transaction() as s:
            user = queries.owned(s, User, g.user.org_id, user_id)
            admin = s.get(User, g.user.id)
            new = accounts.create_reset(s, user, created_by=admin)
            email, expires = user.email, new.reset.expires_at
    except accounts.AccountError as exc:
        flash(exc.message[0].upper() + exc.message[1:] + ".", "error")
        return redirect(url_for("ui.admin"))
    link = url_for("ui.reset_password", token=new.token, _external=True)
    # shown once, in this answer only (never in a flash message: that would sit in the cookie)
    return _admin_page(new_reset={"email": email, "link": link, "expires": expires}, headers=NO_STORE)


@ui.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Public: the token is the credential. Unknown, used, superseded and expired links all get the
    same 404 page, which names no one."""
    with rt().db.session() as s:
        found = accounts.find_reset(s, token)
        email = found[1].email if found else None
    if found is None:
        return render_template("ui/error.html", status=404, message=INVALID_LINK), 404, NO_STORE
    form = SetPasswordForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                with rt().db.transaction() as s:
                    user = accounts.use_reset(s, token, form.new_password.data)
            except accounts.AccountError as exc:
                form.new_password.errors.append(exc.message[0].upper() + exc.message[1:] + ".")
            else:
                if user is None:       # used or replaced between the two reads
                    return render_template("ui/error.html", status=404, message=INVALID_LINK), 404, NO_STORE
                session.clear()        # whoever was signed in in this browser: sign in afresh
                flash("Your password is set. Sign in with it.", "ok")
                return redirect(url_for("ui.login"))
        status = 422
    page = render_template("ui/reset.html", form=form, email=email, min_length=accounts.MIN_PASSWORD_LENGTH)
    return page, status, NO_STORE

