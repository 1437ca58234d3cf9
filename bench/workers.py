"""Refreshes on Celery workers (`newsdesk worker`) beside the single-process daemon.

1,000 sources, each a site on its own loopback address answering after 50 ms, one PostgreSQL store
(NEWSDESK_BENCH_POSTGRES, default the local server), Redis as broker and for the per-host limits
(NEWSDESK_BENCH_REDIS, default the local one). Every round brings one new story on every site.
- the daemon's way: `refresh_all` in one process, 8 fetching threads and its parsing processes;
- the workers' way: one worker with 1, 2, 4 and 8 processes, then one of 8 threads (`--pool threads`,
  parsing in its parsing processes as the daemon does); every source is sent as a task (8 threads
  sending, as a busy scheduler would), the wall time runs from the first task sent to the last one
  finished (the store's task rows), the CPU is the worker's and its pool's (/proc).
The figures per source give the projection for N machines in README ("Running on several machines").
"""

from __future__ import annotations

import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import Row, bench_config, html_source
from loopback import LoopbackSites
from writers import POSTGRES, database

from newsdesk.config import Config, SourceConfig
from newsdesk.dispatch import Dispatcher
from newsdesk.parsing import Parsers
from newsdesk.pipeline import open_store, refresh_all, utc_now
from newsdesk.store import Store

