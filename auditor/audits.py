"""Auditing stored posts: the one use case behind the worker, in-process runs and campaign close.

A batch of audit ids goes through three steps:
  1. claim   (short transaction): mark them running, count the attempt, note which worker;
  2. compute (no database): rebuild each Post from its stored data and contract, run the engine;
  3. write   (one transaction): lock the audits still not finished, replace their findings,
             mark them done. A second run of the same batch finds them done and writes nothing,
             and (audit_id, seq) is unique, so findings can never be doubled.
"""
from __future__ import annotations

import logging
import os
import socket
import traceback
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from auditor import webhooks
from auditor.db import ids_in, insert_rows, update_rows
from auditor.models import (
    COMPENSATION_RELATIONSHIP, Audit, Campaign, Contract, Finding, Post as PostRow, ReviewLog, utcnow,
)
from auditor.posts import PostError, parse_post
from auditor.types import Post

log = logging.getLogger(__name__)
CONTRACT_RULE = "contract.disclosure.wording"
CARRY_ACTION = "carry"   # review log: a decision kept across a re-audit of the same post


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    return list(value) if isinstance(value, list) else [value]


def effective_data(data: dict[str, Any], contract: Contract | None, campaign: Campaign | None) -> dict[str, Any]:
    """The post as the engine sees it: a contract adds its known relationship and its countries;
    a campaign gives default countries and the brand."""
    out = dict(data)
    given = _as_list(out.pop("country", None)) + _as_list(out.get("countries"))
    if contract is not None:
        countries = list(contract.countries or (campaign.countries if campaign else []))
        relationship = _as_list(out.get("relationship"))
        known = COMPENSATION_RELATIONSHIP.get(contract.compensation)
        if known and known not in relationship:
            relationship.append(known)
        out["relationship"] = [r for r in relationship if r != "none"] or relationship
    else:
        countries = list(campaign.countries) if campaign is not None else []
    if contract is not None:
        merged = countries + [c for c in given if c not in countries]
    else:
        merged = given or countries
    if merged:
        out["countries"] = merged
    if campaign is not None and campaign.brand and not out.get("brand"):
        out["brand"] = campaign.brand
    return out


def build_post(known_countries: Iterable[str], data: dict[str, Any], contract: Contract | None,
               campaign: Campaign | None, fallback_id: str) -> Post:
    return parse_post(effective_data(data, contract, campaign), known_countries, fallback_id=fallback_id)


def _normal(s: str) -> str:
    return " ".join(s.lower().split())


def contract_findings(post: Post, contract: Contract | None, version: str) -> list[dict[str, Any]]:
    """The contract may require a disclosure wording; the engine does not know contracts."""
    wording = (contract.disclosure_wording or "").strip() if contract else ""
    if not wording:
        return []
    haystack = _normal(" ".join([post.text, post.transcript, *post.frames]))
    if _normal(wording) in haystack:
        return []
    return [{"rule_id": CONTRACT_RULE, "country": None, "severity": "error",
             "message": f"The contract requires the disclosure '{wording}'; the post does not contain it.",
             "fix": f"Add '{wording}' at the start of the caption.", "fix_label": wording,
             "evidence": [], "references": [], "confidence": "high"}]


def audit_post(engine, data: dict[str, Any], contract: Contract | None, campaign: Campaign | None,
               post_id: str) -> dict[str, Any]:
    """Verdict dict for one stored post (raises PostError when the stored data no longer parses)."""
    post = build_post(engine.rules.countries.keys(), data, contract, campaign, post_id)
    verdict = engine.audit(post).to_dict()
    extra = contract_findings(post, contract, verdict["ruleset_version"])
    if extra:
        verdict["findings"] = extra + verdict["findings"]
        worst = min({"error": 0, "warning": 1, "info": 2}[f["severity"]] for f in verdict["findings"])
        verdict["status"] = ("violation", "needs_review", "compliant")[worst]
    return verdict


def public_post_id(row_id: int, external_id: str | None, url: str | None = None) -> str:
    """How reports name a stored post: the caller's id, else its url, else our row id."""
    return external_id or url or f"post-{row_id}"


@dataclass
class BatchResult:
    done: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)   # already finished (a re-run)
    findings: int = 0
    deliveries: list[int] = field(default_factory=list)   # webhook deliveries recorded, to send


