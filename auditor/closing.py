"""Campaign close: audit every current post of the campaign again (on the workers), then report."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auditor.db import ids_in, insert_rows
from auditor.errors import Conflict
from auditor.models import Audit, Campaign, CloseRun, Finding, Post as PostRow, utcnow
from auditor.reports.summary import summarize


def latest_run(session: Session, campaign: Campaign) -> CloseRun | None:
    return session.scalar(select(CloseRun).where(CloseRun.campaign_id == campaign.id)
                          .order_by(CloseRun.id.desc()).limit(1))


def start(session: Session, campaign: Campaign, rerun: bool = False) -> tuple[CloseRun, bool, list[int]]:
    """Close the campaign and queue its close audit. Closing again returns the last run,
    unless `rerun` asks for a fresh audit (e.g. after the rules changed)."""
    run = latest_run(session, campaign)
    if run is not None and campaign.status == "closed" and not rerun:
        return run, False, []
    post_ids = list(session.scalars(select(PostRow.id).where(
        PostRow.org_id == campaign.org_id, PostRow.campaign_id == campaign.id, PostRow.is_current)
        .order_by(PostRow.id)))
    run = CloseRun(org_id=campaign.org_id, campaign_id=campaign.id, total=len(post_ids))
    session.add(run)
    session.flush()
    audit_ids: list[int] = []
    if post_ids:
        audit_ids = insert_rows(session, Audit, [
            {"org_id": campaign.org_id, "post_id": pid, "run_id": run.id, "kind": "close", "status": "queued"}
            for pid in post_ids])
    campaign.status = "closed"
    campaign.closed_at = utcnow()
    if not post_ids:   # nothing to audit: the run is finished already
        from auditor import webhooks
        webhooks.record_close_event(session, run, campaign.closed_at)
    return run, True, audit_ids


def finished_runs(session: Session, audit_ids: list[int]) -> list[CloseRun]:
    """Inside the transaction finishing these audits: the close runs they belong to that have no audit
    left queued or running. The runs are locked first, so of two transactions finishing the last
    audits of one run concurrently, the second one to get here sees the first one's and answers it."""
    run_ids = sorted(set(session.scalars(select(Audit.run_id).where(
        ids_in(session, Audit.id, audit_ids), Audit.run_id.isnot(None))))) if audit_ids else []
    if not run_ids:
        return []
    runs = list(session.scalars(select(CloseRun).where(CloseRun.id.in_(run_ids)).order_by(CloseRun.id)
                                .with_for_update()))
    unfinished = set(session.scalars(select(Audit.run_id).where(
        Audit.run_id.in_(run_ids), Audit.status.in_(("queued", "running")))))
    return [r for r in runs if r.id not in unfinished]


def closed_event(session: Session, run: CloseRun, now) -> dict[str, Any]:
    """The campaign.closed webhook payload of a finished run: counts and the report's summary."""
    campaign = session.get(Campaign, run.campaign_id)
    counts = progress(session, run)
    results, errors, version = report_inputs(session, campaign, run)
    return {"id": f"campaign.closed:close-run-{run.id}", "type": "campaign.closed", "created_at": now.isoformat(),
            "organization_id": run.org_id,
            "data": {"campaign_id": run.campaign_id, "campaign_name": campaign.name, "close_run_id": run.id,
                     "total": run.total, "counts": {k: counts[k] for k in ("done", "failed")},
                     "ruleset_version": version, "summary": summarize(results, errors)}}


def progress(session: Session, run: CloseRun) -> dict[str, Any]:
    counts = dict(session.execute(select(Audit.status, func.count()).where(Audit.run_id == run.id)
                                  .group_by(Audit.status)).all())
    severities = dict(session.execute(
        select(Finding.severity, func.count()).join(Audit, Audit.id == Finding.audit_id)
        .where(Audit.run_id == run.id).group_by(Finding.severity)).all())
    verdicts = dict(session.execute(select(Audit.verdict_status, func.count())
                                    .where(Audit.run_id == run.id, Audit.status == "done")
                                    .group_by(Audit.verdict_status)).all())
    pending = counts.get("queued", 0) + counts.get("running", 0)
    return {
        "id": run.id, "campaign_id": run.campaign_id, "created_at": run.created_at.isoformat(),
        "status": "running" if pending else "done", "total": run.total,
        "queued": counts.get("queued", 0), "running": counts.get("running", 0),
        "done": counts.get("done", 0), "failed": counts.get("failed", 0),
        "verdicts": {k: verdicts.get(k, 0) for k in ("violation", "needs_review", "compliant")},
        "findings": {k: severities.get(k, 0) for k in ("error", "warning", "info")},
    }


def report_inputs(session: Session, campaign: Campaign, run: CloseRun) -> tuple[list[dict], list[dict], str]:
    """(results, errors, ruleset_version) in the shape auditor.reports.render takes."""
    rows = session.execute(
        select(Audit.id, Audit.status, Audit.error, Audit.verdict, Audit.ruleset_version, PostRow.id,
               PostRow.url, PostRow.external_id)
        .join(PostRow, PostRow.id == Audit.post_id).where(Audit.run_id == run.id).order_by(Audit.id)).all()
    if any(r[1] in ("queued", "running") for r in rows):
        done = sum(r[1] in ("done", "failed") for r in rows)
        raise Conflict(f"the close audit is still running ({done}/{len(rows)} posts); poll "
                       f"GET /api/v1/campaigns/{campaign.id} and ask again", details={"run_id": run.id})
    results, errors, versions = [], [], []
    for audit_id, status, error, verdict, version, post_id, url, external_id in rows:
        source = {"file": url or f"posts/{post_id}", "line": 1}
        if status == "done" and verdict is not None:
            results.append(dict(verdict, source=source, post_id=post_id, audit_id=audit_id))
            versions.append(version)
        else:
            code, _, message = (error or "failed: unknown error").partition(": ")
            errors.append({"file": source["file"], "line": 1, "code": code or "failed",
                           "message": message or error or "", "post_id": post_id, "audit_id": audit_id})
    version = max(set(versions), key=versions.count) if versions else ""
    return results, errors, version
