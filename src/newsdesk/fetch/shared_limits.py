"""Per-host limits held by every worker of every machine at once: in Redis, or in the store.

The same rules as `politeness.HostLimiter` (at most `per_host` requests to a host at once, `delay`
seconds between the starts of two page requests, robots.txt unspaced), but the slots and the next start
live where all workers see them. A slot is a lease: a worker killed in a request frees its slot when
the lease runs out. Clocks: Redis's own (`TIME`), or the database's, so machines need not agree.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from newsdesk.errors import DatabaseError, LimitsUnavailable, StoreError
from newsdesk.fetch.politeness import host_of

log = logging.getLogger(__name__)
POLL = (0.02, 0.25)  # seconds between two asks for a full host's slot: first, at most
LEASE = 10.0  # seconds a slot outlives its last renewal
RENEW = LEASE / 3  # seconds between two renewals of the slots a process holds
START_MARGIN = 0.05  # seconds added to host_delay, so that the site sees at least host_delay
KEY = "newsdesk:host:"

# KEYS: the host's holders (sorted set: token -> lease end, ms), its next start (ms).
# ARGV: token, per_host, delay ms, lease ms, spaced (1/0). Returns ms to wait before starting, or -1.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return -1
end
local start = now
local lease = tonumber(ARGV[4])
if ARGV[5] == '1' then
  local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
  if next_start > start then start = next_start end
  local delay = tonumber(ARGV[3])
  redis.call('SET', KEYS[2], start + delay, 'PX', start - now + delay + 1000)
end
redis.call('ZADD', KEYS[1], start + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], start - now + lease + 1000)
return start - now
"""
# KEYS: the host's holders. ARGV: token, lease ms. Pushes the token's lease end on, if it still holds.
RENEW_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 1000)
end
return 1
"""


class SharedHostLimiter:
    """`with limiter.slot(url):` waits for a slot of the url's host, shared with every worker."""

    def __init__(
        self,
        per_host: int,
        delay: float,
        *,
        lease: float = LEASE,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_host = per_host
        self.delay = delay
        # The next start is set this much later: a request starts when its ask returns from Redis or
        # the database, and that return takes a few ms more for one worker than another under load.
        self.spacing = delay + START_MARGIN if delay > 0 else 0.0
        self.lease = lease
        self._sleep = sleep
        self._held: dict[str, str] = {}  # token -> host, renewed by one thread of this process
        self._held_lock = threading.Lock()
        self._renewer: threading.Thread | None = None
        self._renewer_pid = 0

    @contextmanager
    def slot(self, url: str, *, spaced: bool = True) -> Iterator[None]:
        host = host_of(url)
        token = uuid.uuid4().hex
        pause = POLL[0]
        while True:
            wait = self._take(host, token, spaced)
            if wait is not None:
                break
            self._sleep(pause)  # full: someone holds every slot of this host
            pause = min(pause * 2, POLL[1])
        self._hold(token, host)
        try:
            if wait > 0:
                self._sleep(wait)
            yield
        finally:
            with self._held_lock:
                self._held.pop(token, None)
            self._give_back(host, token)

    def _hold(self, token: str, host: str) -> None:
        """Keep the slot's lease alive while it is held (a thread per process, started on first use;
        a forked pool process starts its own)."""
        with self._held_lock:
            self._held[token] = host
            if self._renewer is None or self._renewer_pid != os.getpid() or not self._renewer.is_alive():
                self._renewer_pid = os.getpid()
                self._renewer = threading.Thread(target=self._renew_forever, name="host-slots", daemon=True)
                self._renewer.start()

    def _renew_forever(self) -> None:
        while True:
            time.sleep(min(RENEW, self.lease / 3))
            with self._held_lock:
                held = list(self._held.items())
            for token, host in held:
                try:
                    self._renew(host, token)
                except Exception as exc:  # noqa: BLE001 - the lease runs out by itself; say why once
                    log.warning("host slot of %s not renewed: %s", host, exc)

    def _renew(self, host: str, token: str) -> None:
        raise NotImplementedError

    def _take(self, host: str, token: str, spaced: bool) -> float | None:
        """Seconds to wait before the request may start, or None when every slot is taken."""
        raise NotImplementedError

    def _give_back(self, host: str, token: str) -> None:
        raise NotImplementedError


class RedisHostLimiter(SharedHostLimiter):
    def __init__(self, url: str, per_host: int, delay: float, **kwargs: Any) -> None:
        super().__init__(per_host, delay, **kwargs)
        import redis

        self.url = url
        self._redis = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self._acquire = self._redis.register_script(ACQUIRE)
        self._extend = self._redis.register_script(RENEW_SCRIPT)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError,)

    def _take(self, host: str, token: str, spaced: bool) -> float | None:
        keys = [f"{KEY}{host}:slots", f"{KEY}{host}:next"]
        args: list[str | int] = [
            token,
            self.per_host,
            int(self.spacing * 1000),
            int(self.lease * 1000),
            int(spaced),
        ]
        try:
            wait = int(self._acquire(keys=keys, args=args))
        except self._errors as exc:
            raise LimitsUnavailable(f"shared host limits at {self.url} unreachable: {exc}") from exc
        return None if wait < 0 else wait / 1000

    def _renew(self, host: str, token: str) -> None:
        self._extend(keys=[f"{KEY}{host}:slots"], args=[token, int(self.lease * 1000)])

    def _give_back(self, host: str, token: str) -> None:
        try:
            self._redis.zrem(f"{KEY}{host}:slots", token)
        except self._errors as exc:  # the lease runs out by itself
            log.warning("host slot of %s not given back to %s: %s", host, self.url, exc)

    def close(self) -> None:
        self._redis.close()