def claim(session: Session, audit_ids: list[int], worker: str) -> list[tuple[int, int, int]]:
    """Mark the audits running (one statement); answer (audit id, org id, post id) of those we took.

    The rows are locked in id order first (the sub-select): two jobs claiming overlapping batches
    at once then wait for each other instead of deadlocking."""
    claimable = (select(Audit.id).where(ids_in(session, Audit.id, audit_ids), Audit.status.in_(("queued", "running")))
                 .order_by(Audit.id).with_for_update())
    return [tuple(r) for r in session.execute(
        update(Audit).where(Audit.id.in_(claimable.scalar_subquery()))
        .values(status="running", attempts=Audit.attempts + 1, started_at=utcnow(), claimed_by=worker,
                error=None)
        .returning(Audit.id, Audit.org_id, Audit.post_id)
        .execution_options(synchronize_session=False))]


def _load(session: Session, claimed: list[tuple[int, int, int]]):
    """The claimed audits' posts in one query (columns, no ORM objects), plus their contracts and campaigns."""
    posts = {r[0]: r for r in session.execute(
        select(PostRow.id, PostRow.external_id, PostRow.data, PostRow.contract_id, PostRow.campaign_id,
               PostRow.influencer_id, PostRow.platform, PostRow.url)
        .where(ids_in(session, PostRow.id, {post_id for _, _, post_id in claimed})))}
    rows = [(audit_id, org_id, *posts[post_id]) for audit_id, org_id, post_id in sorted(claimed)]
    contract_ids = {r[5] for r in rows if r[5]}
    campaign_ids = {r[6] for r in rows if r[6]}
    contracts = {c.id: c for c in session.scalars(select(Contract).where(Contract.id.in_(contract_ids)))} \
        if contract_ids else {}
    campaign_ids |= {c.campaign_id for c in contracts.values()}
    campaigns = {c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids)))} \
        if campaign_ids else {}
    return rows, contracts, campaigns


def run_batch(db, engine, audit_ids: list[int], worker: str | None = None,
              send_deliveries: Callable[[list[int]], Any] | None = None) -> BatchResult:
    """Audit these stored audits. Idempotent: safe to run again, concurrently or after a crash.

    Two short transactions: the claim (committed, so that attempts are counted and a crash leaves
    the audits visibly 'running' for `requeue`) and the write. Between them, no database at all.
    The webhook deliveries the write recorded go to `send_deliveries` after commit (default: a
    background thread of this process).
    """
    worker = worker or worker_id()
    result = BatchResult()
    with db.transaction() as session:
        claimed = claim(session, audit_ids, worker)
        rows, contracts, campaigns = _load(session, claimed) if claimed else ([], {}, {})
    result.skipped = sorted(set(audit_ids) - {c[0] for c in claimed})

    computed: dict[int, tuple[dict | None, str | None, tuple]] = {}
    for audit_id, org_id, post_id, external_id, data, contract_id, campaign_id, influencer_id, platform, url in rows:
        contract = contracts.get(contract_id)
        campaign = campaigns.get(campaign_id or (contract.campaign_id if contract else None))
        meta = (org_id, post_id, contract_id, campaign.id if campaign else campaign_id, influencer_id, platform)
        try:
            verdict = audit_post(engine, data, contract, campaign, public_post_id(post_id, external_id, url))
            computed[audit_id] = (verdict, None, meta)
        except PostError as exc:   # the stored post no longer fits the rules (e.g. a country was removed)
            computed[audit_id] = (None, f"{exc.code}: {exc.message}", meta)
        except Exception as exc:   # one bad post must not sink its batch
            log.exception("audit %s failed", audit_id)
            computed[audit_id] = (None, f"internal_error: {type(exc).__name__}: {exc}", meta)

    if computed:
        write(db, computed, result)
    if result.deliveries:
        try:
            (send_deliveries or partial(webhooks.deliver_in_background, db))(result.deliveries)
        except Exception:   # the rows stay pending and visible; a receiver never fails an audit
            log.exception("could not send webhook deliveries %s", result.deliveries[:5])
    return result


