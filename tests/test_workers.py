"""The workers' parts, each on the real thing: task rows and heartbeats in a real store, per-host
limits in a real Redis and a real PostgreSQL, the scheduler lease held by a real process and freed
by its kill -9, `status` asking a real broker."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.cli import main
from newsdesk.config import load_config
from newsdesk.election import SchedulerLease
from newsdesk.errors import ConfigError, LimitsUnavailable
from newsdesk.fetch.shared_limits import RedisHostLimiter, SharedHostLimiter, StoreHostLimiter
from newsdesk.status import print_status
from newsdesk.store import Store, tasks

from brokers import queue_name, redis_url
from databases import postgres_base_url, postgres_schema
from helpers import html_source, write_config

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def db(any_database: str):
    store = Store(any_database, site_host="news.example.org")
    store.create(NOW)
    yield store.db
    store.close()


def workers_config(tmp_path: Path, broker: str, database: str = "state/newsdesk.db", **keys: str):
    extra = "".join(f"  {key}: {value}\n" for key, value in keys.items())
    section = f"workers:\n  broker: {broker}\n{extra}"
    sources = html_source("a", ["https://a.example.org/news"])
    return load_config(
        write_config(tmp_path, sources, extra=f"fetch:\n  host_delay: 0\n{section}", database=database)
    )


# --- config and command line -------------------------------------------------------------------


def test_a_broker_url_that_is_no_broker_is_one_line_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        workers_config(tmp_path, "http://127.0.0.1:6379/0")
    (problem,) = raised.value.problems
    assert "workers.broker" in problem and "unusable broker URL 'http://127.0.0.1:6379/0'" in problem


def test_the_worker_command_without_a_workers_section_says_what_to_add(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, html_source("a", ["https://a.example.org/news"]))
    assert main(["--config", str(path), "worker"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("newsdesk worker: ") and "has no workers: section" in line


def test_limits_live_in_the_broker_when_it_is_redis_else_in_the_store(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "a").mkdir()
    redis_config = workers_config(tmp_path / "r", "redis://127.0.0.1:6379/3")
    assert redis_config.workers is not None and redis_config.workers.limits_url == "redis://127.0.0.1:6379/3"
    amqp = workers_config(tmp_path / "a", "amqp://guest:guest@127.0.0.1:5672//", redeliver_after="30s")
    assert amqp.workers is not None and amqp.workers.limits_url is None
    assert amqp.workers.redelivery == timedelta(seconds=30)


# --- tasks ----------------------------------------------------------------------------------------


def test_a_source_is_sent_once_until_its_task_finishes_or_goes_stale(db) -> None:
    stale = timedelta(minutes=20)
    assert tasks.queue(db, "t1", "a", NOW, stale)
    assert not tasks.queue(db, "t2", "a", NOW + MINUTE, stale)  # still queued: not sent twice
    assert tasks.queue(db, "t3", "b", NOW, stale)  # another source is not held up
    assert tasks.start(db, "t1", "a", "w1@host", NOW + MINUTE)
    assert not tasks.queue(db, "t4", "a", NOW + 2 * MINUTE, stale)  # running: not sent either
    tasks.finish(db, "t1", NOW + 2 * MINUTE, None)
    assert not tasks.start(db, "t1", "a", "w2@host", NOW + 3 * MINUTE)  # redelivered after done: no rerun
    assert tasks.queue(db, "t5", "a", NOW + 3 * MINUTE, stale)
    # b's worker died and the broker gave its task to nobody: after `stale`, b is sent again.
    assert tasks.queue(db, "t6", "b", NOW + 21 * MINUTE, stale)
    counts = tasks.counts(db, NOW + 21 * MINUTE)
    assert (counts.queued, counts.running, counts.done_last_day, counts.failed_last_day) == (2, 0, 1, 1)
    assert tasks.last_workers(db) == {"a": "w1@host"}


def test_a_redelivered_task_counts_its_deliveries_and_records_its_error(db) -> None:
    tasks.queue(db, "t1", "a", NOW, MINUTE)
    assert tasks.start(db, "t1", "a", "w1@host", NOW)
    assert tasks.start(db, "t1", "a", "w2@host", NOW + MINUTE)  # w1 was killed in the middle
    tasks.finish(db, "t1", NOW + MINUTE, "source 'a': fetch failed")
    with db.read() as conn:
        row = conn.first("SELECT state, worker, deliveries, error FROM tasks WHERE id = 't1'")
    assert tuple(row) == ("failed", "w2@host", 2, "source 'a': fetch failed")


def test_finished_tasks_and_silent_workers_are_forgotten_after_two_days_open_tasks_never(db) -> None:
    tasks.queue(db, "old", "a", NOW, MINUTE)
    tasks.start(db, "old", "a", "w1@host", NOW)
    tasks.finish(db, "old", NOW, None)
    tasks.queue(db, "stuck", "b", NOW, MINUTE)  # never finished: kept for the next queue() to judge
    tasks.queue(db, "new", "a", NOW + timedelta(days=2), MINUTE)
    tasks.beat(db, "w1@gone", host="gone", pid=1, concurrency=1, started=NOW, now=NOW)
    later = NOW + timedelta(days=2, minutes=1)
    tasks.beat(db, "w2@here", host="here", pid=2, concurrency=1, started=NOW, now=later)
    assert tasks.prune(db, later) == 1
    with db.read() as conn:
        assert sorted(conn.scalars("SELECT id FROM tasks")) == ["new", "stuck"]
    assert [worker.name for worker in tasks.workers(db)] == ["w2@here"]


# --- shared per-host limits ------------------------------------------------------------------------


def _hammer(limiters: list[SharedHostLimiter], url: str, each: int) -> list[tuple[float, float]]:
    """Threads on separate limiters (separate connections, as separate workers) ask for one host."""
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def work(limiter: SharedHostLimiter) -> None:
        for _ in range(each):
            with limiter.slot(url):
                start = time.monotonic()
                time.sleep(0.03)
                with lock:
                    spans.append((start, time.monotonic()))

    threads = [threading.Thread(target=work, args=(limiter,)) for limiter in limiters for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return sorted(spans)


def _check_limits(spans: list[tuple[float, float]], per_host: int, delay: float) -> None:
    most = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert most <= per_host
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(spans)]
    assert min(gaps) >= delay - 0.01, gaps  # the clock of the limits is Redis's or the database's


@pytest.fixture(params=["redis", "postgresql"])
def make_limiter(request: pytest.FixtureRequest) -> Callable[..., SharedHostLimiter]:
    if request.param == "redis":
        url = redis_url(0)
        made: list[RedisHostLimiter] = []

        def redis_limiter(per_host: int, delay: float, lease: float = 30) -> SharedHostLimiter:
            made.append(RedisHostLimiter(url, per_host, delay, lease=lease))
            return made[-1]

        yield redis_limiter
        for limiter in made:
            limiter.close()
        return
    with postgres_schema(postgres_base_url()) as database:
        store = Store(database, site_host="localhost")
        store.create(NOW)

        def store_limiter(per_host: int, delay: float, lease: float = 30) -> SharedHostLimiter:
            return StoreHostLimiter(Store(database, site_host="localhost").db, per_host, delay, lease=lease)

        yield store_limiter
        store.close()


def test_per_host_limits_hold_across_workers(make_limiter: Callable[..., SharedHostLimiter]) -> None:
    url = f"http://limits-{queue_name()}.example.org/news"
    limiters = [make_limiter(2, 0.05) for _ in range(3)]
    spans = _hammer(limiters, url, each=4)
    assert len(spans) == 24
    _check_limits(spans, per_host=2, delay=0.05)


def test_a_killed_workers_slot_comes_back_when_its_lease_ends(
    make_limiter: Callable[..., SharedHostLimiter],
) -> None:
    url = f"http://lease-{queue_name()}.example.org/news"
    dead = make_limiter(1, 0.0, lease=1.0)
    assert dead._take(url.split("/")[2], "killed-in-a-request", True) == 0  # taken, never given back
    started = time.monotonic()
    with make_limiter(1, 0.0, lease=1.0).slot(url):
        waited = time.monotonic() - started
    assert 0.7 <= waited < 5


def test_a_slot_held_through_a_long_request_is_renewed_past_its_lease(
    make_limiter: Callable[..., SharedHostLimiter],
) -> None:
    url = f"http://long-{queue_name()}.example.org/news"
    holder, other = make_limiter(1, 0.0, lease=1.0), make_limiter(1, 0.0, lease=1.0)
    entered = threading.Event()
    waited: list[float] = []

    def ask() -> None:
        entered.wait(10)
        started = time.monotonic()
        with other.slot(url):
            waited.append(time.monotonic() - started)

    asker = threading.Thread(target=ask)
    asker.start()
    with holder.slot(url):
        entered.set()
        time.sleep(2.5)  # 2.5 leases: only renewals keep the slot
    asker.join(10)
    assert waited and waited[0] >= 2.3


def test_an_unreachable_redis_stops_requests_with_one_line() -> None:
    limiter = RedisHostLimiter("redis://127.0.0.1:1/0", 2, 0.0, lease=5)
    unreachable = r"shared host limits at redis://127.0.0.1:1/0 unreachable"
    with pytest.raises(LimitsUnavailable, match=unreachable), limiter.slot("http://a.example.org/"):
        pass


# --- the scheduler lease ----------------------------------------------------------------------------

HOLDER = """
import sys, time
from newsdesk.election import SchedulerLease
lease = SchedulerLease(sys.argv[1])
print(lease.take(), flush=True)
time.sleep(120)
"""


def test_one_daemon_holds_the_lease_and_a_standby_takes_it_when_the_holder_is_killed(
    any_database: str,
) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, any_database], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        standby = SchedulerLease(any_database)
        assert not standby.take()
        holder.kill()  # kill -9: no chance to let go
        holder.wait(10)
        deadline = time.monotonic() + 10
        while not standby.take():
            assert time.monotonic() < deadline, "the lease of a killed holder was never freed"
            time.sleep(0.2)
        assert standby.take()  # asking again while holding keeps it
        other = SchedulerLease(any_database)
        assert not other.take()
        standby.release()
        assert other.take()
        other.release()
    finally:
        holder.kill()
        holder.wait(10)


# --- status -------------------------------------------------------------------------------------------


def test_status_shows_the_queue_the_tasks_and_each_workers_heartbeat(tmp_path: Path) -> None:
    import io

    queue = queue_name()
    config = workers_config(tmp_path, redis_url(0), queue=queue)
    store = Store(config.database_url, site_host="localhost")
    store.create(NOW)
    now = datetime.now(UTC).replace(microsecond=0)
    tasks.beat(store.db, "w1@alpha", host="alpha", pid=11, concurrency=2, started=now, now=now)
    tasks.beat(store.db, "w2@beta", host="beta", pid=12, concurrency=4, started=now, now=now - MINUTE)
    tasks.queue(store.db, "t1", "a", now, MINUTE)
    tasks.start(store.db, "t1", "a", "w1@alpha", now)
    tasks.finish(store.db, "t1", now, None)
    tasks.queue(store.db, "t2", "a", now, timedelta(0))
    store.close()
    out = io.StringIO()
    assert print_status(config, now + timedelta(seconds=5), out, as_json=False) == 0
    text = out.getvalue()
    assert "WORKER" in text.splitlines()[0]  # which worker refreshed each source
    assert f"queue '{queue}' at {redis_url(0)}: 0 waiting" in text
    assert "tasks: 0 running, 1 queued, 0 failed and 1 done in the last 24 h" in text
    rows = {line.split()[0]: line for line in text.splitlines() if line.startswith("w")}
    assert rows["w1@alpha"].endswith("alive") and "(5 s ago)" in rows["w1@alpha"]
    assert rows["w2@beta"].endswith("gone")
    out = io.StringIO()
    print_status(config, now, out, as_json=True)
    document = json.loads(out.getvalue())
    assert document["sources"][0]["worker"] == "w1@alpha"
    assert document["workers"]["tasks"]["queued"] == 1
    assert [w["state"] for w in document["workers"]["workers"]] == ["alive", "gone"]


def test_status_with_the_broker_down_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = workers_config(tmp_path, "redis://127.0.0.1:1/0")
    assert main(["--config", str(config.path), "status"]) == 0
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line.startswith("queue ")]
    assert line.startswith("queue 'newsdesk' at redis://127.0.0.1:1/0: unreachable: ")
    assert "workers: none has started yet (start newsdesk worker)" in out


def test_the_compose_file_runs_commands_newsdesk_has_on_a_config_it_loads() -> None:
    import yaml

    from newsdesk.cli import build_parser

    from helpers import ROOT

    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"app", "scheduler", "worker", "postgres", "redis"} <= set(services)
    commands = {name: s["command"] for name, s in services.items() if s.get("command", [""])[0] == "newsdesk"}
    assert {command[1] for command in commands.values()} == {"daemon", "worker", "serve"}
    for command in commands.values():
        build_parser().parse_args(command[1:])  # exits on an unknown option
    config = load_config(ROOT / "deploy" / "config.compose.yaml")
    assert config.workers is not None and config.workers.broker == "redis://redis:6379/0"
    assert config.database_url.startswith("postgresql://")


def test_check_says_when_the_broker_does_not_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = workers_config(tmp_path, "redis://127.0.0.1:1/0")
    assert main(["--config", str(config.path), "check"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("config.yaml: OK")
    assert lines[1].startswith("note: workers.broker redis://127.0.0.1:1/0: unreachable: ")
