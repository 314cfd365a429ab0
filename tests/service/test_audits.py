"""Audit batches are idempotent: re-running, or running twice at once, never doubles findings."""
from __future__ import annotations

import threading

from sqlalchemy import func, select, update

from auditor import audits, ingest
from auditor.models import Audit, Finding
from auditor.recovery import reason_to_requeue
from auditor.models import utcnow


def _store(rt, org_id, n=20):
    posts = [{"id": f"p{i}", "text": f"Thanks @brand{i} for the gift!", "countries": ["GB", "US"]} for i in range(n)]
    with rt.db.transaction() as s:
        results = ingest.store(s, org_id, ingest.prepare(s, org_id, posts, rt.rules.countries.keys()))
    return [r["audit_id"] for r in results]


def _count(rt, ids):
    with rt.db.session() as s:
        return s.scalar(select(func.count()).select_from(Finding).where(Finding.audit_id.in_(ids)))


def test_rerun_replaces_never_doubles(runtime, acme, engine):
    ids = _store(runtime, acme.id)
    first = audits.run_batch(runtime.db, engine, ids)
    assert len(first.done) == len(ids) and first.findings > 0
    n = _count(runtime, ids)
    again = audits.run_batch(runtime.db, engine, ids)   # e.g. rq retried a job that had finished
    assert again.done == [] and sorted(again.skipped) == sorted(ids)
    assert _count(runtime, ids) == n
    # a crash after the claim left them 'running': the re-run replaces their findings
    with runtime.db.transaction() as s:
        s.execute(update(Audit).where(Audit.id.in_(ids)).values(status="running"))
    third = audits.run_batch(runtime.db, engine, ids)
    assert len(third.done) == len(ids)
    assert _count(runtime, ids) == n
    with runtime.db.session() as s:
        assert s.scalar(select(func.max(Audit.attempts)).where(Audit.id.in_(ids))) == 2


def test_concurrent_runs_write_once(runtime, acme, engine):
    ids = _store(runtime, acme.id, 60)
    results, errors = [], []

    def run():
        try:
            results.append(audits.run_batch(runtime.db, engine, ids))
        except Exception as exc:  # noqa: BLE001 - e.g. a deadlock between the claims: reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(len(r.done) for r in results) == len(ids)
    with runtime.db.session() as s:
        dup = s.execute(select(Finding.audit_id, Finding.seq).where(Finding.audit_id.in_(ids))
                        .group_by(Finding.audit_id, Finding.seq).having(func.count() > 1)).all()
        assert dup == []
        assert s.scalar(select(func.count()).select_from(Audit).where(Audit.id.in_(ids),
                                                                      Audit.status == "done")) == len(ids)


def test_a_post_that_no_longer_parses_fails_alone(runtime, acme, engine):
    ids = _store(runtime, acme.id, 3)
    with runtime.db.transaction() as s:
        from auditor.models import Post
        post_id = s.scalar(select(Audit.post_id).where(Audit.id == ids[1]))
        s.execute(update(Post).where(Post.id == post_id).values(data={"text": "x", "countries": ["ZZ"]}))
    result = audits.run_batch(runtime.db, engine, ids)
    assert result.failed == [ids[1]] and sorted(result.done) == [ids[0], ids[2]]
    with runtime.db.session() as s:
        failed = s.get(Audit, ids[1])
        assert failed.status == "failed" and failed.error.startswith("unknown_country")


def test_batch_failure_is_recorded_and_retried(runtime, acme):
    ids = _store(runtime, acme.id, 2)
    with runtime.db.transaction() as s:
        s.execute(update(Audit).where(Audit.id.in_(ids)).values(status="running", attempts=1))
    audits.record_failure(runtime.db, ids, RuntimeError("database went away"), max_attempts=3)
    with runtime.db.session() as s:
        rows = s.scalars(select(Audit).where(Audit.id.in_(ids))).all()
        assert {(a.status, a.error) for a in rows} == {("queued", "RuntimeError: database went away")}
        s.close()
    with runtime.db.transaction() as s:
        s.execute(update(Audit).where(Audit.id.in_(ids)).values(attempts=3))
    audits.record_failure(runtime.db, ids, RuntimeError("again"), max_attempts=3)
    with runtime.db.session() as s:
        assert {a.status for a in s.scalars(select(Audit).where(Audit.id.in_(ids)))} == {"failed"}


def test_requeue_reasons():
    now = utcnow()
    assert reason_to_requeue((1, "queued", None, None, None), None, now, 900) == "never_sent"
    assert reason_to_requeue((1, "queued", "j", None, None), None, now, 900) == "job_lost"
    assert reason_to_requeue((1, "queued", "j", None, None), "queued", now, 900) is None
    assert reason_to_requeue((1, "running", "j", None, now), "failed", now, 900) == "job_failed"
    import socket
    dead = f"{socket.gethostname()}:999999"
    assert reason_to_requeue((1, "running", "j", dead, now), "started", now, 900) == "worker_dead"
    from datetime import timedelta
    assert reason_to_requeue((1, "running", "j", "elsewhere:1", now - timedelta(hours=1)), "started",
                             now, 900) == "stale"
    assert reason_to_requeue((1, "running", "j", "elsewhere:1", now), "started", now, 900) is None
