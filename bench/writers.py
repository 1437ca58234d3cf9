"""The store's write lock: how long one refresh holds it, next to the refresh itself.

Every refresh stores its items in one transaction holding the store's write lock (SQLite BEGIN
IMMEDIATE, PostgreSQL a transaction-level advisory lock), so writers, threads or processes, take turns
there. Measured per refresh that brings one new story among ten, on SQLite and on PostgreSQL
(NEWSDESK_BENCH_POSTGRES, default the local server; "skipped" when it does not answer): the time the
lock is held, and its share of the refresh's wall time, which bounds how far parallel writers scale.
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from common import Row, bench_config, html_source
from loopback import LoopbackSites

from newsdesk.pipeline import Sessions, apply_gathered, gather_source, open_store, refresh_all, utc_now
from newsdesk.store.engine import with_driver

LATENCY = 0.05
POSTGRES = os.environ.get("NEWSDESK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str | None]:
    """A URL of an empty store on the backend; None when PostgreSQL does not answer."""
    if backend == "SQLite":
        yield f"sqlite:///{folder}/state/newsdesk.db"
        return
    schema = f"nd_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(with_driver(POSTGRES), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError:
        admin.dispose()
        yield None
        return
    try:
        url = sa.make_url(POSTGRES).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def writer_rows(count: int, repeat: int, workers: int = 8) -> list[Row]:
    logging.getLogger("newsdesk").setLevel(logging.ERROR)
    rows = []
    for backend in ("SQLite", "PostgreSQL"):
        size = f"{count} sources, {backend}"
        scenario = "write transaction per refresh (lock held), one new story among ten"
        with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp)) as url:
            if url is None:
                rows.append(
                    Row("write transaction per refresh", size, f"skipped: no {POSTGRES}", "report", "-")
                )
                continue
            with LoopbackSites(count, LATENCY) as sites:
                rows.append(
                    Row.report(scenario, size, _measure(Path(tmp), url, sites, count, repeat, workers))
                )
    return rows


def _measure(folder: Path, url: str, sites: LoopbackSites, count: int, repeat: int, workers: int) -> str:
    sources = [html_source(f"site{n:04d}", sites.url(n, "/news"), every="30m") for n in range(count)]
    config = bench_config(folder, sources, fetch={"workers": workers, "host_delay": 0}, database=url)
    store = open_store(config, utc_now())
    held: list[float] = []
    record = store.record_refresh

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return record(*args, **kwargs)
        finally:
            held.append(time.perf_counter() - started)

    store.record_refresh = timed  # type: ignore[method-assign]
    sessions = Sessions(config)
    try:
        refresh_all(config, store)  # cold: robots.txt and the first ten stories of every site
        alone, beside, shares = [], [], []
        for edition in range(1, 2 * repeat + 1):
            sites.set_edition(edition)
            held.clear()
            if edition % 2:  # as `newsdesk run` does: applies while the other threads fetch and parse
                started = time.perf_counter()
                reports = refresh_all(config, store)
                shares.append(sum(held) / (time.perf_counter() - started))
                beside.append(statistics.median(held))
            else:  # every source gathered first, then applied with nothing else running
                with ThreadPoolExecutor(workers) as pool:
                    gathered = list(
                        pool.map(
                            lambda s: gather_source(config, s, store, session=sessions.get()), config.sources
                        )
                    )
                reports = [apply_gathered(store, one, utc_now()) for one in gathered]
                alone.append(statistics.median(held))
            if sum(report.result.new for report in reports) != count:
                raise RuntimeError(f"{url}: edition {edition} stored {[r.errors for r in reports][:3]}")
    finally:
        sessions.close()
        store.close()
    quiet, busy, share = statistics.median(alone), statistics.median(beside), statistics.median(shares)
    return (
        f"{quiet * 1000:.1f} ms alone (at most {1 / quiet:.0f} refreshes/s, any number of processes); "
        f"{busy * 1000:.1f} ms beside 8 parsing threads, {share:.0%} of a run's wall time"
    )