LATENCY = 0.05
WARM = 20  # sources refreshed on a new worker before the measured round
# The sending threads, kept for the whole run: each thread has its own connection to the store.
SENDERS = ThreadPoolExecutor(8, thread_name_prefix="send")
REDIS = os.environ.get("NEWSDESK_BENCH_REDIS", "redis://127.0.0.1:6379/2")
TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """CPU seconds of a process and of its children (a worker and its pool), from /proc."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
            for thread in Path(f"/proc/{current}/task").iterdir():  # children of any of its threads
                pending += [int(c) for c in (thread / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping())
    except Exception:  # any failure means: no Redis to measure with
        return False


POOLS = (("prefork", 1), ("prefork", 2), ("prefork", 4), ("prefork", 8), ("threads", 8))


def worker_rows(count: int, pools: tuple[tuple[str, int], ...] = POOLS) -> list[Row]:
    logging.getLogger("newsdesk").setLevel(logging.ERROR)
    size = f"{count} sources, PostgreSQL, Redis"
    if not _redis_answers():
        return [Row("refresh on workers", size, f"skipped: no Redis at {REDIS}", "report", "-")]
    with tempfile.TemporaryDirectory() as tmp, database("PostgreSQL", Path(tmp)) as url:
        if url is None:
            return [Row("refresh on workers", size, f"skipped: no {POSTGRES}", "report", "-")]
        with LoopbackSites(count, LATENCY) as sites:
            return _measure(Path(tmp), url, sites, count, pools, size)


def _measure(
    folder: Path, url: str, sites: LoopbackSites, count: int, pools: tuple[tuple[str, int], ...], size: str
) -> list[Row]:
    sources = [html_source(f"site{n:04d}", sites.url(n, "/news"), every="30m") for n in range(count)]
    queue = f"newsdesk-bench-{uuid.uuid4().hex[:8]}"
    config = bench_config(
        folder,
        sources,
        database=url,
        fetch={"workers": 8, "host_delay": 0},
        workers={"broker": REDIS, "queue": queue},
    )
    store = open_store(config, utc_now())
    parsers = Parsers.for_refresh(config, count)
    edition = 0
    rows = []
    try:
        refresh_all(config, store, parsers=parsers)  # cold: robots.txt of every site, its first stories
        walls, cpus = [], []
        for _ in range(2):
            edition += 1
            sites.set_edition(edition)
            wall, cpu = time.perf_counter(), time.process_time()
            pool_cpu = sum(_cpu(pid) for pid in parsers.worker_ids())
            reports = refresh_all(config, store, parsers=parsers)
            cpus.append(time.process_time() - cpu + sum(_cpu(pid) for pid in parsers.worker_ids()) - pool_cpu)
            walls.append(time.perf_counter() - wall)
            if sum(r.result.new for r in reports) != count:
                raise RuntimeError(f"edition {edition}: {[r.errors for r in reports if r.errors][:3]}")
        daemon_wall, daemon_cpu = statistics.median(walls), statistics.median(cpus)
        rows.append(
            Row.report(
                "refresh, single-process daemon (8 threads + parsing processes)",
                size,
                f"{daemon_wall:.2f} s wall, {daemon_cpu / count * 1000:.1f} ms CPU/source, "
                f"{count / daemon_wall:.0f} sources/s",
            )
        )
    finally:
        parsers.close()
    try:

        def next_edition() -> None:  # one new story on every site
            nonlocal edition
            edition += 1
            sites.set_edition(edition)

        for pool, n in pools:
            wall, cpu, send = _on_worker(config, store, pool, n, next_edition)
            unit = "process(es)" if pool == "prefork" else "threads (--pool threads) + parsing processes"
            rows.append(
                Row.report(
                    f"refresh on one worker of {n} {unit}",
                    size,
                    f"{wall:.2f} s wall, {cpu / count * 1000:.1f} ms CPU/source, "
                    f"{count / wall:.0f} sources/s ({daemon_wall / wall:.2f}x the daemon); "
                    f"scheduler {send / count * 1000:.1f} ms/task sent",
                )
            )
    finally:
        store.close()
    return rows


def _on_worker(
    config: Config, store: Store, pool: str, processes: int, new_edition: Callable[[], None]
) -> tuple[float, float, float]:
    """A warm-up round, a new edition, the measured round, on a worker of `processes` processes or
    threads: (wall, worker CPU, time to send every task)."""
    name = f"bench-{pool}-{processes}"
    log = (config.base_dir / f"{name}.log").open("wb")
    options = ["--pool", pool, "--concurrency", str(processes), "--name", name]
    worker = subprocess.Popen(
        [sys.executable, "-m", "newsdesk", "--config", str(config.path), "worker", *options],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while b"ready:" not in (config.base_dir / f"{name}.log").read_bytes():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError(f"the worker did not start: {(config.base_dir / log.name).read_text()}")
            time.sleep(0.1)
        dispatcher = Dispatcher(config, store.db)
        new_edition()
        _round(dispatcher, store, config.sources[:WARM], worker)  # pools started, caches warm
        new_edition()
        cpu = _cpu(worker.pid)
        wall = time.perf_counter()
        send = _round(dispatcher, store, config.sources, worker)
        wall = time.perf_counter() - wall
        cpu = _cpu(worker.pid) - cpu
        dispatcher.close()
        with store.db.read() as conn:
            failed = conn.scalar("SELECT count(*) FROM tasks WHERE state = 'failed'")
        if failed:
            raise RuntimeError(f"{failed} refresh(es) failed on the worker")
        return wall, cpu, send
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        log.close()


def _round(
    dispatcher: Dispatcher, store: Store, sources: list[SourceConfig], worker: subprocess.Popen[bytes]
) -> float:
    """Send every source as a task (8 threads), wait until all are finished; the time sending took."""
    finished = "SELECT count(*) FROM tasks WHERE state IN ('ok', 'failed')"
    with store.db.read() as conn:
        before = conn.scalar(finished)
    sent = time.perf_counter()
    if not all(SENDERS.map(lambda s: dispatcher.send(s.name, utc_now()), sources)):
        raise RuntimeError("a task was not sent")
    send = time.perf_counter() - sent
    while True:
        with store.db.read() as conn:
            done = conn.scalar(finished) - before
        if done >= len(sources):
            break
        if worker.poll() is not None:
            raise RuntimeError("the worker died")
        time.sleep(0.05)
    return send


if __name__ == "__main__":  # python bench/workers.py 200
    from run import print_table

    print_table(worker_rows(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
