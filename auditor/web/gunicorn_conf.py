"""gunicorn settings for the API: `gunicorn -c python:auditor.web.gunicorn_conf wsgi:app`.

/check is CPU-bound (the engine runs in the web process), so one process per core does the work;
a second thread per process keeps keep-alive connections and I/O-bound routes (database) moving
while another request computes. More threads only fight over the GIL: bench/service.py, /check at
32 connections on 2 cores, p99 36.8-37.7 ms with 4 threads, 31-34 ms with 3, 20.5-26.3 ms with 2
(9 runs), and 21-48 ms with 1. The app is preloaded: rules and spaCy pipelines are built once
in the master and shared copy-on-write by the forked workers (database connections open later,
per process).
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 2))
preload_app = True
# each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new connections
# over them; with one shared socket the first worker to wake takes most of a burst of keep-alive
# connections (measured: 28 of 32 on one process, 4 on the other: those 28 waited 7x longer)
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1").lower() not in ("0", "false", "no")
keepalive = 5
timeout = 60
accesslog = None


def when_ready(server):
    """In the master, after the app is preloaded and before the first fork: move the ~360k objects
    of rules and pipelines out of the garbage collector's reach (no full collection walks them
    during a request: those were 20-50 ms stalls at p99), and keep their pages shared."""
    import gc
    gc.collect()
    gc.freeze()
