"""The review UI's pages: queue, post, decisions, re-audit and versions, campaigns, administration."""
from __future__ import annotations

import logging

from flask import (
    Response, abort, flash, g, redirect, render_template, request, url_for,
)
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from auditor import accounts, audits, closing, ingest
from auditor.db import is_unavailable
from auditor.errors import ServiceError
from auditor.models import (
    COMPENSATION_RELATIONSHIP, ApiKey, Audit, Campaign, Finding, Organization, Post as PostRow, PostEvent,
    User, utcnow,
)
from auditor.posts import PostError
from auditor.reports import render as render_report
from auditor.reports.summary import summarize
from auditor.web.ui import charts, decisions, queries, ui
from auditor.web.ui.auth import admin_required, rt
from auditor.web.ui.forms import (
    DECISIONS, BulkDecisionForm, CommentForm, DecisionForm, EditForm, EmptyForm, KeyForm, UserForm,
)
from auditor.web.ui.highlight import Mark, segments, valid, word_diff

log = logging.getLogger(__name__)
NOT_FOUND = "There is nothing here, or it belongs to another organization."
REPORT_EXPORTS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


# -- errors: HTML pages, never a stack trace -------------------------------------------------------

@ui.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    message = NOT_FOUND if exc.status == 404 else exc.message
    return render_template("ui/error.html", status=exc.status, message=message), exc.status


@ui.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    status = exc.code or 500
    messages = {400: "The form could not be accepted (it may have expired). Go back, reload and try again.",
                401: "Sign in first.", 403: "Your role does not allow this.",
                404: NOT_FOUND,
                405: "That is not how this page is used.", 429: "Too many requests; wait a moment."}
    message = messages.get(status, exc.description)
    if status == 400 and exc.description and "CSRF" in exc.description:
        message = "The form's security token is missing or expired. Reload the page and try again."
    return render_template("ui/error.html", status=status, message=message), status


@ui.errorhandler(Exception)
def _unexpected(exc: Exception):
    if is_unavailable(exc):
        log.warning("database unavailable: %s", str(exc).splitlines()[0][:300])
        return render_template("ui/error.html", status=503,
                               message="The database is unavailable. Try again in a few seconds."), \
            503, {"Retry-After": "5"}
    log.exception("unexpected error in the review UI")
    return render_template("ui/error.html", status=500, message="Unexpected error; it has been logged."), 500


def _int(name: str, source=None) -> int | None:
    raw = (request.args if source is None else source).get(name, "")
    return int(raw) if raw.isdigit() else None


def org_id() -> int:
    return g.user.org_id


# -- the queue ---------------------------------------------------------------------------------------

@ui.get("/")
def index():
    return redirect(url_for("ui.queue"))


def _queue_filters(source) -> queries.QueueFilters:
    """The queue's filters from its query string (or from the bulk form, which carries them)."""
    review = source.get("review", "open")
    severity = source.get("severity") or None
    return queries.QueueFilters(
        campaign=_int("campaign", source), influencer=_int("influencer", source),
        country=(source.get("country") or "").upper() or None,
        platform=source.get("platform") or None, rule=source.get("rule") or None,
        severity=severity if severity in queries.SEVERITIES else None,
        review=review if review in queries.REVIEW_FILTERS else "open")


@ui.get("/queue")
def queue():
    f = _queue_filters(request.args)
    with rt().db.session() as s:
        page = queries.queue(s, org_id(), f, _int("page") or 1)
        options = queries.filter_options(s, org_id())
    return render_template("ui/queue.html", page=page, f=f, options=options,
                           review_filters=queries.REVIEW_FILTERS, bulk_form=BulkDecisionForm(formdata=None),
                           decisions=DECISIONS)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@ui.post("/queue/decisions")