class StoreHostLimiter(SharedHostLimiter):
    """The same, in the store's tables `host_slots` and `host_starts` (one short write per ask)."""

    def __init__(self, db: Any, per_host: int, delay: float, **kwargs: Any) -> None:
        super().__init__(per_host, delay, **kwargs)
        self.db = db

    def _take(self, host: str, token: str, spaced: bool) -> float | None:
        try:
            with self.db.write(store_lock=False) as conn:
                _lock_host(conn, host)
                now = _database_now(conn)
                conn.execute(
                    "DELETE FROM host_slots WHERE host = :host AND expires <= :now",
                    {"host": host, "now": now},
                )
                taken = conn.scalar("SELECT count(*) FROM host_slots WHERE host = :host", {"host": host})
                if int(taken) >= self.per_host:
                    return None
                start = now
                if spaced:
                    from newsdesk.store.database import utc

                    next_start = utc(
                        conn.scalar("SELECT next_start FROM host_starts WHERE host = :host", {"host": host})
                    )
                    start = max(now, next_start) if next_start else now
                    conn.execute(
                        "INSERT INTO host_starts (host, next_start) VALUES (:host, :next) "
                        "ON CONFLICT (host) DO UPDATE SET next_start = excluded.next_start",
                        {"host": host, "next": start + timedelta(seconds=self.spacing)},
                    )
                conn.execute(
                    "INSERT INTO host_slots (host, token, expires) VALUES (:host, :token, :expires)",
                    {"host": host, "token": token, "expires": start + timedelta(seconds=self.lease)},
                )
                return float((start - now).total_seconds())
        except (DatabaseError, StoreError) as exc:
            raise LimitsUnavailable(f"shared host limits in the store unreachable: {exc}") from exc

    def _renew(self, host: str, token: str) -> None:
        with self.db.write(store_lock=False) as conn:
            conn.execute(
                "UPDATE host_slots SET expires = :expires WHERE host = :host AND token = :token",
                {
                    "host": host,
                    "token": token,
                    "expires": _database_now(conn) + timedelta(seconds=self.lease),
                },
            )

    def _give_back(self, host: str, token: str) -> None:
        try:
            with self.db.write() as conn:
                conn.execute(
                    "DELETE FROM host_slots WHERE host = :host AND token = :token",
                    {"host": host, "token": token},
                )
        except (DatabaseError, StoreError) as exc:
            log.warning("host slot of %s not given back to the store: %s", host, exc)


def _lock_host(conn: Any, host: str) -> None:
    """PostgreSQL: asks for one host's slots wait for each other (and for nothing else) until commit.
    SQLite's transaction holds its one writer lock already."""
    if conn.postgres:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(:key))", {"key": f"newsdesk:host:{host}"})


def _database_now(conn: Any) -> Any:
    """The database's clock (PostgreSQL), or this machine's (SQLite lives on one machine)."""
    from datetime import UTC, datetime

    if conn.postgres:
        moment = conn.scalar("SELECT clock_timestamp() AT TIME ZONE 'UTC'")
        return moment.replace(tzinfo=UTC)
    return datetime.now(UTC)
