"""The store's database: SQLite through Python's own sqlite3, PostgreSQL through psycopg 3.

Statements are written once, in the SQL both speak, with `:name` parameters; datetimes go in aware
and are kept in UTC as SQLAlchemy kept them (SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff' text), so stores
written by earlier releases read the same. SQLAlchemy (the schema, Alembic's migrations) is imported
only to create or upgrade a store: a command on a current store starts without it, and a statement
costs what the driver costs.

Many threads, processes or machines may write one store. Reads run in parallel; every write
transaction holds the store's write lock from its first statement, so writers apply one at a time and
each sees everything committed before it:
- SQLite: `BEGIN IMMEDIATE` (the database's own writer lock, across processes), WAL for readers;
- PostgreSQL: a transaction-level advisory lock, released by commit, rollback or a dead connection.
Within one process a mutex queues the threads first, so they wait in turn instead of polling.
"""

from __future__ import annotations

import collections
import functools
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from newsdesk.errors import DatabaseError, StoreError

# A writer waits this long for the write lock (transactions are short: one refresh), then gives up
# with an error that the refresh records as its source's failure.
LOCK_WAIT_SECONDS = 60
SQLITE_BUSY_TIMEOUT_MS = LOCK_WAIT_SECONDS * 1000
# PostgreSQL: one advisory lock per schema, so that stores in separate schemas never wait on each other.
PG_WRITE_LOCK = "SELECT pg_advisory_xact_lock(hashtext('newsdesk:' || current_schema()))"
PG_LOCK_TIMEOUT = f"SET LOCAL lock_timeout = '{LOCK_WAIT_SECONDS}s'"
DRIVERS = {"postgresql": "psycopg", "sqlite": "pysqlite"}
INSTALL_HINT = {"postgresql+psycopg": "pip install 'newsdesk[postgres]'"}
PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # as SQLAlchemy writes a DateTime to SQLite


# --- URLs --------------------------------------------------------------------------------------


def backend_of(url: str) -> tuple[str, str]:
    """('sqlite', 'pysqlite') or ('postgresql', 'psycopg') for a store URL; a driver named in it is kept."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    backend, _, driver = scheme.partition("+")
    return backend, driver or DRIVERS.get(backend, "")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for a server database."""
    if backend_of(url)[0] != "sqlite":
        return None
    path = unquote(url.split("://", 1)[1].split("?", 1)[0])
    if path in ("", "/", "/:memory:"):
        return None
    return Path(path[1:] if path.startswith("/") else path)


def store_exists(url: str) -> bool:
    """False only for a SQLite file not created yet: readers (status, check) then have nothing to read."""
    path = sqlite_path(url)
    return path is None or path.exists()


def shown(url: str) -> str:
    """The URL as a message may show it: no password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def missing_driver(url: str) -> str | None:
    """What to install when the database's driver is missing, as one line; None when it is there."""
    import importlib.util

    backend, driver = backend_of(url)
    module = {"psycopg": "psycopg", "pysqlite": "sqlite3"}.get(driver)
    if module is None:
        return f"the {backend} driver {driver!r} is not supported (use SQLite or postgresql://)"
    if importlib.util.find_spec(module) is None:
        hint = INSTALL_HINT.get(f"{backend}+{driver}", f"install the Python package {driver}")
        return f"the {backend} driver {driver!r} is not installed ({hint})"
    return None


def store_failure(exc: BaseException) -> str:
    """A database error as one line: the driver's message, without the SQL."""
    return str(getattr(exc, "orig", None) or exc.__cause__ or exc).strip().splitlines()[0]


# --- values ------------------------------------------------------------------------------------


def utc(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives text, PostgreSQL a naive datetime)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return naive_utc(value).strftime(SQLITE_TIME)
    return value


def _postgres_value(value: Any) -> Any:
    return naive_utc(value) if isinstance(value, datetime) else value


