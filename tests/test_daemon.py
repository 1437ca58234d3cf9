"""The daemon as a maintainer runs it: schedules from the stored state, one per database, clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from newsdesk.config import load_config
from newsdesk.daemon import Daemon
from newsdesk.lock import AlreadyRunning, InstanceLock, lock_path
from newsdesk.pipeline import run, utc_now

from helpers import card, html_source, page, write_config

NEWSDESK = str(Path(sys.executable).parent / "newsdesk")


def test_restart_waits_for_the_rest_of_each_interval(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/ok").respond_with_data(page(card("A", "/a")), content_type="text/html")
    httpserver.expect_request("/down").respond_with_data("no", status=500)
    sources = (
        html_source("fresh", [httpserver.url_for("/ok")], every="30m")
        + f"- name: failing\n  type: feed\n  url: {httpserver.url_for('/down')}\n  every: 30m\n"
    )
    config = load_config(write_config(tmp_path, sources))
    run(config, now=utc_now)
    refreshed_at = utc_now()
    config = load_config(write_config(tmp_path, sources + html_source("new", [httpserver.url_for("/ok")])))
    daemon = Daemon(config)
    daemon.schedule()  # plan the jobs without letting them run
    try:
        jobs = {job.name: job.next_run_time for job in daemon.scheduler.get_jobs()}
    finally:
        daemon.shutdown()
    assert abs(jobs["fresh"] - (refreshed_at + timedelta(minutes=30))) < timedelta(seconds=5)
    assert abs(jobs["failing"] - (refreshed_at + timedelta(hours=1))) < timedelta(seconds=5)  # backoff
    assert jobs["new"] - refreshed_at < timedelta(seconds=5)  # never refreshed: right away
    assert len([r for r, _ in httpserver.log if r.path == "/ok"]) == 1


def test_second_daemon_on_the_same_database_is_refused(tmp_path: Path) -> None:
    config_file = write_config(tmp_path, "- name: f\n  type: items\n  url: items.yaml\n")
    (tmp_path / "items.yaml").write_text("- {title: One, link: 'https://e.example/1'}\n")
    config = load_config(config_file)
    holder = InstanceLock(lock_path(config))
    holder.acquire()
    try:
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
            InstanceLock(lock_path(config)).acquire()
        result = subprocess.run(
            [NEWSDESK, "daemon", "--config", str(config_file)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2
        assert result.stderr.strip().splitlines()[-1] == (
            f"newsdesk: another newsdesk daemon is running (pid {os.getpid()}, lock {lock_path(config)})"
        )
    finally:
        holder.release()
    InstanceLock(lock_path(config)).acquire()  # released: the next daemon may start


def test_lock_of_a_dead_daemon_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "db.lock"
    path.write_text("999999 2026-01-01T00:00:00+00:00\n")  # left behind by a crash
    lock = InstanceLock(path)
    lock.acquire()
    assert path.read_text().split()[0] == str(os.getpid())
    lock.release()


def test_sigterm_lets_the_refresh_finish_publishes_and_exits_0(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    def slow(request: Request) -> Response:
        time.sleep(2)
        return Response(page(card("Slow story", "/slow-story")), content_type="text/html")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    config_file = write_config(tmp_path, html_source("slow", [httpserver.url_for("/slow")], every="1h"))
    log_file = tmp_path / "daemon.log"
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [NEWSDESK, "daemon", "--config", str(config_file), "--log-format", "json"],
            stdout=log,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 30
        while not any(r.path == "/slow" for r, _ in httpserver.log) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(r.path == "/slow" for r, _ in httpserver.log), log_file.read_text()
        status = subprocess.run(
            [NEWSDESK, "status", "--json", "--config", str(config_file)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert status.returncode == 0 and json.loads(status.stdout)[0]["name"] == "slow"
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)  # while the refresh is in flight
        assert process.wait(timeout=30) == 0
        assert time.monotonic() - stopped_at < 30
    finally:
        if process.poll() is None:
            process.kill()
    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.startswith("{")]
    (refresh,) = [line for line in lines if line.get("event") == "refresh"]
    assert refresh["source"] == "slow" and refresh["new"] == 1 and refresh["error"] is None
    assert {"pages", "not_modified", "updated", "unchanged", "duration"} <= set(refresh)
    assert lines[-1]["message"] == "daemon stopped"
    feed = feedparser.parse((tmp_path / "feeds" / "all.atom").read_bytes())
    assert [entry.title for entry in feed.entries] == ["Slow story"]
    InstanceLock(lock_path(load_config(config_file))).acquire()  # the lock was released


def test_publish_requests_are_debounced_into_one_publish(tmp_path: Path, caplog) -> None:
    config = load_config(
        write_config(
            tmp_path, "- name: paused\n  type: feed\n  url: https://e.example/f.xml\n  enabled: false\n"
        )
    )
    caplog.set_level("INFO", logger="newsdesk")
    daemon = Daemon(config)
    daemon.schedule()  # publishes once at start (logged or not, as an earlier test left the log level)
    daemon.scheduler.start()
    caplog.clear()
    try:
        for categories in ({"research"}, {"press"}, {"research", "company/innovation"}):
            daemon.request_publish(categories)
        assert [job.id for job in daemon.scheduler.get_jobs()] == ["publish"]
        assert daemon._pending == {"research", "press", "company/innovation"}
        deadline = time.monotonic() + 10
        while daemon._pending and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        daemon.shutdown()
    publishes = [r for r in caplog.records if getattr(r, "fields", {}).get("event") == "publish"]
    assert len(publishes) == 1


def test_daemon_serve_runs_scheduler_and_server_in_one_process(tmp_path: Path) -> None:
    import requests

    (tmp_path / "items.yaml").write_text("- {title: One, link: 'https://e.example/1', category: Research}\n")
    config = load_config(write_config(tmp_path, "- name: hand\n  type: items\n  url: items.yaml\n"))
    daemon = Daemon(config, serve_at=("127.0.0.1", 0))
    daemon.start()
    try:
        base = f"http://127.0.0.1:{daemon.server.port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            feed = requests.get(base + "/research.atom", timeout=5)
            if feed.status_code == 200 and b"<entry>" in feed.content:
                break
            time.sleep(0.2)
        assert feed.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        assert b"<title>One</title>" in feed.content
        assert requests.get(base + "/healthz", timeout=5).json()["status"] == "ok"
    finally:
        assert daemon.shutdown() == 0


def test_daemon_serve_stops_quietly_while_readers_keep_asking(tmp_path: Path, caplog) -> None:
    import logging
    import threading

    import requests

    (tmp_path / "items.yaml").write_text("- {title: One, link: 'https://e.example/1', category: Research}\n")
    config = load_config(write_config(tmp_path, "- name: hand\n  type: items\n  url: items.yaml\n"))
    caplog.set_level(logging.INFO)
    for _ in range(3):
        daemon = Daemon(config, serve_at=("127.0.0.1", 0))
        daemon.start()
        url = f"http://127.0.0.1:{daemon.server.port}/all.atom"
        done = threading.Event()

        def read(url: str = url, done: threading.Event = done) -> None:
            with requests.Session() as session:
                while not done.is_set():
                    try:
                        session.get(url, timeout=2)
                    except requests.RequestException:
                        time.sleep(0.01)

        readers = [threading.Thread(target=read) for _ in range(6)]
        for reader in readers:
            reader.start()
        time.sleep(0.3)
        started = time.monotonic()
        assert daemon.shutdown() == 0
        assert time.monotonic() - started < 5
        done.set()
        for reader in readers:
            reader.join(5)
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not problems, [(r.name, r.getMessage()) for r in problems]
