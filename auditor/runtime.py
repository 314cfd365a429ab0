"""What a process (web, worker, CLI) holds once: settings, database, rules, engine, queue.

Everything is built on first use, so creating a Runtime connects to nothing.
"""
from __future__ import annotations

import threading

from auditor.config import Settings
from auditor.db import Database


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.effective_database_url)
        self._lock = threading.Lock()
        self._rules = None
        self._engine = None
        self._queue = None

    @property
    def rules(self):
        if self._rules is None:
            with self._lock:
                if self._rules is None:
                    from auditor.rulefiles import load_rules
                    self._rules = load_rules(self.settings.rules_dir)
        return self._rules

    @property
    def engine(self):
        if self._engine is None:
            rules = self.rules
            with self._lock:
                if self._engine is None:
                    from auditor.engine import Engine
                    self._engine = Engine(rules)
        return self._engine

    def preload(self) -> None:
        """Rules and every spaCy pipeline, before serving or working (a few seconds)."""
        self.engine.preload()

    @staticmethod
    def freeze_heap() -> None:
        """After preloading: move the rules, vocabularies and spaCy pipelines (~360k objects) out of
        the garbage collector's reach. Full collections then no longer walk them on every request
        or batch (they showed up as 20-50 ms stalls), and forked children keep sharing their pages."""
        import gc
        gc.collect()
        gc.freeze()

    @property
    def queue(self):
        """The rq queue, or None in embedded mode (no AUDITOR_REDIS_URL): audits then run in-process."""
        if self.settings.redis_url is None:
            return None
        if self._queue is None:
            from auditor.queue import AuditQueue
            self._queue = AuditQueue(self.settings)
        return self._queue
