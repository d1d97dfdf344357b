"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Worker model: processes × threads (``gthread``). Measured on 2 cores (README, "Benchmarks"):
requests spend a good part of their time waiting for PostgreSQL, so a few threads per process
keep the cores busy, while separate processes side-step the GIL for rendering. Rule of thumb:
one worker process per core, 4 threads each. Override with PARTICIPATION_GUNICORN_WORKERS /
PARTICIPATION_GUNICORN_THREADS / PARTICIPATION_BIND.

Connection pool per worker: each process has its own SQLAlchemy pool; one request holds at
most one connection, so ``DB_POOL_SIZE`` (default 5) ≥ threads is enough and
``DB_MAX_OVERFLOW`` (default 5) absorbs console commands or bursts. PostgreSQL must allow
workers × (pool size + overflow) connections per app server, plus a few for operators:
2 workers × (5 + 5) = 20 here, against the default max_connections of 100.
"""

import multiprocessing
import os

bind = os.environ.get("PARTICIPATION_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PARTICIPATION_GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("PARTICIPATION_GUNICORN_THREADS", 4))
# Behind a reverse proxy that buffers slow clients; keep-alive for the proxy's connections.
keepalive = 5
timeout = 30  # a worker stuck longer than this is restarted (statement timeout: 15 s)
graceful_timeout = 30
# Workers restart now and then, so a slow leak cannot grow without bound.
max_requests = 20_000
max_requests_jitter = 2_000
# Each worker opens its own connections after the fork (create_app runs per worker).
preload_app = False
accesslog = os.environ.get("PARTICIPATION_ACCESS_LOG") or None
errorlog = "-"
