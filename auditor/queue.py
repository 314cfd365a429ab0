"""rq wiring: which jobs exist, and how audits become jobs. The API never exposes rq itself.

Jobs carry audit ids only (rows in the database), a batch of them per job, under a job id derived
from the ids: enqueueing the same batch twice names the same job, and the job is idempotent.
"""
from __future__ import annotations

import hashlib
from typing import Iterable, Sequence

from auditor.config import Settings

JOB_FUNC = "auditor.jobs.audit_batch"
DELIVERY_JOB_FUNC = "auditor.jobs.deliver_webhooks"
# job states after which an audit that is not done needs a new job
TERMINAL = {"finished", "failed", "stopped", "canceled"}


class QueueUnavailable(RuntimeError):
    """Redis cannot be reached; the audits stay stored as queued and `auditor requeue` sends them."""


def job_id_for(audit_ids: Sequence[int]) -> str:
    digest = hashlib.sha1(",".join(map(str, audit_ids)).encode()).hexdigest()[:12]
    return f"audits-{audit_ids[0]}-{len(audit_ids)}-{digest}"


def batches(audit_ids: Iterable[int], size: int) -> list[list[int]]:
    ids = sorted(set(audit_ids))
    return [ids[i:i + size] for i in range(0, len(ids), size)]


class AuditQueue:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._redis = None
        self._queue = None

    @property
    def redis(self):
        if self._redis is None:
            from redis import Redis
            # short timeouts: a dead Redis must turn into a clear error, not a hung request
            self._redis = Redis.from_url(self.settings.redis_url, socket_connect_timeout=2,
                                         socket_timeout=10, health_check_interval=30)
        return self._redis

    @property
    def queue(self):
        if self._queue is None:
            from rq import Queue
            self._queue = Queue(self.settings.queue_name, connection=self.redis,
                                default_timeout=self.settings.job_timeout)
        return self._queue

    def plan(self, audit_ids: Iterable[int]) -> dict[str, list[int]]:
        """Job id -> the audit ids it carries."""
        return {job_id_for(b): b for b in batches(audit_ids, self.settings.batch_size)}

    def enqueue(self, plan: dict[str, list[int]]) -> None:
        from redis.exceptions import RedisError
        from rq import Queue, Retry

        s = self.settings
        retry = Retry(max=s.job_attempts - 1, interval=list(s.retry_intervals)) if s.job_attempts > 1 else None
        datas = [Queue.prepare_data(JOB_FUNC, args=(ids,), job_id=job_id, timeout=s.job_timeout,
                                    result_ttl=3600, failure_ttl=7 * 86400, retry=retry,
                                    description=f"audit {len(ids)} post(s)")
                 for job_id, ids in plan.items()]
        if not datas:
            return
        try:
            with self.redis.pipeline() as pipe:
                self.queue.enqueue_many(datas, pipeline=pipe)
                pipe.execute()
        except RedisError as exc:
            raise QueueUnavailable(f"the queue (Redis) is unavailable: {exc}") from exc

    def enqueue_deliveries(self, delivery_ids: Sequence[int], delays: Sequence[int]) -> None:
        """One job for a batch of webhook deliveries; rq retries it after each of `delays`."""
        from redis.exceptions import RedisError
        from rq import Retry

        ids = sorted(delivery_ids)
        digest = hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:12]
        try:
            self.queue.enqueue_call(DELIVERY_JOB_FUNC, args=(ids, list(delays)), job_id=f"webhooks-{ids[0]}-{digest}",
                                    timeout=self.settings.job_timeout, result_ttl=3600, failure_ttl=7 * 86400,
                                    retry=Retry(max=len(delays), interval=list(delays)) if delays else None,
                                    description=f"deliver {len(ids)} webhook(s)")
        except RedisError as exc:
            raise QueueUnavailable(f"the queue (Redis) is unavailable: {exc}") from exc

    def job_states(self, job_ids: Iterable[str]) -> dict[str, str | None]:
        """rq status of each job, None when Redis no longer has it (flushed, expired)."""
        from redis.exceptions import RedisError
        from rq.job import Job

        ids = list(dict.fromkeys(job_ids))
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for job_id in ids:
                    pipe.hget(Job.key_for(job_id), "status")
                states = pipe.execute()
        except RedisError as exc:
            raise QueueUnavailable(f"the queue (Redis) is unavailable: {exc}") from exc
        return {job_id: (s.decode() if isinstance(s, bytes) else s) for job_id, s in zip(ids, states)}

    def lock(self, name: str, seconds: int):
        """A Redis lock so that two workers starting together do not both requeue the same audits."""
        return self.redis.lock(f"auditor:lock:{name}", timeout=seconds, blocking_timeout=seconds)

    def ping(self) -> bool:
        from redis.exceptions import RedisError
        try:
            return bool(self.redis.ping())
        except RedisError:
            return False
