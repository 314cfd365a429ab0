"""The job functions rq runs. They take audit ids (rows), never whole objects."""
from __future__ import annotations

import logging

from auditor import audits, webhooks

log = logging.getLogger(__name__)
_runtime = None


def install(runtime) -> None:
    """The worker sets its preloaded Runtime here before it starts working."""
    global _runtime
    _runtime = runtime


def runtime():
    global _runtime
    if _runtime is None:   # e.g. a plain `rq worker`: build it from the environment, once
        from auditor.config import Settings
        from auditor.runtime import Runtime
        _runtime = Runtime(Settings.from_env())
    return _runtime


def audit_batch(audit_ids: list[int]) -> dict:
    rt = runtime()
    try:
        result = audits.run_batch(rt.db, rt.engine, list(audit_ids),
                                  send_deliveries=lambda ids: webhooks.send(rt, ids))
    except BaseException as exc:
        # note the error on the rows (the API shows it); rq then retries with back-off
        audits.record_failure(rt.db, list(audit_ids), exc, rt.settings.job_attempts)
        raise
    log.info("audited %d, failed %d, skipped %d, %d finding(s)", len(result.done), len(result.failed),
             len(result.skipped), result.findings)
    return {"done": len(result.done), "failed": len(result.failed), "skipped": len(result.skipped),
            "findings": result.findings}


class DeliveriesPending(RuntimeError):
    """Raised so that rq retries the job after its next back-off interval."""


def deliver_webhooks(delivery_ids: list[int], delays: list[int]) -> dict:
    """One attempt at each pending delivery; the ones that failed make the job fail, and rq retries
    it (delivered ones are skipped then). The last attempt marks them failed and the job ends."""
    rt = runtime()
    pending = webhooks.deliver_once(rt.db, list(delivery_ids), tuple(delays))
    if pending:
        raise DeliveriesPending(f"{len(pending)} webhook delivery(ies) to retry: {pending[:10]}")
    return {"delivered_or_given_up": len(delivery_ids)}