def write(db, computed: dict[int, tuple[dict | None, str | None, tuple]], result: BatchResult) -> None:
    """One transaction: lock, replace findings, finish the audits (each a single set-based statement)."""
    now = utcnow()
    with db.transaction() as session:
        # lock what we are about to finish: a concurrent re-run waits here, then finds them done
        open_ids = set(session.scalars(
            select(Audit.id).where(ids_in(session, Audit.id, computed), Audit.status.notin_(("done", "failed")))
            .order_by(Audit.id).with_for_update()))
        result.skipped += sorted(set(computed) - open_ids)
        if not open_ids:
            return
        post_ids = sorted({computed[a][2][1] for a in open_ids})
        # and the posts: an ingest superseding one of them waits, or has already cleared is_current
        current_posts = set(session.scalars(
            select(PostRow.id).where(ids_in(session, PostRow.id, post_ids), PostRow.is_current)
            .order_by(PostRow.id).with_for_update()))
        # findings of an earlier, interrupted run of these audits (none on a first run: one index probe)
        session.execute(delete(Finding).where(ids_in(session, Finding.audit_id, open_ids))
                        .execution_options(synchronize_session=False))
        finding_rows: list[dict[str, Any]] = []
        audit_rows: list[dict[str, Any]] = []
        finished: list[dict[str, Any]] = []   # what the webhook events say
        failed: list[dict[str, Any]] = []     # no event of their own, but may finish a close run
        for audit_id in sorted(open_ids):
            verdict, error, (org_id, post_id, contract_id, campaign_id, influencer_id, platform) = computed[audit_id]
            if verdict is None:
                audit_rows.append({"id": audit_id, "status": "failed", "error": error, "finished_at": now,
                                   "verdict_status": None, "ruleset_version": None, "verdict": None})
                result.failed.append(audit_id)
                failed.append({"audit_id": audit_id, "org_id": org_id})
                continue
            version = verdict["ruleset_version"]
            audit_rows.append({"id": audit_id, "status": "done", "error": None, "finished_at": now,
                               "verdict_status": verdict["status"], "ruleset_version": version,
                               "verdict": verdict})
            result.done.append(audit_id)
            finished.append({"audit_id": audit_id, "org_id": org_id, "post_id": post_id,
                             "campaign_id": campaign_id, "contract_id": contract_id, "status": verdict["status"],
                             "ruleset_version": version, "findings": verdict["findings"]})
            current = post_id in current_posts
            for seq, f in enumerate(verdict["findings"]):
                finding_rows.append({
                    "org_id": org_id, "audit_id": audit_id, "seq": seq, "post_id": post_id,
                    "campaign_id": campaign_id, "contract_id": contract_id, "influencer_id": influencer_id,
                    "platform": platform, "rule_id": f["rule_id"], "country": f["country"],
                    "severity": f["severity"], "message": f["message"], "fix": f["fix"],
                    "fix_label": f.get("fix_label"), "evidence": f["evidence"], "references": f["references"],
                    "confidence": f.get("confidence", "high"), "ruleset_version": version,
                    "review_state": "open", "fix_requested_at": None, "current": current, "created_at": now,
                })
        carried = _carry_decisions(session, post_ids, finding_rows)
        update_rows(session, Audit, audit_rows)
        new_ids = insert_rows(session, Finding, finding_rows, returning_ids=bool(carried))
        if carried:
            insert_rows(session, ReviewLog, [
                {"org_id": finding_rows[i]["org_id"], "finding_id": new_ids[i], "user_id": None,
                 "api_key_id": None, "action": CARRY_ACTION, "from_state": "open",
                 "to_state": finding_rows[i]["review_state"], "created_at": now,
                 "note": f"kept from finding {old_id}: same rule, country and evidence"}
                for i, old_id in carried], returning_ids=False)
        result.findings += len(finding_rows)
        _mark_current(session, post_ids)
        result.deliveries += webhooks.record_audit_events(session, finished, now, failed)


def _finding_key(post_id: int, rule_id: str, country: str | None, evidence: list[dict]) -> tuple:
    """What makes two audits' findings the same finding: offsets left out, as in baselines."""
    return post_id, rule_id, country, tuple(sorted((e.get("field"), e.get("text")) for e in evidence or ()))


