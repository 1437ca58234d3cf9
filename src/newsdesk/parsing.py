"""Extract and normalize one fetched page: in the fetching thread, or in worker processes.

Both stages are pure CPU, and threads share one core under the interpreter lock: when a refresh reads
many pages, they go to a pool of processes (`fetch.processes`), started at the first page that needs
parsing (an unchanged run starts nothing) and warming up while the first pages are parsed here. Each
worker is given the config once. A page gives the same items wherever it is parsed; what a worker
logs is logged again in this process, with the same logger and level.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsdesk.config import Config, SourceConfig
from newsdesk.errors import ExtractError, SourceError
from newsdesk.extract import extract_read, is_item
from newsdesk.models import Item, Page, RawItem

if TYPE_CHECKING:
    from newsdesk.normalize.item import Normalizer

log = logging.getLogger("newsdesk")
MIN_PAGES = 16  # fewer pages in a refresh are parsed faster than a worker process starts
PRELOAD = ["newsdesk.parsing", "newsdesk.normalize.item", "newsdesk.extract.html", "newsdesk.extract.feed"]


@dataclass
class Parsed:
    """What one page gave: everything found, the news items among them normalized, the card count."""

    found: list[RawItem]
    items: list[Item]
    cards: int  # cards or entries, carousel clones included
    recipe: str | None = None  # type: auto, how discovery read the page (`Discovery.recipe`)


def parse_page(source: SourceConfig, page: Page, normalizer: Normalizer) -> Parsed:
    """extract | keep the news items | normalize each distinct card once; raises ExtractError."""
    found, recipe = extract_read(source, page)
    raw_items = [raw for raw in found if is_item(source, raw)]
    distinct = dict.fromkeys(raw_items)  # a carousel draws each card twice
    items = [item for raw in distinct if (item := normalizer.normalize(raw, page.fetched_at)) is not None]
    return Parsed(found, items, len(raw_items), recipe)


def default_processes() -> int:
    """One worker per core beyond the first, which fetches and stores; none on a single core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores - 1, 8)


class Parsers:
    """Where a refresh's pages are parsed. Thread-safe; `close` stops the workers."""

    def __init__(self, config: Config, processes: int) -> None:
        self._config = config
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._starter: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()
        self.in_workers = 0  # pages parsed by the workers (the rest were parsed in threads)

    @classmethod
    def for_refresh(cls, config: Config, pages: int) -> Parsers:
        """Workers when the refresh may read enough pages to repay them, else parsing in threads."""
        wanted = config.fetch.processes
        processes = default_processes() if wanted is None else wanted
        return cls(config, processes if pages >= MIN_PAGES else 0)

    def parse(self, source: SourceConfig, page: Page, normalizer: Callable[[], Normalizer]) -> Parsed:
        pool = self._ready_pool()
        if pool is None:
            return parse_page(source, page, normalizer())
        try:
            outcome, records = pool.submit(_parse_in_worker, source, page).result()
        except BrokenProcessPool:  # a worker died (killed, out of memory): a new pool for later pages
            with self._lock:
                if self._pool is pool:
                    self._pool, self._starter = None, None
            raise ExtractError(
                source.name, page.url, "the parsing process stopped; the page is read again next time"
            ) from None
        with self._lock:
            self.in_workers += 1
        for record in records:
            logging.getLogger(record.name).handle(record)
        if isinstance(outcome, SourceError):
            raise outcome
        return outcome

    def start(self, *, wait: bool = False) -> bool:
        """Start the workers in the background (or `wait` until they are up); True once they are."""
        with self._lock:
            if self._pool is not None or self._processes == 0 or self._closed:
                return self._pool is not None
            if self._starter is None:
                self._starter = threading.Thread(target=self._start, name="parsers-start", daemon=True)
                self._starter.start()
            starter = self._starter
        if wait:
            starter.join()
        return self._pool is not None

    def _ready_pool(self) -> ProcessPoolExecutor | None:
        """The pool once its workers are up; the first call starts it in the background."""
        self.start()
        return self._pool

    def _start(self) -> None:
        pool: ProcessPoolExecutor | None = None
        try:
            context = multiprocessing.get_context("forkserver")  # never fork a process that runs threads
            context.set_forkserver_preload(PRELOAD)
            pool = ProcessPoolExecutor(
                self._processes, mp_context=context, initializer=_start_worker, initargs=(self._config,)
            )
            for started in [pool.submit(_ready) for _ in range(self._processes)]:
                started.result()
        except Exception as exc:  # noqa: BLE001 - no workers: pages are parsed in threads, as before
            reason = next((line.strip() for line in str(exc).splitlines() if line.strip()), repr(exc))
            log.warning("parsing processes unavailable (%s); parsing in threads", reason)
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            return
        with self._lock:
            if not self._closed:
                self._pool = pool
                return
        pool.shutdown(wait=True)  # closed while starting

    def worker_ids(self) -> list[int]:
        """The process ids of the running workers (benchmarks add up their CPU time)."""
        pool = self._pool
        return sorted(pool._processes) if pool is not None else []

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, starter, self._pool = self._pool, self._starter, None
        if starter is not None:
            starter.join()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# --- in a worker process ----------------------------------------------------------------------

_config: Config | None = None
_normalizers: dict[SourceConfig, Normalizer] = {}
_records: list[logging.LogRecord] = []


class _Keep(logging.Handler):
    """Keeps what the parsing of one page logs, made picklable, for the parent to log again."""

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args, record.exc_info, record.exc_text = record.getMessage(), None, None, None
        _records.append(record)


def _start_worker(config: Config) -> None:
    global _config
    _config = config
    newsdesk_log = logging.getLogger("newsdesk")
    newsdesk_log.handlers[:] = [_Keep()]
    newsdesk_log.propagate = False
    newsdesk_log.setLevel(logging.DEBUG)  # the parent's handlers choose what is shown


def _ready() -> None:
    """A first task: returns once the worker has started and imported the parsers."""


def _parse_in_worker(
    source: SourceConfig, page: Page
) -> tuple[Parsed | SourceError, list[logging.LogRecord]]:
    from newsdesk.normalize.item import Normalizer

    assert _config is not None
    normalizer = _normalizers.get(source)
    if normalizer is None:
        normalizer = _normalizers[source] = Normalizer.for_source(_config, source)
    _records.clear()
    try:
        outcome: Parsed | SourceError = parse_page(source, page, normalizer)
    except SourceError as exc:
        outcome = exc
    records = list(_records)
    _records.clear()
    return outcome, records
