"""Being kind to the sites we read: per-host limits and backoff after failures.

Everything here takes its clock (and sleep) as a parameter, so tests never wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlsplit

MAX_BACKOFF = timedelta(hours=24)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Limiter(Protocol):
    """Per-host slots: this process's own (HostLimiter), or shared by every worker (shared_limits)."""

    def slot(self, url: str, *, spaced: bool = True) -> AbstractContextManager[None]: ...


class HostLimiter:
    """At most `per_host` requests at once to one host, and `delay` seconds between the starts of two
    page requests. robots.txt, asked for once a day, takes a slot but neither waits for nor delays a
    page: the first page of a host follows its robots.txt at once."""

    def __init__(
        self,
        per_host: int,
        delay: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_host = per_host
        self.delay = delay
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def slot(self, url: str, *, spaced: bool = True) -> Iterator[None]:
        host = host_of(url)
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.BoundedSemaphore(self.per_host))
        with semaphore:
            if not spaced:
                yield
                return
            with self._lock:
                now = self._clock()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self.delay
            if start > now:
                self._sleep(start - now)
            yield


def backoff_delay(interval: timedelta, failures: int) -> timedelta:
    """interval x 2^failures, capped at 24 hours (or the interval itself when that is longer)."""
    if failures <= 0:
        return interval
    cap = max(MAX_BACKOFF, interval)
    return min(interval * (1 << min(failures, 32)), cap)
