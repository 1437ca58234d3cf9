"""What `status` and `/metrics` show of the workers: the broker's queue, the tasks, the heartbeats.

Read from the store (tasks, workers, the scheduler's meta line) and from the broker (messages waiting);
an unreachable broker is one line, never a failure of `status`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from newsdesk.config import Config
from newsdesk.store import Store, store_exists, tasks

SCHEDULER_META = "scheduler"  # "<host>:<pid> <since>", written by the daemon that takes the lease
HEARTBEAT = 10.0  # seconds between two beats of a worker (worker.Heartbeat)
ALIVE = 3 * HEARTBEAT  # a worker whose last beat is older is shown as gone


@dataclass
class WorkersView:
    queue: str
    broker: str
    waiting: int | None  # messages in the broker's queue; None: the broker could not be asked
    broker_error: str | None
    counts: tasks.TaskCounts
    workers: list[tasks.WorkerRow] = field(default_factory=list)
    last_worker: dict[str, str] = field(default_factory=dict)  # source -> worker of its last refresh
    scheduler: str | None = None
    now: datetime | None = None

    def alive(self, worker: tasks.WorkerRow) -> bool:
        assert self.now is not None
        return worker_alive(worker.heartbeat, worker.stopped, self.now)

    def state(self, worker: tasks.WorkerRow) -> str:
        """alive, stopped (said goodbye) or gone (silent past ALIVE)."""
        return "alive" if self.alive(worker) else "stopped" if worker.stopped else "gone"

    def as_json(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "broker": self.broker,
            "waiting": self.waiting,
            "broker_error": self.broker_error,
            "tasks": {
                "queued": self.counts.queued,
                "running": self.counts.running,
                "failed_last_day": self.counts.failed_last_day,
                "done_last_day": self.counts.done_last_day,
            },
            "scheduler": self.scheduler,
            "workers": [
                {
                    "name": row.name,
                    "host": row.host,
                    "pid": row.pid,
                    "processes": row.concurrency,
                    "started": row.started.isoformat(),
                    "last_heartbeat": row.heartbeat.isoformat(),
                    "state": self.state(row),
                }
                for row in self.workers
            ],
        }


def worker_alive(heartbeat: datetime, stopped: datetime | None, now: datetime) -> bool:
    return stopped is None and (now - heartbeat).total_seconds() <= ALIVE


def workers_view(config: Config, now: datetime) -> WorkersView | None:
    """None without `workers:`; else what the store and the broker say now."""
    if config.workers is None:
        return None
    from newsdesk.dispatch import queue_depth_or_error
    from newsdesk.store.database import shown

    waiting, error = queue_depth_or_error(config)
    view = WorkersView(
        queue=config.workers.queue,
        broker=shown(config.workers.broker),
        waiting=waiting,
        broker_error=error,
        counts=tasks.TaskCounts(),
        now=now,
    )
    if store_exists(config.database_url):
        store = Store(config.database_url, site_host="localhost")  # no create(): reading must not write
        try:
            if store.is_created():
                view.counts = tasks.counts(store.db, now)
                view.workers = tasks.workers(store.db)
                view.last_worker = tasks.last_workers(store.db)
                view.scheduler = store.meta(SCHEDULER_META)
        finally:
            store.close()
    return view