def bulk_decide():
    """One decision for the findings the queue shows of every ticked post, in one transaction.
    Any post id not of the user's organization (or unknown) rejects the whole request."""
    f = _queue_filters(request.form)
    page = _int("page", request.form) or 1
    back = redirect(url_for("ui.queue", **f.args(), **({"page": page} if page > 1 else {})))
    form = BulkDecisionForm()
    if not form.validate():
        for name in ("post", "action", "note", "csrf_token"):
            for e in getattr(form, name).errors:
                flash(e, "error")
        return back
    action, post_ids = form.action.data, sorted(set(form.post.data))
    comment = (form.note.data or "").strip() or None
    wording = DECISIONS[action][2]
    target = decisions.target_label(action)
    note = decisions.bulk_note(len(post_ids), comment)
    with rt().db.transaction() as s:
        ours = set(s.scalars(select(PostRow.id).where(PostRow.org_id == org_id(), PostRow.id.in_(post_ids))))
        foreign = [i for i in post_ids if i not in ours]
        if foreign:
            log.warning("bulk decision by user %s named posts outside org %s: %s", g.user.id, org_id(), foreign[:20])
            one = len(foreign) == 1
            flash(f"{_plural(len(foreign), 'selected post')} {'is' if one else 'are'} not in your organization "
                  f"or no longer {'exists' if one else 'exist'}; nothing was changed.", "error")
            return back
        now = utcnow()
        decided: dict[int, int] = {}
        for finding in queries.findings_in_view(s, org_id(), f, post_ids):
            if queries.state_label(finding) == target:
                continue
            decisions.record(s, finding, g.user.id, action, note, at=now)
            decided[finding.post_id] = decided.get(finding.post_id, 0) + 1
    skipped = len(post_ids) - len(decided)
    if decided:
        flash(f"{wording[0].upper()}{wording[1:]}: {_plural(len(decided), 'post')} decided "
              f"({_plural(sum(decided.values()), 'finding')})."
              + (f" {_plural(skipped, 'post')} had nothing left to decide in this view." if skipped else ""), "ok")
    else:
        flash(f"Nothing changed: the selected {'post has' if len(post_ids) == 1 else 'posts have'} no findings "
              "in this view that are not already in that state.", "info")
    return back


@ui.get("/queue/next")
def queue_next():
    """The first post of the open queue other than the one just reviewed (or the queue itself)."""
    skip = _int("after")
    with rt().db.session() as s:
        page = queries.queue(s, org_id(), queries.QueueFilters(), 1)
    for row in page.rows:
        if row.post.id != skip:
            return redirect(url_for("ui.post", post_id=row.post.id))
    flash("The open queue is empty. Well done.", "ok")
    return redirect(url_for("ui.queue"))


# -- one post ----------------------------------------------------------------------------------------

def _fields(post: PostRow, ctx: dict) -> dict[str, str]:
    """The texts the engine read (evidence offsets point into these), field name -> text."""
    try:
        parsed = audits.build_post(rt().rules.countries.keys(), post.data, ctx["contract"], ctx["campaign"],
                                   f"post-{post.id}")
        out = {"text": parsed.text, "transcript": parsed.transcript, "first_comment": parsed.first_comment}
        out.update({f"frames[{i}]": t for i, t in enumerate(parsed.frames)})
        out.update({f"links[{i}]": t for i, t in enumerate(parsed.links)})
    except PostError:   # the stored post no longer parses under today's rules: show what we have
        out = {"text": post.text}
    return {k: v for k, v in out.items() if v}


FIELD_LABELS = {"text": "Caption", "transcript": "Transcript (spoken and on-screen text)",
                "first_comment": "First comment"}


def _field_label(name: str) -> str:
    if name.startswith("frames["):
        return f"Frame {int(name[7:-1]) + 1}"
    if name.startswith("links["):
        return f"Link {int(name[6:-1]) + 1}"
    return FIELD_LABELS.get(name, name)


