"""Which daemon schedules: the one holding the scheduler lease of the store; the others stand by.

PostgreSQL: a session-level advisory lock held on a connection of its own. The server frees it the
moment that connection ends: at once when the daemon's process dies, and within about 25 s when its
machine or network does (TCP keepalives on both ends). SQLite lives on one machine: an flock'ed file
beside it, freed by the kernel when the process dies. Each standby asks again at every look at the
store (`daemon.WATCH_STORE`), so it takes over a few seconds after the lease is free.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import tempfile
from pathlib import Path
from typing import IO, Any

from newsdesk.store.database import backend_of, shown, sqlite_path, store_failure

log = logging.getLogger("newsdesk.daemon")
PG_LEASE = "hashtext('newsdesk:scheduler:' || current_schema())"
# Client side: the connection's own keepalives; server side: how soon it drops a silent peer.
PG_KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}
PG_SERVER_KEEPALIVES = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
)


class SchedulerLease:
    """`take()` is True while this process holds the lease (asking again is cheap and safe)."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.backend = backend_of(database_url)[0]
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self._conn: Any = None
        self._file: IO[str] | None = None
        self.held = False
        self._problem: str | None = None

    def take(self) -> bool:
        try:
            self.held = self._take_postgres() if self.backend == "postgresql" else self._take_file()
        except Exception as exc:  # noqa: BLE001 - the store is away: the lease may be lost with it
            problem = store_failure(exc)
            if self.held:
                log.warning("scheduler lease lost: %s", problem)
            elif problem != self._problem:  # a standby says once why it cannot ask, not every 5 s
                log.warning("cannot ask for the %s: %s", self, problem)
            self._problem = problem
            self._drop()
            self.held = False
            return False
        self._problem = None
        return self.held

    def release(self) -> None:
        self._drop()
        self.held = False

    # --- PostgreSQL --------------------------------------------------------------------------

    def _take_postgres(self) -> bool:
        if self._conn is not None and (self._conn.closed or self._conn.broken):
            self._drop()
        if self._conn is None:
            import psycopg

            rest = self.url.split("://", 1)[1]
            self._conn = psycopg.connect(
                f"postgresql://{rest}", autocommit=True, connect_timeout=10, **PG_KEEPALIVES
            )
            for statement in PG_SERVER_KEEPALIVES:
                self._conn.execute(statement)
        if self.held:
            self._conn.execute("SELECT 1")  # still connected: the server still holds it for us
            return True
        row = self._conn.execute(f"SELECT pg_try_advisory_lock({PG_LEASE})").fetchone()
        return bool(row[0])

    # --- SQLite ------------------------------------------------------------------------------

    def _take_file(self) -> bool:
        if self._file is not None:
            return True
        path = lease_path(self.url)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{self.holder}\n")
        handle.flush()
        self._file = handle
        return True

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a broken connection is gone either way
                self._conn.close()
            self._conn = None
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __str__(self) -> str:
        return f"scheduler lease of {shown(self.url)}"


def lease_path(url: str) -> Path:
    """The lease file of a SQLite store (an in-memory store has one process: any file will do)."""
    database = sqlite_path(url)
    if database is None:
        return Path(tempfile.gettempdir()) / f"newsdesk-scheduler-{os.getuid()}.lock"
    return database.with_name(f"{database.name}.scheduler.lock")