def _carry_decisions(session: Session, post_ids: list[int], finding_rows: list[dict]) -> list[tuple[int, int]]:
    """A re-audit of the same post (re-audit button, campaign close, new ruleset) must not undo the
    reviewers' work: a new finding identical to a decided current one takes over its review state.
    Answers (row index, old finding id) for the review log. An edited post is a new post row, so
    its findings start open: the change deserves a fresh look."""
    decided = {}
    for old in session.execute(
            select(Finding.id, Finding.post_id, Finding.rule_id, Finding.country, Finding.evidence,
                   Finding.review_state, Finding.fix_requested_at)
            .where(ids_in(session, Finding.post_id, post_ids), Finding.current, Finding.review_state != "open")):
        decided[_finding_key(old.post_id, old.rule_id, old.country, old.evidence)] = old
    carried = []
    for i, row in enumerate(finding_rows):
        old = decided.get(_finding_key(row["post_id"], row["rule_id"], row["country"], row["evidence"])) \
            if decided else None
        if old is not None:
            row["review_state"], row["fix_requested_at"] = old.review_state, old.fix_requested_at
            carried.append((i, old.id))
    return carried


def _mark_current(session: Session, post_ids: list[int]) -> None:
    """Only the findings of a post's latest finished audit are 'current' (what reviewers see)."""
    latest = (select(func.max(Audit.id)).where(Audit.post_id == Finding.post_id, Audit.status == "done")
              .scalar_subquery())
    session.execute(update(Finding).where(ids_in(session, Finding.post_id, post_ids), Finding.current,
                                          Finding.audit_id != func.coalesce(latest, 0))
                    .values(current=False).execution_options(synchronize_session=False))


def record_failure(db, audit_ids: list[int], exc: BaseException, max_attempts: int) -> None:
    """The whole batch failed (database gone, timeout): note the error; give up after max_attempts.
    Audits given up on may be the last of a campaign-close run: its campaign.closed event is recorded
    then, and sent from this process (or by `auditor requeue` if it stops first)."""
    message = f"{type(exc).__name__}: {exc}"[:2000]
    deliveries: list[int] = []
    try:
        with db.transaction() as session:
            now = utcnow()
            base = update(Audit).where(Audit.id.in_(audit_ids), Audit.status.in_(("queued", "running")))
            given_up = list(session.scalars(base.where(Audit.attempts >= max_attempts)
                                            .values(status="failed", error=message, finished_at=now)
                                            .returning(Audit.id).execution_options(synchronize_session=False)))
            session.execute(base.where(Audit.attempts < max_attempts)
                            .values(status="queued", error=message, claimed_by=None)
                            .execution_options(synchronize_session=False))
            if given_up:
                deliveries = webhooks.record_failed_audits(session, given_up, now)
    except Exception:   # the database may be the very thing that is down; requeue recovers later
        log.warning("could not record the failure of audits %s:\n%s", audit_ids[:5], traceback.format_exc())
        return
    if deliveries:
        webhooks.deliver_in_background(db, deliveries)


def dispatch(rt, session: Session, audit_ids: list[int]) -> dict[str, list[int]]:
    """Give each audit its job id (inside the caller's transaction). Call send() after commit."""
    queue = rt.queue
    if queue is None or not audit_ids:
        return {}
    plan = queue.plan(audit_ids)
    update_rows(session, Audit, [{"id": audit_id, "job_id": job_id}
                                 for job_id, ids in plan.items() for audit_id in ids])
    return plan


def send(rt, plan: dict[str, list[int]], audit_ids: list[int]) -> dict[str, Any]:
    """After commit: enqueue the jobs, or (embedded mode) run the audits here and now."""
    from auditor.queue import QueueUnavailable

    if rt.queue is None:
        for i in range(0, len(audit_ids), rt.settings.batch_size):
            run_batch(rt.db, rt.engine, audit_ids[i:i + rt.settings.batch_size])
        return {"mode": "in-process", "status": "done"}
    try:
        rt.queue.enqueue(plan)
    except QueueUnavailable as exc:
        log.warning("%s; %d audit(s) stay queued in the database", exc, len(audit_ids))
        return {"mode": "queue", "status": "unavailable",
                "message": "stored; the queue is down, so the audits wait in the database until "
                           "`auditor requeue` (or a worker starting) sends them"}
    return {"mode": "queue", "status": "queued", "jobs": len(plan)}
