"""`auditor requeue`: the database is the source of truth, Redis only a delivery channel.

An audit that is not finished needs a new job when Redis no longer has its job (flushed: this
Redis keeps nothing on disk), when its job ended without finishing it, when the worker that
claimed it is dead (same host: its pid is gone), or when it has been running far too long.
"""
from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from auditor import audits, webhooks
from auditor.models import Audit, utcnow
from auditor.queue import TERMINAL

log = logging.getLogger(__name__)


@dataclass
class RequeueResult:
    requeued: list[int] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    jobs: int = 0
    deliveries: list[int] = field(default_factory=list)   # stuck webhook deliveries sent again


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dead_local_worker(claimed_by: str | None) -> bool:
    if not claimed_by or ":" not in claimed_by:
        return False
    host, _, pid = claimed_by.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and int(pid) != os.getpid() \
        and not _pid_alive(int(pid))


def _aware(ts: datetime | None) -> datetime | None:
    if ts is not None and ts.tzinfo is None:   # SQLite hands back naive UTC
        return ts.replace(tzinfo=timezone.utc)
    return ts


def reason_to_requeue(row, job_state: str | None, now: datetime, stale_after: int) -> str | None:
    _id, status, job_id, claimed_by, started_at = row
    if job_id is None:
        return "never_sent"
    if job_state is None:
        return "job_lost"
    if job_state in TERMINAL:
        return f"job_{job_state}"
    if status == "running":
        if _dead_local_worker(claimed_by):
            return "worker_dead"
        started = _aware(started_at)
        if stale_after and started is not None and now - started > timedelta(seconds=stale_after):
            return "stale"
    return None


def resend_deliveries(rt, now: datetime | None = None) -> list[int]:
    """Webhook deliveries left pending that nothing will send any more (a killed worker, Redis
    flushed, a stopped process): send them again the way fresh ones go. A delivered one is never
    sent again, and the claim makes a repeated or concurrent requeue skip them for a while."""
    with rt.db.transaction() as session:
        ids = webhooks.claim_stuck(session, now or utcnow())
    webhooks.resend(rt, ids)
    if ids:
        log.info("re-sent %d stuck webhook delivery(ies)", len(ids))
    return ids


def requeue(rt, include_failed: bool = False, limit: int | None = None) -> RequeueResult:
    """Find audits that would otherwise never finish, and webhook deliveries that would never be
    sent, and send them again (idempotent)."""
    queue = rt.queue
    result = RequeueResult(deliveries=resend_deliveries(rt))
    with rt.db.transaction() as session:
        if include_failed:
            session.execute(update(Audit).where(Audit.status == "failed")
                            .values(status="queued", attempts=0, job_id=None, claimed_by=None)
                            .execution_options(synchronize_session=False))
        rows = session.execute(
            select(Audit.id, Audit.status, Audit.job_id, Audit.claimed_by, Audit.started_at)
            .where(Audit.status.in_(("queued", "running"))).order_by(Audit.id).limit(limit)).all()
    if not rows:
        return result
    if queue is None:   # embedded mode: nothing else will run them, so run them here
        ids = [r[0] for r in rows]
        with rt.db.transaction() as session:
            session.execute(update(Audit).where(Audit.id.in_(ids)).values(status="queued", claimed_by=None)
                            .execution_options(synchronize_session=False))
        audits.send(rt, {}, ids)
        result.requeued, result.reasons = ids, {"in_process": len(ids)}
        return result

    states = queue.job_states(r[2] for r in rows if r[2])
    now = utcnow()
    chosen: list[int] = []
    for row in rows:
        reason = reason_to_requeue(row, states.get(row[2]) if row[2] else None, now, rt.settings.stale_after)
        if reason:
            chosen.append(row[0])
            result.reasons[reason] = result.reasons.get(reason, 0) + 1
    if not chosen:
        return result
    with rt.db.transaction() as session:
        session.execute(update(Audit).where(Audit.id.in_(chosen), Audit.status.in_(("queued", "running")))
                        .values(status="queued", claimed_by=None)
                        .execution_options(synchronize_session=False))
        plan = audits.dispatch(rt, session, chosen)
    queue.enqueue(plan)
    result.requeued, result.jobs = chosen, len(plan)
    log.info("requeued %d audit(s) in %d job(s): %s", len(chosen), len(plan), result.reasons)
    return result