def _highlighted(fields: dict[str, str], findings: list[Finding], verdict: dict | None):
    marks: dict[str, list[Mark]] = {name: [] for name in fields}
    unplaced: dict[int, int] = {}
    for f in findings:
        for ev in f.evidence or []:
            text = fields.get(ev.get("field"))
            if text is not None and valid(text, ev.get("start"), ev.get("end"), ev.get("text")):
                marks[ev["field"]].append(Mark(ev["start"], ev["end"], f.severity, f"f{f.id}",
                                               f"{f.severity}: {f.rule_id}"))
            else:
                unplaced[f.id] = unplaced.get(f.id, 0) + 1
    for i, d in enumerate((verdict or {}).get("disclosures", [])):
        text = fields.get(d.get("field"))
        if text is not None and valid(text, d.get("start"), d.get("end"), d.get("text")):
            judged = ", ".join(f"{c}: {v.replace('_', ' ')}" for c, v in sorted(d.get("countries", {}).items()))
            marks[d["field"]].append(Mark(d["start"], d["end"], "label", f"d{i}",
                                          f"label found ({judged})" if judged else "label found"))
    for i, ev in enumerate(((verdict or {}).get("connection") or {}).get("evidence", [])):
        text = fields.get(ev.get("field"))
        if ev.get("strength") != "negative" and text is not None and \
                valid(text, ev.get("start"), ev.get("end"), ev.get("text")):
            marks[ev["field"]].append(Mark(ev["start"], ev["end"], "cue", f"c{i}",
                                           f"connection cue: {ev.get('kind', '').replace('_', ' ')}"))
    return [{"name": name, "label": _field_label(name), "segments": segments(text, marks[name])}
            for name, text in fields.items()], unplaced


@ui.get("/posts/<int:post_id>")
def post(post_id: int):
    with rt().db.session() as s:
        p = queries.owned(s, PostRow, org_id(), post_id)
        ctx = queries.post_context(s, org_id(), p)
        audit = queries.latest_audit(s, p.id, done_only=True)
        pending = queries.latest_audit(s, p.id)
        pending = pending if pending is not None and pending.status in ("queued", "running") else None
        findings = queries.findings_of(s, audit)
        chain = queries.versions(s, p)
        events = queries.timeline(s, org_id(), chain)
    verdict = audit.verdict if audit else None
    open_count = sum(queries.state_label(f) == "open" for f in findings)
    fields, unplaced = _highlighted(_fields(p, ctx), findings, verdict)
    contract = ctx["contract"]
    return render_template(
        "ui/post.html", post=p, ctx=ctx, audit=audit, pending=pending, verdict=verdict, findings=findings,
        fields=fields, unplaced=unplaced, chain=chain, open_count=open_count, events=events, decisions=DECISIONS,
        state_of=queries.state_label, decision_form=DecisionForm(), comment_form=CommentForm(),
        empty_form=EmptyForm(),
        relationship=COMPENSATION_RELATIONSHIP.get(contract.compensation) if contract else None)


def _back_to_post(post_id: int, anchor: str | None = None):
    return redirect(url_for("ui.post", post_id=post_id) + (f"#{anchor}" if anchor else ""))


@ui.post("/posts/<int:post_id>/findings/<int:finding_id>/decision")
def decide(post_id: int, finding_id: int):
    form = DecisionForm()
    if not form.validate():
        for errors in form.errors.values():
            for e in errors:
                flash(e, "error")
        return _back_to_post(post_id, f"finding-{finding_id}")
    wording = DECISIONS[form.action.data][2]
    note = (form.note.data or "").strip() or None
    with rt().db.transaction() as s:
        finding = queries.owned(s, Finding, org_id(), finding_id)
        if finding.post_id != post_id:
            abort(404)
        decisions.record(s, finding, g.user.id, form.action.data, note)
        rule = finding.rule_id
    flash(f"{rule}: {wording}.", "ok")
    return _back_to_post(post_id, f"finding-{finding_id}")


@ui.post("/posts/<int:post_id>/comments")
def comment(post_id: int):
    form = CommentForm()
    if not form.validate():
        flash("Write something first.", "error")
        return _back_to_post(post_id, "comment")
    with rt().db.transaction() as s:
        p = queries.owned(s, PostRow, org_id(), post_id)
        s.add(PostEvent(org_id=org_id(), post_id=p.id, user_id=g.user.id, kind="comment",
                        body=form.body.data.strip()))
    flash("Comment added.", "ok")
    return _back_to_post(post_id, "timeline")


