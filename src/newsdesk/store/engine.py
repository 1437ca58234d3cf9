"""The one place that turns `config.database` into an engine, and the store's write lock.

Many threads, processes or machines may write one store. Reads run in parallel; every write
transaction holds the store's write lock from its first statement, so writers apply one at a time
and each sees everything committed before it:
- SQLite: `BEGIN IMMEDIATE` (the database's own writer lock, across processes), WAL for readers;
- PostgreSQL: a transaction-level advisory lock, released by commit, rollback or a dead connection.
Within one process a mutex queues the threads first, so they wait in turn instead of polling.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from newsdesk.errors import StoreError

# A writer waits this long for the write lock (transactions are short: one refresh), then gives up
# with an error that the refresh records as its source's failure.
LOCK_WAIT_SECONDS = 60
SQLITE_BUSY_TIMEOUT_MS = LOCK_WAIT_SECONDS * 1000
# PostgreSQL: one advisory lock per schema, so that stores in separate schemas never wait on each other.
PG_WRITE_LOCK = "SELECT pg_advisory_xact_lock(hashtext('newsdesk:' || current_schema()))"
PG_LOCK_TIMEOUT = f"SET LOCAL lock_timeout = '{LOCK_WAIT_SECONDS}s'"
DRIVERS = {"postgresql": "psycopg", "sqlite": "pysqlite"}
INSTALL_HINT = {"postgresql+psycopg": "pip install 'newsdesk[postgres]'"}
__all__ = [
    "StoreError",
    "WriteLock",
    "check_driver",
    "database_engine",
    "missing_driver",
    "sqlite_path",
    "store_exists",
]


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for a server database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def store_exists(url: str) -> bool:
    """False only for a SQLite file not created yet: readers (status, check) then have nothing to read."""
    path = sqlite_path(url)
    return path is None or path.exists()


def shown(url: str) -> str:
    """The URL as a message may show it: no password."""
    return make_url(url).render_as_string(hide_password=True)


def with_driver(url: str) -> sa.URL:
    """`postgresql://` means psycopg 3 (SQLAlchemy would pick psycopg2); an explicit driver is kept."""
    parsed = make_url(url)
    if "+" not in parsed.drivername and parsed.drivername in DRIVERS:
        parsed = parsed.set(drivername=f"{parsed.drivername}+{DRIVERS[parsed.drivername]}")
    return parsed


def missing_driver(url: str) -> str | None:
    """What to install when the database's driver is missing, as one line; None when it is there."""
    parsed = with_driver(url)
    try:
        parsed.get_dialect().import_dbapi()
    except (ImportError, NoSuchModuleError, ArgumentError):
        backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
        hint = INSTALL_HINT.get(f"{backend}+{driver}", f"install the Python package {driver}")
        return f"the {backend} driver {driver!r} is not installed ({hint})"
    return None


def check_driver(url: str) -> None:
    problem = missing_driver(url)
    if problem:
        raise StoreError(f"database {shown(url)}: {problem}")


def store_failure(exc: BaseException) -> str:
    """A database error as one line: the driver's message, without SQLAlchemy's SQL and links."""
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def database_engine(url: str) -> Engine:
    """An engine for the store, its connections set up for many writers."""
    check_driver(url)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(with_driver(url), pool_pre_ping=path is None)
    if engine.dialect.name == "sqlite":
        _sqlite_connections(engine)
    return engine


def _sqlite_connections(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we send BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # first: the next one may wait
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        # A writer holds the lock from its first statement: what it reads is what it writes over.
        # Readers take a plain deferred BEGIN so they never wait for a writer.
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class WriteLock:
    """`with lock.transaction() as conn:` is a write transaction holding the store's write lock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(immediate=True)
        self._threads = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        if not self._threads.acquire(timeout=LOCK_WAIT_SECONDS):
            raise StoreError(f"the store's write lock was not free for {LOCK_WAIT_SECONDS} s")
        try:
            with self._writer.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(PG_LOCK_TIMEOUT)
                    conn.exec_driver_sql(PG_WRITE_LOCK)
                yield conn
        finally:
            self._threads.release()
