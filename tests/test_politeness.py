"""Politeness: host limits over real sockets on several loopback hosts, Retry-After, backoff."""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from newsdesk.fetch.http import parse_retry_after
from newsdesk.fetch.politeness import HostLimiter, backoff_delay
from newsdesk.pipeline import run

from helpers import card, html_source, page

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class Tracker:
    """Counts requests in flight per host, and the highest count seen."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self.starts: dict[str, list[float]] = defaultdict(list)
        self.robots: dict[str, list[float]] = defaultdict(list)
        self.peak_total = 0


def make_server(host: str, tracker: Tracker, delay: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                with tracker.lock:
                    tracker.robots[host].append(time.monotonic())
                self.send_response(404)
                self.end_headers()
                return
            with tracker.lock:
                tracker.current[host] += 1
                tracker.peak[host] = max(tracker.peak[host], tracker.current[host])
                tracker.peak_total = max(tracker.peak_total, sum(tracker.current.values()))
                tracker.starts[host].append(time.monotonic())
            time.sleep(delay)
            body = page(card(f"Story {self.path}", f"/story{self.path}"), carousel=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with tracker.lock:
                tracker.current[host] -= 1

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def three_hosts() -> Iterator[tuple[Tracker, list[ThreadingHTTPServer]]]:
    tracker = Tracker()
    servers = [make_server(f"127.0.0.{n}", tracker, 0.15) for n in (2, 3, 4)]
    yield tracker, servers
    for server in servers:
        server.shutdown()
        server.server_close()


def test_per_host_concurrency_is_never_exceeded(three_hosts, make_config, clock) -> None:
    tracker, servers = three_hosts
    sources = ""
    for n in range(12):
        host, port = servers[n % 3].server_address[:2]
        sources += html_source(f"s{n}", [f"http://{host}:{port}/{n}"])
    config = make_config(sources, extra="fetch:\n  workers: 8\n  per_host: 2\n  host_delay: 0\n")
    report = run(config, now=clock)
    assert not report.failed
    assert max(tracker.peak.values()) <= 2
    assert all(peak == 2 for peak in tracker.peak.values())  # the limit is used, not just respected
    assert tracker.peak_total > 2  # hosts are fetched in parallel


def test_host_delay_spaces_requests_to_one_host(three_hosts, make_config, clock) -> None:
    tracker, servers = three_hosts
    host, port = servers[0].server_address[:2]
    sources = "".join(html_source(f"s{n}", [f"http://{host}:{port}/{n}"]) for n in range(4))
    config = make_config(sources, extra="fetch:\n  workers: 4\n  per_host: 4\n  host_delay: 0.2\n")
    run(config, now=clock)
    starts = sorted(tracker.starts[host])
    assert len(starts) == 4
    assert all(b - a >= 0.18 for a, b in itertools.pairwise(starts))


def test_pages_of_one_source_on_several_hosts_are_read_at_once(three_hosts, make_config, clock) -> None:
    """One source, two pages on each of three hosts: the hosts proceed together, each host's pages
    keep the delay between them, and robots.txt does not hold back a host's first page."""
    tracker, servers = three_hosts
    urls = [
        f"http://{host}:{port}/{n}"
        for n in range(2)
        for host, port in (server.server_address[:2] for server in servers)
    ]
    config = make_config(html_source("pages", urls), extra="fetch:\n  workers: 8\n  host_delay: 0.5\n")
    started = time.monotonic()
    report = run(config, now=clock)
    elapsed = time.monotonic() - started
    assert not report.failed and report.refreshes[0].pages == 6
    assert tracker.peak_total == 3  # one page per host at a time, the three hosts at once
    for host, starts in tracker.starts.items():
        first, second = sorted(starts)
        assert second - first >= 0.48  # the delay between two pages of one host holds
        assert first - tracker.robots[host][0] < 0.3  # robots.txt does not cost the first page a delay
    assert elapsed < 2 * 0.15 + 0.5 + 1.0  # in series it would take at least 6 x 0.15 + 3 x 0.5


def test_limiter_with_an_injected_clock_never_sleeps_for_real() -> None:
    slept: list[float] = []
    moments = iter([0.0, 0.0, 0.0])
    limiter = HostLimiter(1, 5.0, clock=lambda: next(moments), sleep=slept.append)
    for _ in range(3):
        with limiter.slot("https://a.example/x"):
            pass
    assert slept == [5.0, 10.0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", NOW + timedelta(seconds=120)),
        ("0", NOW),
        ("Sun, 29 Nov 2026 13:00:00 GMT", datetime(2026, 11, 29, 13, 0, tzinfo=UTC)),
        ("Sun, 29 Nov 2026 11:00:00 GMT", NOW),  # a date in the past means now
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_seconds_or_http_date(value: str | None, expected: datetime | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_backoff_doubles_per_failure_and_is_capped_at_a_day() -> None:
    interval = timedelta(minutes=30)
    assert backoff_delay(interval, 0) == interval
    assert [backoff_delay(interval, n) for n in (1, 2, 3)] == [
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
    ]
    assert backoff_delay(interval, 10) == timedelta(hours=24)
    assert backoff_delay(interval, 500) == timedelta(hours=24)
    assert backoff_delay(timedelta(days=2), 3) == timedelta(days=2)
