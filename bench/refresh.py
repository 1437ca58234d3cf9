"""Refreshing many sources over real loopback HTTP (scenario 2) and refreshing unchanged ones (scenario 3).

Every source is a site on its own address answering after 50 ms. The measured refreshes are warm
(robots.txt is cached for a day after the first one, as in a running daemon); the cold first refresh,
which also asks for robots.txt, is printed beside them.
"""

from __future__ import annotations

import logging
import math
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common import Row, bench_config, html_source
from loopback import LoopbackSites

from newsdesk.config import Config
from newsdesk.parsing import Parsers
from newsdesk.pipeline import RefreshReport, open_store, refresh_all, utc_now
from newsdesk.publish import publish
from newsdesk.store import Store

LATENCY = 0.05
CPU_TARGET = 0.008  # seconds per source
CONTENT_TABLES = {"items", "item_keys", "item_categories", "merges", "alternates"}


class WriteCounter:
    """Statements that change the database, by table, as SQLAlchemy sends them."""

    def __init__(self, store: Store) -> None:
        self.by_table: Counter[str] = Counter()
        store.db.observers.append(self._seen)

    def _seen(self, statement: str) -> None:
        words = statement.split()
        verb = words[0].upper() if words else ""
        if verb in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
            table = words[2] if verb in ("INSERT", "DELETE", "REPLACE") else words[1]
            self.by_table[table.strip('"')] += 1

    @contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        self.by_table.clear()
        counted: Counter[str] = Counter()
        yield counted
        counted.update(self.by_table)


def _worker_cpu(parsers: Parsers) -> float:
    """CPU seconds the parsing processes have used so far (utime + stime of /proc/<pid>/stat)."""
    total = 0
    for pid in parsers.worker_ids():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _timed(config: Config, store: Store, parsers: Parsers) -> tuple[float, float, list[RefreshReport]]:
    """Wall time and CPU time of one refresh: this process's and its parsing processes'."""
    wall, cpu, workers = time.perf_counter(), time.process_time(), _worker_cpu(parsers)
    reports = refresh_all(config, store, parsers=parsers)
    cpu = time.process_time() - cpu + _worker_cpu(parsers) - workers
    return time.perf_counter() - wall, cpu, reports


def _failed(reports: list[RefreshReport]) -> list[str]:
    return [error for report in reports for error in report.errors]


def refresh_rows(count: int, repeat: int, workers: int = 8) -> list[Row]:
    logging.getLogger("newsdesk").setLevel(logging.ERROR)
    ideal = LATENCY * math.ceil(count / workers)
    size = f"{count} sources, {workers} workers"
    with LoopbackSites(count, LATENCY) as sites, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sources = [html_source(f"site{n:04d}", sites.url(n, "/news"), every="30m") for n in range(count)]
        config = bench_config(folder, sources, fetch={"workers": workers, "host_delay": 0})
        store = open_store(config, utc_now())
        writes = WriteCounter(store)
        parsers = Parsers.for_refresh(config, count)  # as a daemon keeps them
        try:
            cold, _, reports = _timed(config, store, parsers)
            if _failed(reports):
                raise RuntimeError(f"refresh failed: {_failed(reports)[:3]}")
            walls, cpus = [], []
            for edition in range(1, repeat + 1):
                sites.set_edition(edition)  # one new story on every site
                wall, cpu, reports = _timed(config, store, parsers)
                if _failed(reports) or sum(r.result.new for r in reports) != count:
                    raise RuntimeError(f"edition {edition}: {_failed(reports)[:3]}")
                walls.append(wall)
                cpus.append(cpu)
            publish(config, store)
            wall = statistics.median(walls)
            rows = [
                Row.check(
                    "refresh, each site answering in 50 ms (wall / ideal)",
                    size,
                    f"{wall:.2f} s / {ideal:.2f} s = {wall / ideal:.2f}x (cold: {cold:.2f} s)",
                    "<= 1.50x",
                    wall / ideal <= 1.5,
                ),
                Row.check(
                    "refresh, CPU per source, parsing processes included (1 new story in 10)",
                    size,
                    f"{statistics.median(cpus) / count * 1000:.2f} ms/source",
                    f"<= {CPU_TARGET * 1000:.0f} ms",
                    statistics.median(cpus) / count <= CPU_TARGET,
                ),
            ]
            rows += _unchanged_rows(config, store, parsers, writes, size, "304 Not Modified")
            plain = [html_source(f"site{n:04d}", sites.url(n, "/plain"), every="30m") for n in range(count)]
            config = bench_config(folder, plain, fetch={"workers": workers, "host_delay": 0})
            refresh_all(config, store, parsers=parsers)  # the pages' first reading under the new config
            publish(config, store)
            rows += _unchanged_rows(config, store, parsers, writes, size, "identical bodies")
        finally:
            parsers.close()
            store.close()
    return rows


def _unchanged_rows(
    config: Config, store: Store, parsers: Parsers, writes: WriteCounter, size: str, how: str
) -> list[Row]:
    with writes.counting() as written:
        wall, _, reports = _timed(config, store, parsers)
    parsed = sum(report.pages for report in reports)
    not_modified = sum(report.not_modified for report in reports)
    content = sum(n for table, n in written.items() if table in CONTENT_TABLES)
    bookkeeping = ", ".join(
        f"{table} {n}" for table, n in sorted(written.items()) if table not in CONTENT_TABLES
    )
    files = publish(config, store).written
    parsed_ok = parsed == 0 if how.startswith("304") else True
    return [
        Row.check(
            f"unchanged refresh ({how}): pages parsed, feed files written",
            size,
            f"{parsed} parsed, {not_modified} not modified, {len(files)} files written, {wall:.2f} s",
            "0 parsed for 304, 0 files" if how.startswith("304") else "0 files",
            parsed_ok and not files and not _failed(reports),
        ),
        Row.check(
            f"unchanged refresh ({how}): database writes",
            size,
            f"content {content}; bookkeeping: {bookkeeping or 'none'}",
            "content 0",
            content == 0,
        ),
    ]