def naive_utc(value: datetime) -> datetime:
    """What the store keeps of a time: UTC without its zone; a naive time is refused."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return value.astimezone(UTC).replace(tzinfo=None)


@functools.lru_cache(maxsize=256)
def _row_type(names: tuple[str, ...]) -> Any:
    return collections.namedtuple("Row", names, rename=True)


def _sqlite_row(cursor: Any, values: tuple[Any, ...]) -> Any:
    return _row_type(tuple(column[0] for column in cursor.description))(*values)


@functools.lru_cache(maxsize=1024)
def _pyformat(sql: str) -> str:
    """`:name` parameters as psycopg takes them (`%(name)s`); a literal % doubled."""
    return PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))


def placeholders(name: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """`(:name_0, :name_1, ...)` for an IN list, and its parameters (the list must not be empty)."""
    params = {f"{name}_{at}": value for at, value in enumerate(values)}
    return "(" + ", ".join(f":{key}" for key in params) + ")", params


# --- connections -------------------------------------------------------------------------------


def _close_quietly(raw: Any, errors: tuple[type[BaseException], ...]) -> None:
    with suppress(*errors):
        raw.close()


class Conn:
    """One connection inside a transaction: statements, rows (attribute access), scalars."""

    def __init__(self, database: Database, raw: Any) -> None:
        self.database = database
        self.raw = raw
        self.postgres = database.dialect == "postgresql"
        self.depth = 0

    def _prepare(self, sql: str, params: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
        for observe in self.database.observers:
            observe(sql)
        convert = _postgres_value if self.postgres else _sqlite_value
        values = {key: convert(value) for key, value in (params or {}).items()}
        return (_pyformat(sql) if self.postgres else sql), values

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run one statement; the cursor (rows, rowcount)."""
        statement, values = self._prepare(sql, params)
        try:
            return self.raw.execute(statement, values)
        except self.database.errors as exc:
            raise DatabaseError(store_failure(exc)) from exc

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        statement, _ = self._prepare(sql, None)
        convert = _postgres_value if self.postgres else _sqlite_value
        values = [{key: convert(value) for key, value in row.items()} for row in rows]
        try:
            if self.postgres:
                with self.raw.cursor() as cursor:
                    cursor.executemany(statement, values)
            else:
                self.raw.executemany(statement, values)
        except self.database.errors as exc:
            raise DatabaseError(store_failure(exc)) from exc

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        return list(self.execute(sql, params).fetchall())

    def first(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        row = self.first(sql, params)
        return None if row is None else row[0]

    def scalars(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        return [row[0] for row in self.execute(sql, params).fetchall()]

    def insert(self, sql: str, params: Mapping[str, Any]) -> int:
        """An INSERT ... RETURNING id; the new row's id."""
        return int(self.first(sql, params)[0])

    def has_table(self, name: str) -> bool:
        if self.postgres:
            query = (
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_name = :name"
            )
        else:
            query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"
        return self.first(query, {"name": name}) is not None


@dataclass
class Database:
    """A store URL's database: a connection per thread, read and write transactions."""

    url: str
    observers: list[Callable[[str], None]] = field(default_factory=list)  # benchmarks count statements

    def __post_init__(self) -> None:
        backend, _ = backend_of(self.url)
        if backend not in ("sqlite", "postgresql"):
            raise StoreError(f"database {shown(self.url)}: unsupported (use SQLite or postgresql://)")
        problem = missing_driver(self.url)
        if problem:
            raise StoreError(f"database {shown(self.url)}: {problem}")
        self.dialect = backend
        self.path = sqlite_path(self.url)
        if self.dialect == "sqlite":
            import sqlite3

            self.errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
        else:
            import psycopg

            self.errors = (psycopg.Error,)
        self._local = threading.local()
        # Every live connection, for close(); a thread's own goes (and is closed) when the thread ends.
        self._all: weakref.WeakSet[Conn] = weakref.WeakSet()
        self._registry = threading.Lock()
        self._writer = threading.Lock()

    # The connection of this thread, made on first use (and again when a server connection broke).
    def _connection(self) -> Conn:
        conn: Conn | None = getattr(self._local, "conn", None)
        if conn is not None and not (conn.postgres and (conn.raw.closed or conn.raw.broken)):
            return conn
        raw = self._connect()
        conn = Conn(self, raw)
        self._local.conn = conn
        weakref.finalize(conn, _close_quietly, raw, self.errors)
        with self._registry:
            self._all.add(conn)
        return conn

    def _connect(self) -> Any:
        try:
            if self.dialect == "sqlite":
                import sqlite3

                raw = sqlite3.connect(
                    str(self.path) if self.path else ":memory:",
                    timeout=LOCK_WAIT_SECONDS,
                    isolation_level=None,  # we send BEGIN ourselves
                    check_same_thread=False,  # closed from the thread that closes the store
                )
                raw.row_factory = _sqlite_row
                raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # first: the next may wait
                raw.execute("PRAGMA journal_mode=WAL")
                raw.execute("PRAGMA synchronous=NORMAL")
                raw.execute("PRAGMA foreign_keys=ON")
                return raw
            import psycopg
            from psycopg.rows import namedtuple_row

            rest = self.url.split("://", 1)[1]
            return psycopg.connect(f"postgresql://{rest}", autocommit=False, row_factory=namedtuple_row)
        except self.errors as exc:
            raise DatabaseError(f"database {shown(self.url)}: cannot connect: {store_failure(exc)}") from exc

    @contextmanager
    def read(self) -> Iterator[Conn]:
        """A read transaction (a consistent snapshot); inside a write of this thread, that write."""
        conn = self._connection()
        if conn.depth:
            conn.depth += 1
            try:
                yield conn
            finally:
                conn.depth -= 1
            return
        with self._transaction(conn, begin="BEGIN"):
            yield conn

    @contextmanager
    def write(self, *, store_lock: bool = True) -> Iterator[Conn]:
        """A write transaction holding the store's write lock. `store_lock=False`: on PostgreSQL, a
        plain transaction beside the writers, for bookkeeping that touches rows of its own (the
        workers' tasks, host slots): it must not lengthen the one queue every refresh waits in.
        SQLite has one writer at a time whatever is asked."""
        conn = self._connection()
        if conn.depth:
            raise StoreError("a write transaction inside another one")
        if conn.postgres and not store_lock:
            with self._transaction(conn, begin="BEGIN"):
                conn.execute(PG_LOCK_TIMEOUT)
                yield conn
            return
        if not self._writer.acquire(timeout=LOCK_WAIT_SECONDS):
            raise StoreError(f"the store's write lock was not free for {LOCK_WAIT_SECONDS} s")
        try:
            with self._transaction(conn, begin="BEGIN IMMEDIATE"):
                if conn.postgres:
                    conn.execute(PG_LOCK_TIMEOUT)
                    conn.execute(PG_WRITE_LOCK)
                yield conn
        finally:
            self._writer.release()

    @contextmanager
    def _transaction(self, conn: Conn, *, begin: str) -> Iterator[None]:
        raw = conn.raw
        try:
            if not conn.postgres:
                raw.execute(begin)
        except self.errors as exc:
            raise DatabaseError(store_failure(exc)) from exc
        conn.depth = 1
        try:
            yield
        except BaseException:
            conn.depth = 0
            self._end(conn, commit=False)
            raise
        conn.depth = 0
        self._end(conn, commit=True)

    def _end(self, conn: Conn, *, commit: bool) -> None:
        raw = conn.raw
        try:
            if conn.postgres:
                raw.commit() if commit else raw.rollback()
            elif raw.in_transaction:
                raw.execute("COMMIT" if commit else "ROLLBACK")
        except self.errors as exc:
            if commit:
                raise DatabaseError(store_failure(exc)) from exc

    def close(self) -> None:
        with self._registry:
            for conn in list(self._all):
                with suppress(*self.errors):
                    conn.raw.close()
            self._all.clear()
        self._local = threading.local()
