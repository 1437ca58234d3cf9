"""The scheduler's side of the workers: send a due source as a task, and read the broker's queue.

A task row is noted in the store before the message is sent (`store.tasks.queue`), so that a source
whose refresh is still queued or running is not sent twice, and `status` sees what is in flight.
Imported only when a config has `workers:`.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from newsdesk.config import Config
from newsdesk.store import tasks
from newsdesk.store.database import Database, shown

log = logging.getLogger("newsdesk.daemon")
SEND_RETRY = {"max_retries": 2, "interval_start": 0.5, "interval_step": 1.0, "interval_max": 2.0}
DEPTH_TIMEOUT = 3.0  # seconds status waits for the broker before saying it is unreachable


class Dispatcher:
    def __init__(self, config: Config, db: Database) -> None:
        from newsdesk.worker import celery_app

        assert config.workers is not None
        self.workers = config.workers
        self.db = db
        self.app = celery_app(config)
        # A task still open after twice the redelivery time was dropped by the broker: send anew.
        self.stale = 2 * self.workers.redelivery

    def send(self, name: str, now: datetime) -> bool:
        """Send one refresh of `name`; False when one is already in flight or the broker refused."""
        task_id = uuid.uuid4().hex
        if not tasks.queue(self.db, task_id, name, now, self.stale):
            log.debug("skip %s: its last refresh is still queued or running", name)
            return False
        try:
            self.app.send_task(
                "newsdesk.refresh",
                args=[name],
                task_id=task_id,
                queue=self.workers.queue,
                retry=True,
                retry_policy=SEND_RETRY,
            )
        except Exception as exc:  # noqa: BLE001 - kombu raises many kinds; all mean "not sent"
            tasks.forget(self.db, task_id)
            log.error("refresh %s not sent: broker %s: %s", name, shown(self.workers.broker), one_line(exc))
            return False
        return True

    def close(self) -> None:
        self.app.close()


def queue_depth(config: Config, timeout: float = DEPTH_TIMEOUT) -> int:
    """Messages waiting in the workers' queue (not yet taken by a worker); raises when unreachable."""
    from kombu import Connection  # type: ignore[attr-defined]

    assert config.workers is not None
    broker = Connection(  # type: ignore[no-untyped-call]
        config.workers.broker, connect_timeout=timeout, transport_options={"max_retries": 0}
    )
    with broker as conn:
        conn.ensure_connection(max_retries=0, timeout=timeout)  # unreachable: say so at once
        declared = conn.default_channel.queue_declare(queue=config.workers.queue, passive=True)
        return int(declared.message_count)


def queue_depth_or_error(config: Config) -> tuple[int | None, str | None]:
    try:
        return queue_depth(config), None
    except Exception as exc:  # noqa: BLE001 - unreachable broker, missing queue: one line either way
        text = one_line(exc)
        if "NOT_FOUND" in text or "no queue" in text.lower():
            return 0, None  # no worker has declared the queue yet: nothing waits in it
        return None, f"unreachable: {text}"


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