@ui.post("/posts/<int:post_id>/reaudit")
def reaudit(post_id: int):
    if not EmptyForm().validate():
        abort(400)
    runtime = rt()
    with runtime.db.transaction() as s:
        p = queries.owned(s, PostRow, org_id(), post_id)
        if not p.is_current:
            flash("Only the latest version can be re-audited.", "error")
            return _back_to_post(post_id)
        audit = Audit(org_id=org_id(), post_id=p.id, kind="reaudit", status="queued")
        s.add(audit)
        s.flush()
        s.add(PostEvent(org_id=org_id(), post_id=p.id, user_id=g.user.id, kind="reaudit", audit_id=audit.id))
        plan = audits.dispatch(runtime, s, [audit.id])
        audit_id = audit.id
    outcome = audits.send(runtime, plan, [audit_id])
    flash("Re-audited with today's rules." if outcome.get("mode") == "in-process"
          else "Re-audit queued; reload in a moment.", "ok")
    return _back_to_post(post_id)


@ui.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit(post_id: int):
    runtime = rt()
    with runtime.db.session() as s:
        p = queries.owned(s, PostRow, org_id(), post_id)
    if not p.is_current or p.identity is None:
        flash("Only the latest version of a post with an id or url can be edited here.", "error")
        return _back_to_post(post_id)
    form = EditForm()
    if request.method == "GET":
        form.text.data = p.text
    elif form.validate():
        data = dict(p.data)
        data.pop("html", None)            # the edited caption replaces the HTML it was extracted from
        data["text"] = form.text.data.replace("\r\n", "\n")
        if p.contract_id:
            data["contract_id"] = p.contract_id
        elif p.campaign_id:
            data["campaign_id"] = p.campaign_id
        with runtime.db.transaction() as s:
            prepared = ingest.prepare(s, org_id(), [data], runtime.rules.countries.keys())
            result = ingest.store(s, org_id(), prepared)[0]
            if result["status"] == "duplicate":
                flash("Nothing changed: that is the current version.", "info")
                return _back_to_post(post_id)
            s.add(PostEvent(org_id=org_id(), post_id=result["post_id"], user_id=g.user.id, kind="new_version",
                            body=(form.note.data or "").strip() or None, audit_id=result["audit_id"]))
            new_ids = ingest.new_audit_ids([result])
            plan = audits.dispatch(runtime, s, new_ids)
        audits.send(runtime, plan, new_ids)
        flash(f"Version {result['version']} saved and audited.", "ok")
        return redirect(url_for("ui.compare", post_id=post_id, other_id=result["post_id"]))
    return render_template("ui/edit.html", post=p, form=form)


def _finding_key(f: Finding) -> tuple:
    return (f.rule_id, f.country or "")


@ui.get("/posts/<int:post_id>/compare/<int:other_id>")
def compare(post_id: int, other_id: int):
    with rt().db.session() as s:
        a = queries.owned(s, PostRow, org_id(), post_id)
        b = queries.owned(s, PostRow, org_id(), other_id)
        if a.identity is None or a.identity != b.identity:
            abort(404)
        if a.version > b.version:
            a, b = b, a
        fa = queries.findings_of(s, queries.latest_audit(s, a.id, done_only=True))
        fb = queries.findings_of(s, queries.latest_audit(s, b.id, done_only=True))
        chain = queries.versions(s, a)
    keys_a, keys_b = {_finding_key(f) for f in fa}, {_finding_key(f) for f in fb}
    return render_template(
        "ui/compare.html", old=a, new=b, diff=word_diff(a.text, b.text), chain=chain,
        fixed=[f for f in fa if _finding_key(f) not in keys_b], added=[f for f in fb if _finding_key(f) not in keys_a],
        remaining=[f for f in fb if _finding_key(f) in keys_a])


# -- campaigns ---------------------------------------------------------------------------------------

