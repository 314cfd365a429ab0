"""Settings: the only place that reads the environment, once, into a frozen object.

Everything else (app factory, worker, CLI) is handed a `Settings`; tests build one directly.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

PREFIX = "AUDITOR_"
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour)s?\s*$")
_PERIODS = {"second": 1, "minute": 60, "hour": 3600}


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the variable."""


def parse_rate(name: str, value: str) -> tuple[int, int]:
    """'600/minute' -> (600, 60). '0' or 'off' disables the limit: (0, 1)."""
    if value.strip().lower() in ("0", "off", "none", ""):
        return (0, 1)
    m = _RATE.match(value)
    if not m:
        raise ConfigError(f"{name}={value!r}: expected N/second, N/minute or N/hour (or 'off')")
    return int(m.group(1)), _PERIODS[m.group(2)]


@dataclass(frozen=True)
class Settings:
    """All knobs of the service. Defaults make a newcomer's first run work with no set-up."""

    instance_path: str = field(default_factory=lambda: str(Path.cwd() / "instance"))
    database_url: str = ""              # "" -> SQLite file in the instance folder
    redis_url: str | None = None        # None -> audits run in-process (embedded mode)
    secret_key: str = "dev-only-change-me"
    session_cookie_secure: bool = True  # review UI session cookie only over HTTPS (false for local http)
    rules_dir: str | None = None        # None -> the rules/ shipped with the code
    auto_migrate: bool | None = None    # None -> only for SQLite (zero set-up)
    # queue
    queue_name: str = "auditor"
    batch_size: int = 250               # posts per rq job: a job per post caps throughput
    job_timeout: int = 300              # seconds one batch may run
    job_attempts: int = 3               # tries per batch (rq retries with back-off in between)
    retry_intervals: tuple[int, ...] = (5, 30)
    stale_after: int = 900              # a 'running' audit older than this is requeued
    web_preload: bool = True            # build every spaCy pipeline when the app starts (gunicorn: in the master)
    worker_preload: bool = False        # build every spaCy pipeline at worker start (else each on first use)
    # limits
    max_posts_per_request: int = 1000
    max_check_bytes: int = 256 * 1024
    max_ingest_bytes: int = 64 * 1024 * 1024
    max_json_bytes: int = 1024 * 1024   # every other route
    check_rate: tuple[int, int] = (600, 60)   # requests per period (seconds) per key; 0 = off
    auth_cache_seconds: float = 10.0    # a revoked key may work this long in a running process
    page_size: int = 100
    max_page_size: int = 1000
    cors_origins: tuple[str, ...] = ("chrome-extension://", "moz-extension://")
    # webhooks: allow endpoints on loopback, private (RFC 1918, fc00::/7), link-local and other
    # non-public addresses (on-premise installs, tests); off, they are refused at creation and delivery
    webhook_allow_private: bool = False
    # client side (auditor campaign close --server)
    server_url: str | None = None
    api_key: str | None = None

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.instance_path) / 'auditor.sqlite'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def should_auto_migrate(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(PREFIX + name)
            return value if value not in (None, "") else None

        def integer(name: str, default: int) -> int:
            raw = get(name)
            if raw is None:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise ConfigError(f"{PREFIX}{name}={raw!r}: expected a whole number") from None
            if value < 0:
                raise ConfigError(f"{PREFIX}{name}={raw!r}: must not be negative")
            return value

        def boolean(name: str) -> bool | None:
            raw = get(name)
            if raw is None:
                return None
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"{PREFIX}{name}={raw!r}: expected true or false")

        d = cls()
        rate = get("CHECK_RATE_LIMIT")
        intervals = get("RETRY_INTERVALS")
        try:
            retry = tuple(int(x) for x in intervals.split(",")) if intervals else d.retry_intervals
        except ValueError:
            raise ConfigError(f"{PREFIX}RETRY_INTERVALS={intervals!r}: expected seconds, e.g. 5,30") from None
        auth_cache = get("AUTH_CACHE_SECONDS")
        try:
            auth_cache_s = float(auth_cache) if auth_cache else d.auth_cache_seconds
        except ValueError:
            raise ConfigError(f"{PREFIX}AUTH_CACHE_SECONDS={auth_cache!r}: expected seconds") from None
        settings = cls(
            instance_path=get("INSTANCE_PATH") or d.instance_path,
            database_url=get("DATABASE_URL") or "",
            redis_url=get("REDIS_URL"),
            secret_key=get("SECRET_KEY") or d.secret_key,
            session_cookie_secure=d.session_cookie_secure if boolean("SESSION_COOKIE_SECURE") is None
            else bool(boolean("SESSION_COOKIE_SECURE")),
            rules_dir=get("RULES_DIR"),
            auto_migrate=boolean("AUTO_MIGRATE"),
            queue_name=get("QUEUE") or d.queue_name,
            batch_size=max(1, integer("BATCH_SIZE", d.batch_size)),
            job_timeout=max(1, integer("JOB_TIMEOUT", d.job_timeout)),
            job_attempts=max(1, integer("JOB_ATTEMPTS", d.job_attempts)),
            retry_intervals=retry,
            stale_after=integer("STALE_AFTER", d.stale_after),
            web_preload=d.web_preload if boolean("WEB_PRELOAD") is None else bool(boolean("WEB_PRELOAD")),
            worker_preload=bool(boolean("WORKER_PRELOAD")),
            max_posts_per_request=max(1, integer("MAX_POSTS_PER_REQUEST", d.max_posts_per_request)),
            max_check_bytes=integer("MAX_CHECK_BYTES", d.max_check_bytes),
            max_ingest_bytes=integer("MAX_INGEST_BYTES", d.max_ingest_bytes),
            max_json_bytes=integer("MAX_JSON_BYTES", d.max_json_bytes),
            check_rate=parse_rate(PREFIX + "CHECK_RATE_LIMIT", rate) if rate is not None else d.check_rate,
            auth_cache_seconds=auth_cache_s,
            page_size=max(1, integer("PAGE_SIZE", d.page_size)),
            webhook_allow_private=bool(boolean("WEBHOOK_ALLOW_PRIVATE")),
            server_url=get("SERVER_URL"),
            api_key=get("API_KEY"),
        )
        return settings
