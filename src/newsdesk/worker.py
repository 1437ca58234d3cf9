"""`newsdesk worker`: a Celery worker whose tasks are refreshes (fetch, extract, normalize, apply).

The daemon decides when a source is due and sends `newsdesk.refresh(source)`; any worker on any
machine runs it with the same code `newsdesk run` uses, against the shared store. Tasks are
acknowledged late: a worker killed in a refresh has its task delivered again (at once by RabbitMQ,
after `workers.redeliver_after` by Redis), and because applying a refresh is idempotent under the
store's write lock, a story is stored once however often it is read. The per-host limits are shared
by every worker (`shared_limits`). Imported only when a config has `workers:`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from typing import Any

from celery import Celery

from newsdesk.clock import utc_now
from newsdesk.config import Config, WorkersConfig
from newsdesk.errors import ConfigError, DatabaseError, StoreError
from newsdesk.store import tasks
from newsdesk.workers_status import HEARTBEAT

log = logging.getLogger("newsdesk.worker")
TASK = "newsdesk.refresh"


def celery_app(config: Config) -> Celery:
    """The Celery app of a config's `workers:`: the scheduler sends through it, workers consume."""
    workers = _workers(config)
    app = Celery("newsdesk", broker=workers.broker, set_as_current=False)
    app.conf.update(
        task_default_queue=workers.queue,
        task_acks_late=True,  # acknowledged once the refresh is stored: a dead worker's task comes back
        task_reject_on_worker_lost=True,
        task_ignore_result=True,  # the outcome is in the store (tasks, sources): no result backend
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,  # a busy worker holds no queued refresh another could run
        broker_transport_options=transport_options(workers),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        worker_hijack_root_logger=False,  # newsdesk's own log lines, text or JSON
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
    )
    app.task(name=TASK, bind=True, acks_late=True)(_refresh_task)
    app.newsdesk_config = config
    return app