@ui.get("/campaigns")
def campaigns():
    with rt().db.session() as s:
        rows = s.scalars(select(Campaign).where(Campaign.org_id == org_id())
                         .order_by(Campaign.status, Campaign.created_at.desc())).all()
        counts = dict(s.execute(select(PostRow.campaign_id, func.count()).where(
            PostRow.org_id == org_id(), PostRow.is_current, PostRow.campaign_id.is_not(None))
            .group_by(PostRow.campaign_id)).all())
        open_counts = dict(s.execute(select(Finding.campaign_id, func.count(func.distinct(Finding.post_id))).where(
            Finding.org_id == org_id(), Finding.current, Finding.severity == "error",
            Finding.review_state.in_(queries.STANDING), Finding.campaign_id.is_not(None))
            .group_by(Finding.campaign_id)).all())
    items = [{"c": c, "posts": counts.get(c.id, 0), "violating": open_counts.get(c.id, 0)} for c in rows]
    for item in items:
        item["rate"] = (item["posts"] - item["violating"]) / item["posts"] if item["posts"] else None
    return render_template("ui/campaigns.html", items=items)


def _bars(groups, link=None) -> dict:
    return charts.bar_chart([charts.Bar(label, g.rate, g.compliant, g.total,
                                        href=link(label) if link else None) for label, g in groups])


@ui.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    with rt().db.session() as s:
        c = queries.owned(s, Campaign, org_id(), campaign_id)
        stats = queries.campaign_stats(s, org_id(), c)
        run = closing.latest_run(s, c)
        progress = closing.progress(s, run) if run else None
        posts = {p.id: p for p in s.scalars(select(PostRow).where(
            PostRow.org_id == org_id(), PostRow.id.in_({f.post_id for f in stats["open_violations"]})))}
    country_names = {code: pol.name for code, pol in rt().rules.countries.items()}
    platforms = rt().rules.platforms
    return render_template(
        "ui/campaign.html", c=c, stats=stats, run=run, progress=progress, posts=posts,
        by_influencer=_bars(stats["by_influencer"]),
        by_country=_bars([(country_names.get(k, k), g) for k, g in stats["by_country"]]),
        by_platform=_bars([(platforms[k].name if k in platforms else k, g) for k, g in stats["by_platform"]]),
        over_time=charts.time_chart([charts.Column(label, g.rate, g.compliant, g.total)
                                     for label, g in stats["over_time"]]),
        empty_form=EmptyForm())


@ui.post("/campaigns/<int:campaign_id>/close")
@admin_required
def close_campaign(campaign_id: int):
    if not EmptyForm().validate():
        abort(400)
    runtime = rt()
    with runtime.db.transaction() as s:
        c = queries.owned(s, Campaign, org_id(), campaign_id)
        run, created, audit_ids = closing.start(s, c, rerun=c.status == "closed")
        plan = audits.dispatch(runtime, s, audit_ids)
    if audit_ids:
        audits.send(runtime, plan, audit_ids)
    flash(f"Close audit started for {run.total} post(s).", "ok")
    return redirect(url_for("ui.campaign", campaign_id=campaign_id) + "#report")


def _report_inputs(campaign_id: int):
    """(campaign, run, progress, results, errors, version); results is None while it runs."""
    with rt().db.session() as s:
        c = queries.owned(s, Campaign, org_id(), campaign_id)
        run = closing.latest_run(s, c)
        if run is None:
            return c, None, None, None, [], ""
        progress = closing.progress(s, run)
        if progress["status"] != "done":
            return c, run, progress, None, [], ""
        results, errors, version = closing.report_inputs(s, c, run)
        captions = dict(s.execute(select(PostRow.id, PostRow.text).where(
            PostRow.org_id == org_id(), PostRow.id.in_({r["post_id"] for r in results}))).all())
        reviews = {(a, q): queries.state_label(f) for a, q, f in s.execute(
            select(Finding.audit_id, Finding.seq, Finding).where(
                Finding.org_id == org_id(), Finding.audit_id.in_({r["audit_id"] for r in results})))}
    for r in results:   # for the printable page only (the exports keep the renderers' shape)
        r["_caption"] = captions.get(r["post_id"], "")
        r["_reviews"] = [reviews.get((r["audit_id"], i), "open") for i in range(len(r["findings"]))]
    return c, run, progress, results, errors, version


