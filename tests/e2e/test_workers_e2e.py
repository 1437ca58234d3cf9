"""Several machines, played by real processes on one: a scheduler and a standby daemon, Celery workers
(`newsdesk worker`), a real broker, one PostgreSQL store, and sites on loopback addresses that record
every request they answer.

What must hold: every story stored and published once, through a worker's kill -9 in the middle of
refreshes and the scheduler's kill -9; the standby takes scheduling over; the per-host limits hold
across all workers, measured where they matter: at the sites.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsdesk.store import Store

from brokers import amqp_url, queue_name, redis_url
from databases import postgres_base_url, postgres_schema
from helpers import CATEGORIES, HTML_SELECT, card, page

WORDS = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "po", "ri", "sa", "te", "vu", "zo") for b in range(60)]
LABELS = ("Research", "Institute | Training", "Company | Innovation")
STORIES = 3  # cards on each source's page; edition N shows stories N..N+2
# Two slots a host: a worker killed holding one leaves the other (its own comes back in 10 s).
PER_HOST, HOST_DELAY, ANSWER_DELAY = 2, 0.25, 0.1


@dataclass
class Visit:
    host: str
    path: str
    start: float
    end: float = 0.0


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A worker killed in the middle of a request leaves a broken pipe: expected here."""


@dataclass
class Sites:
    """Threaded HTTP servers on 127.0.0.x, one per host, serving `/s/<source>` pages."""

    hosts: list[str]
    edition: int = 0
    visits: list[Visit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    servers: list[QuietServer] = field(default_factory=list)

    def start(self) -> None:
        sites = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                visit = Visit(self.server.server_address[0], self.path, time.monotonic())  # type: ignore[index]
                with sites.lock:
                    sites.visits.append(visit)
                time.sleep(ANSWER_DELAY)
                if self.path == "/robots.txt":
                    body = b"User-agent: *\nAllow: /\n"
                else:
                    body = sites.page(int(self.path.rsplit("/", 1)[1])).encode()
                self.send_response(200)
                self.send_header(
                    "Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8"
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                visit.end = time.monotonic()

            def log_message(self, *_args: object) -> None:
                pass

        for host in self.hosts:
            server = QuietServer((host, 0), Handler)
            self.servers.append(server)
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def url(self, source: int) -> str:
        server = self.servers[source % len(self.servers)]
        return f"http://{server.server_address[0]}:{server.server_address[1]}/s/{source}"

    def page(self, source: int) -> str:
        cards = []
        for number in range(self.edition, self.edition + STORIES):
            title, summary = story(source, number)
            cards.append(
                card(title, f"/s/{source}/story-{number}", label=LABELS[number % 3], summary=summary)
            )
        return page(*cards)

    def expected_links(self, sources: int) -> set[str]:
        return {
            f"{self.url(n)}/story-{number}"
            for n in range(sources)
            for number in range(self.edition + STORIES)
        }


def story(source: int, number: int) -> tuple[str, str]:
    """Words of its own for each story: no two stories of the test look alike (near-duplicates)."""
    words = random.Random(source * 100_003 + number).choices(WORDS, k=40)
    return " ".join(words[:8]).capitalize(), " ".join(words[8:]).capitalize() + "..."


def write_config(folder: Path, sites: Sites, sources: int, database: str, workers: str) -> Path:
    lines = [
        "site:\n  title: Network news\n  url: https://news.example.org/\n  author: Desk\n  language: en\n",
        f'output: feeds\ndatabase: "{database}"\nmax_entries: 2000\n',
        CATEGORIES,
        f"fetch:\n  per_host: {PER_HOST}\n  host_delay: {HOST_DELAY}\n  timeout: 10\n",
        workers,
        "sources:\n",
    ]
    for n in range(sources):
        lines.append(f'  - name: s{n:03d}\n    type: html\n    urls: ["{sites.url(n)}"]\n    every: 30s\n')
        lines.append(textwrap.indent(textwrap.dedent(HTML_SELECT).strip("\n"), "    ") + "\n")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return path


class Processes:
    """newsdesk commands in sessions of their own (kill -9 takes a worker with its pool)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def start(self, name: str, config: Path, *args: str) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        self.running[name] = subprocess.Popen(
            [sys.executable, "-m", "newsdesk", "--config", str(config), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        os.killpg(self.running[name].pid, signal.SIGKILL)
        self.running[name].wait(10)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def tails(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-3000:]}" for name in self.running)


def wait_for(what: str, check: Callable[[], bool], timeout: float, processes: Processes) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s\n{processes.tails()}")
        time.sleep(0.5)


def query(database: str, sql: str) -> list[tuple[object, ...]]:
    store = Store(database, site_host="localhost")
    try:
        with store.db.read() as conn:
            if not conn.has_table("tasks"):  # no process has created the store yet
                return []
            return [tuple(row) for row in conn.rows(sql)]
    finally:
        store.close()


def count(database: str, sql: str) -> int:
    rows = query(database, sql)
    return int(rows[0][0]) if rows else 0  # type: ignore[call-overload]


def published_links(folder: Path) -> list[str]:
    feed = folder / "feeds" / "all.json"
    if not feed.exists():
        return []
    return [item["url"] for item in json.loads(feed.read_text(encoding="utf-8"))["items"]]


def check_limits_at_the_sites(sites: Sites) -> None:
    """At most PER_HOST requests at once to a host, HOST_DELAY between the starts of two page requests;
    and the limits did bind: somewhere requests waited for them."""
    with sites.lock:
        visits = list(sites.visits)
    tightest = []
    for host in sites.hosts:
        mine = sorted((v for v in visits if v.host == host and v.end), key=lambda v: v.start)
        most = max(sum(1 for o in mine if o.start <= v.start < o.end) for v in mine)
        assert most <= PER_HOST, f"{host}: {most} requests at once"
        starts = [v.start for v in mine if v.path != "/robots.txt"]
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert min(gaps) >= HOST_DELAY - 0.05, f"{host}: two page requests {min(gaps):.3f} s apart"
        tightest.append(min(gaps))
    assert min(tightest) < 1.5 * HOST_DELAY, "no request ever waited for its host: the test tested nothing"


def kill_in_a_refresh(processes: Processes, database: str, process: str, worker: str) -> None:
    """kill -9 a worker as soon as the store shows it running a refresh."""

    def busy() -> bool:
        running = f"SELECT 1 FROM tasks WHERE worker LIKE '{worker}@%' AND state = 'running'"
        return bool(query(database, running))

    wait_for(f"{worker} runs a refresh", busy, 60, processes)
    processes.kill(process)


@contextmanager
def network(tmp_path: Path, hosts: int) -> Iterator[tuple[Sites, Processes]]:
    sites = Sites([f"127.0.0.{10 + n}" for n in range(hosts)])
    sites.start()
    processes = Processes(tmp_path)
    try:
        yield sites, processes
    finally:
        processes.stop_all()
        sites.stop()


def test_a_scheduler_a_standby_and_three_workers_on_redis_and_postgresql(tmp_path: Path) -> None:
    sources = 200
    with ExitStack() as stack:
        database = stack.enter_context(postgres_schema(postgres_base_url()))
        sites, processes = stack.enter_context(network(tmp_path, hosts=8))
        workers = f"workers:\n  broker: {redis_url(1)}\n  queue: {queue_name()}\n  redeliver_after: 4s\n"
        main = write_config(tmp_path / "main", sites, sources, database, workers)
        standby = write_config(tmp_path / "standby", sites, sources, database, workers)
        for n in (1, 2, 3):
            processes.start(f"worker{n}", main, "worker", "--concurrency", "2", "--name", f"w{n}")
        processes.start("scheduler", main, "daemon")
        wait_for(
            "the scheduler schedules", lambda: "now schedules" in processes.log("scheduler"), 60, processes
        )
        processes.start("standby", standby, "daemon")

        # kill -9 worker 1 while it runs a refresh: its task must be delivered again and stored once.
        kill_in_a_refresh(processes, database, "worker1", "w1")
        refreshed = "SELECT count(*) FROM sources WHERE last_success IS NOT NULL"
        assert count(database, refreshed) < sources // 2  # the round has just begun

        # kill -9 the scheduler in the middle of the round: the standby takes over and sends the rest.
        processes.kill("scheduler")
        killed = time.monotonic()
        (last_sent,) = query(database, "SELECT max(queued) FROM tasks")[0]
        wait_for("the standby schedules", lambda: "now schedules" in processes.log("standby"), 60, processes)
        takeover = time.monotonic() - killed
        wait_for("every source refreshed", lambda: count(database, refreshed) == sources, 120, processes)
        expected = sites.expected_links(sources)
        wait_for(
            "every story published by the standby",
            lambda: len(published_links(tmp_path / "standby")) >= len(expected),
            60,
            processes,
        )
        links = published_links(tmp_path / "standby")
        assert sorted(links) == sorted(expected)  # every story once: none lost, none twice
        assert count(database, "SELECT count(*) FROM items") == len(expected)
        assert takeover < 60
        assert count(database, "SELECT count(*) FROM tasks WHERE deliveries > 1") >= 1, "w1's task was lost"
        # What the standby sent after the takeover, the two living workers ran.
        after = query(
            database, f"SELECT DISTINCT worker FROM tasks WHERE queued > '{last_sent}' AND state = 'ok'"
        )
        assert {str(row[0]).split("@")[0] for row in after} == {"w2", "w3"}
        check_limits_at_the_sites(sites)
        status = subprocess.run(
            [sys.executable, "-m", "newsdesk", "--config", str(standby), "status"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert "scheduler: " in status and "tasks: " in status and "alive" in status


def test_rabbitmq_redelivers_a_killed_workers_task_at_once(tmp_path: Path) -> None:
    sources = 24
    with ExitStack() as stack:
        database = stack.enter_context(postgres_schema(postgres_base_url()))
        sites, processes = stack.enter_context(network(tmp_path, hosts=4))
        workers = f"workers:\n  broker: {amqp_url()}\n  queue: {queue_name()}\n"
        config = write_config(tmp_path / "main", sites, sources, database, workers)
        processes.start("worker1", config, "worker", "--concurrency", "2", "--name", "w1")
        processes.start("worker2", config, "worker", "--concurrency", "2", "--name", "w2")
        processes.start("scheduler", config, "daemon")
        kill_in_a_refresh(processes, database, "worker1", "w1")
        expected = sites.expected_links(sources)
        wait_for(
            "every story published",
            lambda: len(published_links(tmp_path / "main")) >= len(expected),
            90,
            processes,
        )
        assert sorted(published_links(tmp_path / "main")) == sorted(expected)
        assert count(database, "SELECT count(*) FROM tasks WHERE deliveries > 1") >= 1
        check_limits_at_the_sites(sites)  # here the limits live in the store: RabbitMQ holds none
