"""Posts in (queued audits), audits and findings out, review decisions appended to the log."""
from __future__ import annotations

from sqlalchemy import select

from auditor import audits, ingest
from auditor.catalog import owned
from auditor.models import (
    AUDIT_STATES, REVIEW_STATES, Audit, Finding, Post as PostRow, ReviewLog,
)
from auditor.types import PLATFORMS, SEVERITIES
from auditor.web.api import api
from auditor.web.api.common import (
    audit_json, body, bool_arg, choice_arg, finding_json, int_arg, object_body, paginate, post_json,
    principal, rt,
)
from auditor.web.auth import require
from auditor.web.errors import ApiError, json_response


@api.post("/posts")
@require("ingest")
def create_posts():
    runtime = rt()
    org_id = principal().org_id
    raws, is_batch = ingest.validate_batch_shape(body(), runtime.settings.max_posts_per_request)
    assigned: dict[str, list[int]] = {}

    def planner(audit_ids: list[int]) -> dict[str, list[int]]:   # job ids written with the audits
        assigned.update(runtime.queue.plan(audit_ids))
        return assigned

    with runtime.db.transaction() as session:
        prepared = ingest.prepare(session, org_id, raws, runtime.rules.countries.keys())
        results = ingest.store(session, org_id, prepared, planner=planner if runtime.queue is not None else None)
        new = ingest.new_audit_ids(results)
        plan = assigned or audits.dispatch(runtime, session, new)
    queue = audits.send(runtime, plan, new) if new else {"status": "nothing_new"}
    if runtime.queue is None and new:   # in-process: the audits are already finished
        with runtime.db.session() as session:
            states = dict(session.execute(select(Audit.id, Audit.status).where(Audit.id.in_(new))).all())
        for r in results:
            r["status"] = states.get(r.get("audit_id"), r["status"]) if r["status"] == "queued" else r["status"]
    answer = {"posts": results, "queue": queue} if is_batch else dict(results[0], queue=queue)
    return json_response(answer, 202)


def _org_query(model):
    return select(model).where(model.org_id == principal().org_id)


@api.get("/posts")
@require("read")
def list_posts():
    q = _org_query(PostRow)
    for arg, column in (("campaign", PostRow.campaign_id), ("contract", PostRow.contract_id),
                        ("influencer", PostRow.influencer_id)):
        value = int_arg(arg)
        if value is not None:
            q = q.where(column == value)
    platform = choice_arg("platform", PLATFORMS)
    if platform:
        q = q.where(PostRow.platform == platform)
    if not bool_arg("all_versions", False):
        q = q.where(PostRow.is_current)
    with rt().db.session() as session:
        return json_response(paginate(session, q, PostRow.id, post_json))


@api.get("/posts/<int:post_id>")
@require("read")
def get_post(post_id: int):
    with rt().db.session() as session:
        post = owned(session, PostRow, principal().org_id, post_id, "post")
        d = post_json(post)
        chain = [] if post.identity is None else session.execute(
            select(PostRow.id, PostRow.version, PostRow.is_current, PostRow.created_at)
            .where(PostRow.org_id == post.org_id, PostRow.identity == post.identity).order_by(PostRow.version)).all()
        d["versions"] = [{"id": i, "version": v, "is_current": c, "created_at": t.isoformat()}
                         for i, v, c, t in chain]
        d["audits"] = [audit_json(a) for a in session.scalars(
            select(Audit).where(Audit.post_id == post.id).order_by(Audit.id))]
        return json_response(d)


@api.get("/audits")
@require("read")
def list_audits():
    q = _org_query(Audit)
    status = choice_arg("status", AUDIT_STATES)
    if status:
        q = q.where(Audit.status == status)
    for arg, column in (("post", Audit.post_id), ("run", Audit.run_id)):
        value = int_arg(arg)
        if value is not None:
            q = q.where(column == value)
    with rt().db.session() as session:
        return json_response(paginate(session, q, Audit.id, audit_json))


@api.get("/audits/<int:audit_id>")
@require("read")
def get_audit(audit_id: int):
    with rt().db.session() as session:
        audit = owned(session, Audit, principal().org_id, audit_id, "audit")
        d = audit_json(audit, with_verdict=True)
        d["findings"] = [f.id for f in session.scalars(
            select(Finding).where(Finding.audit_id == audit.id).order_by(Finding.seq))]
        return json_response(d)


FINDING_FILTERS = (("campaign", Finding.campaign_id), ("contract", Finding.contract_id),
                   ("influencer", Finding.influencer_id), ("post", Finding.post_id), ("audit", Finding.audit_id))


@api.get("/findings")
@require("read")
def list_findings():
    q = _org_query(Finding)
    for arg, column in FINDING_FILTERS:
        value = int_arg(arg)
        if value is not None:
            q = q.where(column == value)
    country = (request_arg("country") or "").upper()
    if country:
        q = q.where(Finding.country == country)
    for arg, column, choices in (("platform", Finding.platform, PLATFORMS),
                                 ("severity", Finding.severity, SEVERITIES),
                                 ("review_state", Finding.review_state, REVIEW_STATES)):
        value = choice_arg(arg, choices)
        if value:
            q = q.where(column == value)
    rule = request_arg("rule")
    if rule:
        q = q.where(Finding.rule_id == rule)
    # by default only what the latest audit of each post says; history=true shows superseded ones
    if not bool_arg("history", False):
        q = q.where(Finding.current)
    with rt().db.session() as session:
        return json_response(paginate(session, q, Finding.id, finding_json))


def request_arg(name: str) -> str | None:
    from flask import request
    value = request.args.get(name)
    return value.strip() if value else None


@api.get("/findings/<int:finding_id>")
@require("read")
def get_finding(finding_id: int):
    with rt().db.session() as session:
        finding = owned(session, Finding, principal().org_id, finding_id, "finding")
        d = finding_json(finding)
        d["review_log"] = [{"id": r.id, "action": r.action, "from_state": r.from_state, "to_state": r.to_state,
                            "note": r.note, "user_id": r.user_id, "api_key_id": r.api_key_id,
                            "created_at": r.created_at.isoformat()}
                           for r in session.scalars(select(ReviewLog).where(ReviewLog.finding_id == finding.id)
                                                    .order_by(ReviewLog.id))]
        return json_response(d)


@api.post("/findings/<int:finding_id>/review")
@require("review")
def review_finding(finding_id: int):
    data = object_body()
    state = data.get("state")
    if state not in REVIEW_STATES:
        raise ApiError(422, "invalid_field", f"'state' must be one of {', '.join(REVIEW_STATES)}", {"field": "state"})
    note = data.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 5000):
        raise ApiError(422, "invalid_field", "'note' must be a string of at most 5,000 characters", {"field": "note"})
    p = principal()
    with rt().db.transaction() as session:
        finding = owned(session, Finding, p.org_id, finding_id, "finding")
        session.add(ReviewLog(org_id=p.org_id, finding_id=finding.id, api_key_id=p.key_id, action="review",
                              from_state=finding.review_state, to_state=state, note=note))
        finding.review_state = state
        session.flush()
        return json_response(finding_json(finding))
