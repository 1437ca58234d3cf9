"""SQLAlchemy for what only it does here: creating a store's tables and running Alembic's migrations.

Imported only when a store is new or older than this release (`migrate`); everything else reaches the
database through `database`. The write lock below is the same lock `database` takes (SQLite's
`BEGIN IMMEDIATE`, PostgreSQL's transaction-level advisory lock), so a migration and writers of other
processes wait for one another.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

from newsdesk.errors import StoreError
from newsdesk.store.database import (
    DRIVERS,
    LOCK_WAIT_SECONDS,
    PG_LOCK_TIMEOUT,
    PG_WRITE_LOCK,
    SQLITE_BUSY_TIMEOUT_MS,
    sqlite_path,
)


def with_driver(url: str) -> sa.URL:
    """`postgresql://` means psycopg 3 (SQLAlchemy would pick psycopg2); an explicit driver is kept."""
    parsed = make_url(url)
    if "+" not in parsed.drivername and parsed.drivername in DRIVERS:
        parsed = parsed.set(drivername=f"{parsed.drivername}+{DRIVERS[parsed.drivername]}")
    return parsed


def database_engine(url: str) -> Engine:
    """An engine for the store, its connections set up for many writers."""
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