@ui.get("/campaigns/<int:campaign_id>/report")
def report(campaign_id: int):
    c, run, progress, results, errors, version = _report_inputs(campaign_id)
    summary = summarize(results, errors) if results is not None else None
    return render_template("ui/report.html", c=c, run=run, progress=progress, results=results, errors=errors,
                           version=version, summary=summary)


@ui.get("/campaigns/<int:campaign_id>/report.<fmt>")
def report_export(campaign_id: int, fmt: str):
    if fmt not in REPORT_EXPORTS:
        abort(404)
    c, run, progress, results, errors, version = _report_inputs(campaign_id)
    if results is None:
        flash("The campaign has no finished close report yet.", "error")
        return redirect(url_for("ui.campaign", campaign_id=campaign_id) + "#report")
    results = [{k: v for k, v in r.items() if not k.startswith("_")} for r in results]
    text = render_report(fmt, results=results, errors=errors, ruleset_version=version, source_name=c.name)
    filename = f"campaign-{c.id}-close-{run.id}.{fmt}"
    return Response(text, content_type=REPORT_EXPORTS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# -- administration ----------------------------------------------------------------------------------

def _admin_page(user_form=None, key_form=None, new_secret=None, new_reset=None, status=200, headers=None):
    with rt().db.session() as s:
        users = s.scalars(select(User).where(User.org_id == org_id()).order_by(User.email)).all()
        keys = s.scalars(select(ApiKey).where(ApiKey.org_id == org_id()).order_by(ApiKey.id.desc())).all()
    return render_template("ui/admin.html", users=users, keys=keys, user_form=user_form or UserForm(),
                           key_form=key_form or KeyForm(), new_secret=new_secret, new_reset=new_reset,
                           empty_form=EmptyForm()), status, headers or {}


@ui.get("/admin")
@admin_required
def admin():
    return _admin_page()


@ui.post("/admin/users")
@admin_required
def admin_create_user():
    form = UserForm()
    if not form.validate():
        return _admin_page(user_form=form, status=422)
    try:
        with rt().db.transaction() as s:
            org = s.get(Organization, org_id())
            user = accounts.create_user(s, org, form.email.data, form.password.data, form.role.data)
            email = user.email
    except accounts.AccountError as exc:
        flash(exc.message, "error")
        return _admin_page(user_form=form, status=422)
    flash(f"Created {form.role.data} {email}.", "ok")
    return redirect(url_for("ui.admin"))


@ui.post("/admin/users/<int:user_id>/active")
@admin_required
def admin_toggle_user(user_id: int):
    if not EmptyForm().validate():
        abort(400)
    if user_id == g.user.id:
        flash("You cannot deactivate yourself.", "error")
        return redirect(url_for("ui.admin"))
    with rt().db.transaction() as s:
        user = queries.owned(s, User, org_id(), user_id)
        user.active = not user.active
        flash(f"{user.email} is now {'active' if user.active else 'deactivated'}.", "ok")
    return redirect(url_for("ui.admin"))


@ui.post("/admin/keys")
@admin_required
def admin_create_key():
    form = KeyForm()
    scopes = [name for name in ("check", "ingest", "read", "review", "admin") if getattr(form, name).data]
    if not form.validate() or not scopes:
        if not scopes:
            flash("Tick at least one scope.", "error")
        return _admin_page(key_form=form, status=422)
    with rt().db.transaction() as s:
        new = accounts.create_key(s, s.get(Organization, org_id()), scopes, form.name.data.strip())
    # shown once, in this answer only (never in a flash message: that would sit in the cookie)
    return _admin_page(new_secret=new.secret)


@ui.post("/admin/keys/<int:key_id>/revoke")
@admin_required
def admin_revoke_key(key_id: int):
    if not EmptyForm().validate():
        abort(400)
    with rt().db.transaction() as s:
        key = queries.owned(s, ApiKey, org_id(), key_id)
        if key.revoked_at is None:
            key.revoked_at = utcnow()
        flash(f"Key {key.prefix}… revoked; running servers stop accepting it within "
              f"{rt().settings.auth_cache_seconds:g} s.", "ok")
    return redirect(url_for("ui.admin"))
