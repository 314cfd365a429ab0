"""The rq worker: load the rules once (and the spaCy pipelines, once each), recover lost audits, then work.

We run rq's SimpleWorker (no fork per job): the engine is built once and stays warm, the
database pool is reused across jobs, and a batch is short pure-Python work. A fork per job
would add ~15 ms per job and lose the pool; with batches of a few hundred posts the isolation
a fork buys is not worth it. A crash mid-batch loses nothing: the batch's transaction rolls
back, and `requeue` (run at start and periodically here) sends the audits again.
"""
from __future__ import annotations

import logging

from auditor import jobs, recovery
from auditor.runtime import Runtime

log = logging.getLogger("auditor.worker")


def make_worker_class():
    from rq import SimpleWorker

    class AuditWorker(SimpleWorker):
        runtime: Runtime | None = None

        def run_maintenance_tasks(self):
            super().run_maintenance_tasks()
            recover(self.runtime)

    return AuditWorker


def recover(rt: Runtime | None) -> None:
    if rt is None:
        return
    try:
        with rt.queue.lock("requeue", 60):
            result = recovery.requeue(rt)
        if result.requeued:
            log.warning("recovered %d audit(s): %s", len(result.requeued), result.reasons)
    except Exception as exc:   # recovery is best effort here; `auditor requeue` reports errors
        log.warning("could not recover lost audits: %s", exc)


def run(rt: Runtime, burst: bool = False, name: str | None = None, maintenance_interval: int = 60) -> bool:
    if rt.queue is None:
        raise RuntimeError("AUDITOR_REDIS_URL is not set: without Redis, audits run inside the web process "
                           "and no worker is needed")
    # the rules always (invalid rules stop the worker here, exit 3); the spaCy pipelines only with
    # AUDITOR_WORKER_PRELOAD=true: all 14 cost ~15 s of CPU and ~250 MB per worker, where a worker
    # builds the one or two its batches need in a second or two on first use (it does not fork, so
    # there is no copy-on-write sharing to gain from building them early)
    if rt.settings.worker_preload:
        rt.preload()
    else:
        rt.rules  # noqa: B018
    rt.freeze_heap()
    jobs.install(rt)
    recover(rt)
    cls = make_worker_class()
    cls.runtime = rt
    worker = cls([rt.queue.queue], connection=rt.queue.redis, name=name,
                 maintenance_interval=maintenance_interval)
    log.info("worker %s: rules %s, queue %r", worker.name, rt.rules.version, rt.settings.queue_name)
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


def main(argv: list[str] | None = None) -> int:
    """`python worker.py [--burst] [--name NAME]`: the same as `auditor worker`."""
    import argparse
    import sys

    from auditor.config import ConfigError, Settings

    parser = argparse.ArgumentParser(prog="worker.py", description="Run an auditor rq worker.")
    parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    parser.add_argument("--name", help="worker name (default: rq's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        rt = Runtime(Settings.from_env())
        run(rt, burst=args.burst, name=args.name)
    except (ConfigError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - Redis or the rules: a clear line, not a traceback
        from redis.exceptions import RedisError

        from auditor.rulesets import RulesInvalid
        if isinstance(exc, RedisError):
            print(f"error: the queue (Redis) is unavailable: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, RulesInvalid):
            for err in exc.errors:
                print(f"error: {err}", file=sys.stderr)
            return 3
        raise
    return 0
