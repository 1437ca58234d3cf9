"""The workers' bookkeeping: refresh tasks (queued, running, ok, failed) and the workers' heartbeats.

The scheduler queues a task row before it sends the task, and sends none for a source whose last task
is still queued or running (unless that one is older than the redelivery time: its worker died and
the broker gave it to nobody). Each write is one short transaction of its own, beside the store's
writers (on PostgreSQL it does not wait for the write lock; one scheduler sends, each task is one row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from newsdesk.store.database import Database, utc

KEEP_TASKS = timedelta(days=2)  # finished tasks older than this are pruned (status shows a day)
OPEN = ("queued", "running")


@dataclass(frozen=True)
class WorkerRow:
    name: str
    host: str
    pid: int
    concurrency: int
    started: datetime
    heartbeat: datetime
    stopped: datetime | None


@dataclass(frozen=True)
class TaskCounts:
    """What the queue looks like from the store: tasks queued, running, failed (in the last day)."""

    queued: int = 0
    running: int = 0
    failed_last_day: int = 0
    done_last_day: int = 0


def queue(db: Database, task_id: str, source: str, now: datetime, stale: timedelta) -> bool:
    """Note a task for `source`; False (nothing noted) while an earlier one is queued or running."""
    with db.write(store_lock=False) as conn:
        open_since = conn.scalar(
            "SELECT max(queued) FROM tasks WHERE source = :source AND state IN ('queued', 'running')",
            {"source": source},
        )
        if open_since is not None and utc(open_since) > now - stale:  # type: ignore[operator]
            return False
        conn.execute(
            "UPDATE tasks SET state = 'lost', finished = :now, error = 'no worker finished it' "
            "WHERE source = :source AND state IN ('queued', 'running')",
            {"source": source, "now": now},
        )
        conn.execute(
            "INSERT INTO tasks (id, source, state, queued, deliveries) "
            "VALUES (:id, :source, 'queued', :now, 0)",
            {"id": task_id, "source": source, "now": now},
        )
    return True


def prune(db: Database, now: datetime) -> int:
    """Forget tasks finished, and workers silent, for more than KEEP_TASKS (the daemon does it
    hourly); how many tasks."""
    with db.write(store_lock=False) as conn:
        gone = conn.execute(
            "DELETE FROM tasks WHERE finished < :before AND state NOT IN ('queued', 'running')",
            {"before": now - KEEP_TASKS},
        )
        conn.execute("DELETE FROM workers WHERE heartbeat < :before", {"before": now - KEEP_TASKS})
    return int(gone.rowcount or 0)


def forget(db: Database, task_id: str) -> None:
    """A task the broker refused: the source may be sent again at once."""
    with db.write(store_lock=False) as conn:
        conn.execute("DELETE FROM tasks WHERE id = :id AND state = 'queued'", {"id": task_id})


def start(db: Database, task_id: str, source: str, worker: str, now: datetime) -> bool:
    """Mark a delivered task running; False when it already finished (a redelivery after the work was
    done and before the broker heard so: nothing to do again)."""
    with db.write(store_lock=False) as conn:
        state = conn.scalar("SELECT state FROM tasks WHERE id = :id", {"id": task_id})
        if state in ("ok", "failed"):
            return False
        if state is None:  # sent by hand, or its row pruned: note it now
            conn.execute(
                "INSERT INTO tasks (id, source, state, queued, deliveries) "
                "VALUES (:id, :source, 'queued', :now, 0)",
                {"id": task_id, "source": source, "now": now},
            )
        conn.execute(
            "UPDATE tasks SET state = 'running', started = :now, worker = :worker, "
            "deliveries = deliveries + 1, finished = NULL, error = NULL WHERE id = :id",
            {"id": task_id, "now": now, "worker": worker},
        )
    return True


def finish(db: Database, task_id: str, now: datetime, error: str | None) -> None:
    with db.write(store_lock=False) as conn:
        conn.execute(
            "UPDATE tasks SET state = :state, finished = :now, error = :error WHERE id = :id",
            {"id": task_id, "now": now, "error": error, "state": "failed" if error else "ok"},
        )


def counts(db: Database, now: datetime) -> TaskCounts:
    with db.read() as conn:
        if not conn.has_table("tasks"):
            return TaskCounts()
        by_state = dict(
            conn.execute(
                "SELECT state, count(*) FROM tasks WHERE state IN ('queued', 'running') GROUP BY state"
            ).fetchall()
        )
        recent = dict(
            conn.execute(
                "SELECT state, count(*) FROM tasks WHERE finished >= :since GROUP BY state",
                {"since": now - timedelta(days=1)},
            ).fetchall()
        )
    return TaskCounts(
        queued=int(by_state.get("queued", 0)),
        running=int(by_state.get("running", 0)),
        failed_last_day=int(recent.get("failed", 0)) + int(recent.get("lost", 0)),
        done_last_day=int(recent.get("ok", 0)),
    )


def last_workers(db: Database) -> dict[str, str]:
    """{source: the worker that ran its latest finished refresh}."""
    query = """
        SELECT tasks.source, tasks.worker FROM tasks
        JOIN (SELECT source, max(finished) AS finished FROM tasks
              WHERE finished IS NOT NULL AND worker IS NOT NULL GROUP BY source) AS latest
          ON latest.source = tasks.source AND latest.finished = tasks.finished
    """
    with db.read() as conn:
        if not conn.has_table("tasks"):
            return {}
        return {row.source: row.worker for row in conn.rows(query)}


def beat(
    db: Database, name: str, *, host: str, pid: int, concurrency: int, started: datetime, now: datetime
) -> None:
    """A worker's heartbeat (and its first appearance)."""
    with db.write(store_lock=False) as conn:
        conn.execute(
            """
            INSERT INTO workers (name, host, pid, concurrency, started, heartbeat, stopped)
            VALUES (:name, :host, :pid, :concurrency, :started, :now, NULL)
            ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid,
                concurrency = excluded.concurrency, started = excluded.started,
                heartbeat = excluded.heartbeat, stopped = NULL
            """,
            {
                "name": name,
                "host": host,
                "pid": pid,
                "concurrency": concurrency,
                "started": started,
                "now": now,
            },
        )


def stopped(db: Database, name: str, now: datetime) -> None:
    with db.write(store_lock=False) as conn:
        conn.execute(
            "UPDATE workers SET stopped = :now, heartbeat = :now WHERE name = :name",
            {"name": name, "now": now},
        )


def workers(db: Database) -> list[WorkerRow]:
    with db.read() as conn:
        if not conn.has_table("workers"):
            return []
        found = conn.rows(
            "SELECT name, host, pid, concurrency, started, heartbeat, stopped FROM workers ORDER BY name"
        )
    return [
        WorkerRow(
            row.name,
            row.host,
            row.pid,
            row.concurrency,
            utc(row.started),  # type: ignore[arg-type]
            utc(row.heartbeat),  # type: ignore[arg-type]
            utc(row.stopped),
        )
        for row in found
    ]