def transport_options(workers: WorkersConfig) -> dict[str, Any]:
    """Redis keeps a taken message aside until it is acknowledged; after `redeliver_after` (the
    visibility timeout) any worker's sweep puts it back in the queue. RabbitMQ needs none of this:
    it redelivers the moment a dead worker's connection closes."""
    if not workers.broker.startswith(("redis", "rediss")):
        return {}
    timeout = max(1, int(workers.redelivery.total_seconds()))
    return {
        "visibility_timeout": timeout,
        "unacked_restore_interval": max(1, min(10, timeout // 2)),  # sweep often enough to keep the time
        "unacked_restore_throttle": 1,
    }


def _workers(config: Config) -> WorkersConfig:
    if config.workers is None:
        raise ConfigError(
            [f"{config.path}: no workers: section; add workers: {{broker: redis://127.0.0.1:6379/0}}"]
        )
    return config.workers


# --- in each worker process ------------------------------------------------------------------


@dataclass
class Runtime:
    """What a worker process keeps between refreshes: its store, sessions, politeness, parsing."""

    pid: int
    store: Any
    sessions: Any
    politeness: Any
    parsers: Any


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()
POOLS = ("prefork", "threads")
_pool = "prefork"  # set by run_worker before the pool starts (forked processes inherit it)


def runtime(config: Config) -> Runtime:
    """This process's runtime, made in the process itself (a pool process is forked: it must not use
    the connections of the process it came from)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None or _runtime.pid != os.getpid():
            _runtime = _make_runtime(config)
        return _runtime


def _make_runtime(config: Config) -> Runtime:
    from newsdesk.fetch.http import user_agent
    from newsdesk.fetch.robots import RobotsCache
    from newsdesk.parsing import MIN_PAGES, Parsers
    from newsdesk.pipeline import Politeness, Sessions
    from newsdesk.store.opening import open_store

    store = open_store(config, utc_now())
    politeness = Politeness(
        limiter=shared_limiter(config, store),
        robots=RobotsCache(agent=user_agent(config), settings=config.fetch, now=utc_now, store=store),
    )
    # prefork: each process runs one refresh at a time and parses its pages itself; threads: many
    # refreshes share the process, so pages are parsed in its parsing processes, as in the daemon.
    parsers = Parsers.for_refresh(config, MIN_PAGES) if _pool == "threads" else Parsers(config, 0)
    return Runtime(os.getpid(), store, Sessions(config), politeness, parsers)


def shared_limiter(config: Config, store: Any) -> Any:
    """The per-host limits every worker shares: in Redis when there is one, else in the store."""
    from newsdesk.fetch.shared_limits import RedisHostLimiter, StoreHostLimiter

    workers = _workers(config)
    fetch = config.fetch
    url = workers.limits_url
    if url is not None:
        return RedisHostLimiter(url, fetch.per_host, fetch.host_delay)
    return StoreHostLimiter(store.db, fetch.per_host, fetch.host_delay)


def _refresh_task(task: Any, name: str) -> str:
    """One refresh of source `name`, as `newsdesk run` does it; the outcome goes to the store."""
    config: Config = task.app.newsdesk_config
    worker = task.request.hostname or f"newsdesk@{socket.gethostname()}"
    task_id = task.request.id or f"direct-{os.getpid()}"
    return refresh_delivered(config, runtime(config), task_id, name, worker)


def refresh_delivered(config: Config, rt: Runtime, task_id: str, name: str, worker: str) -> str:
    """Run a delivered task once; what happened, in a word (the worker's log shows it)."""
    from newsdesk.pipeline import not_now_reason, refresh_source

    db = rt.store.db
    if not tasks.start(db, task_id, name, worker, utc_now()):
        return "done already"  # delivered again after it was stored: nothing to do twice
    try:
        source = config.source(name)
    except ConfigError:
        error = f"source {name!r} is not in this worker's {config.path.name} (deploy one config everywhere)"
        log.error("%s", error)
        tasks.finish(db, task_id, utc_now(), error)
        return "unknown source"
    if not_now_reason(source, rt.store.source_state(name), utc_now()):
        tasks.finish(db, task_id, utc_now(), None)
        return "skipped"  # the scheduler's view was older: the site asked to wait, or we back off
    try:
        report = refresh_source(
            config,
            source,
            rt.store,
            session=rt.sessions.get(),
            now=utc_now,
            politeness=rt.politeness,
            parsers=rt.parsers,
        )
    except Exception as exc:
        log.exception("refresh %s crashed", name)
        tasks.finish(db, task_id, utc_now(), f"crashed: {type(exc).__name__}: {exc}")
        return "crashed"
    tasks.finish(db, task_id, utc_now(), "; ".join(report.errors) or None)
    return "ok" if report.ok else "failed"


# --- the worker's main process -----------------------------------------------------------------


class Heartbeat:
    """Beats in the store every HEARTBEAT seconds from the worker's main process, with a connection
    opened for each beat (pool processes are forked from this one: no connection is left to copy)."""

    def __init__(self, config: Config, name: str, concurrency: int) -> None:
        self.config = config
        self.name = name
        self.concurrency = concurrency
        self.started = utc_now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        self._beat()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._with_db(lambda db: tasks.stopped(db, self.name, utc_now()))

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            self._beat()

    def _beat(self) -> None:
        self._with_db(
            lambda db: tasks.beat(
                db,
                self.name,
                host=socket.gethostname(),
                pid=os.getpid(),
                concurrency=self.concurrency,
                started=self.started,
                now=utc_now(),
            )
        )

    def _with_db(self, work: Any) -> None:
        from newsdesk.store.database import Database

        db = Database(self.config.database_url)
        try:
            work(db)
        except (DatabaseError, StoreError) as exc:
            log.warning("worker %s: heartbeat not stored: %s", self.name, exc)
        finally:
            db.close()


def worker_name(name: str | None) -> str:
    """Celery's node name: `newsdesk@<host>` unless given (give one per worker on a machine)."""
    if not name:
        return f"newsdesk@{socket.gethostname()}"
    return name if "@" in name else f"{name}@{socket.gethostname()}"


def run_worker(
    config: Config, *, concurrency: int | None, name: str | None, loglevel: str, pool: str = "prefork"
) -> int:
    """Run a worker until SIGTERM (warm shutdown: running refreshes finish); the exit code.
    `pool`: prefork (a process per refresh at once) or threads (refreshes in threads of one process)."""
    global _pool
    from celery import signals

    from newsdesk.store.opening import open_store

    _quiet_celery(loglevel)
    app = celery_app(config)
    store = open_store(config, utc_now())  # create or upgrade the schema once, before any task
    store.close()
    node = worker_name(name)
    _pool = pool
    processes = concurrency or (config.fetch.workers if pool == "threads" else os.cpu_count() or 1)
    heartbeat = Heartbeat(config, node, processes)

    @signals.worker_ready.connect(weak=False)  # type: ignore[untyped-decorator]
    def _ready(**_kwargs: Any) -> None:
        heartbeat.start()
        unit = "thread(s)" if pool == "threads" else "process(es)"
        log.info("worker %s ready: %d %s, queue %r", node, processes, unit, _workers(config).queue)

    @signals.worker_shutdown.connect(weak=False)  # type: ignore[untyped-decorator]
    def _shutdown(**_kwargs: Any) -> None:
        heartbeat.stop()
        log.info("worker %s stopped", node)

    worker = app.Worker(
        hostname=node,
        concurrency=processes,
        pool=pool,
        loglevel=loglevel,
        quiet=True,
        without_gossip=True,
        without_mingle=True,
        optimization="fair",
    )
    worker.start()
    return int(worker.exitcode or 0)


def _quiet_celery(loglevel: str) -> None:
    """newsdesk's refresh lines say what a task did; Celery's own lines only when asked (-v)."""
    import warnings

    if loglevel != "DEBUG":
        logging.getLogger("celery").setLevel(logging.WARNING)
    if os.geteuid() == 0:  # Celery's warning is many lines; one says the same
        warnings.filterwarnings("ignore", message="You're running the worker with superuser privileges")
        log.warning(
            "worker runs as root: run it as an unprivileged user (deploy/newsdesk-worker.service does)"
        )
