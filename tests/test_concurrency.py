"""Many writers, one store, on SQLite and on PostgreSQL: the workers and the order in which sources finish
change no byte; four runs at once, a daemon beside a run and two daemons on one store give the stories,
merges and translation links of a serial run; kill -9 inside a write transaction loses nothing committed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import feedparser
import pytest
import sqlalchemy as sa

from example_site import example_config, published_files, serve_example
from newsdesk.config import load_config
from newsdesk.pipeline import run
from newsdesk.store.engine import with_driver

from databases import BACKENDS, database_for
from helpers import Clock

NEWSDESK = str(Path(sys.executable).parent / "newsdesk")
PAGES = {  # the example's sources and the paths of their pages
    "hand-written": ["/news/extra.yaml"],
    "press": ["/press.rss"],
    "site-en": ["/en/index.html", "/en/study.html"],
    "site-fr": ["/fr/index.html"],
}


@dataclass(frozen=True)
class Stories:
    """What a store holds, as a reader would compare two: published links, merged pairs, translations."""

    published: tuple[str, ...]
    merged: frozenset[frozenset[str]]
    translations: frozenset[frozenset[str]]
    rows: int


def stories(url: str) -> Stories:
    engine = sa.create_engine(with_driver(url))
    try:
        with engine.connect() as conn:
            links = dict(conn.execute(sa.text("SELECT id, coalesce(url, entry_id) FROM items")).all())
            published = sorted(
                conn.execute(sa.text("SELECT coalesce(url, entry_id) FROM items WHERE duplicate_of IS NULL"))
                .scalars()
                .all()
            )
            merged = frozenset(
                frozenset((links[a], links[b]))
                for a, b in conn.execute(sa.text("SELECT kept_id, merged_id FROM merges"))
            )
            translations = frozenset(
                frozenset((links[a], links[b]))
                for a, b in conn.execute(sa.text("SELECT item_id, other_id FROM alternates"))
            )
    finally:
        engine.dispose()
    return Stories(tuple(published), merged, translations, len(links))


def delays_finishing_in(order: list[str], step: float = 0.15) -> dict[str, float]:
    """Page delays that make the sources finish in `order` (first name, first done)."""
    return {path: rank * step for rank, name in enumerate(order) for path in PAGES[name]}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def site() -> Iterator[tuple[str, dict[str, float]]]:
    with serve_example() as served:
        yield served


@pytest.fixture
def serial(backend: str, site: tuple[str, dict[str, float]], tmp_path: Path) -> Stories:
    """The reference: one process, one worker."""
    with database_for(backend, tmp_path / "serial") as url:
        run(load_config(example_config(tmp_path / "serial", url, base=site[0], workers=1)))
        return stories(url)


def test_workers_and_finishing_order_change_no_byte(backend: str, site, tmp_path: Path) -> None:
    base, delays = site
    names = sorted(PAGES)
    runs = [
        ("one worker", 1, [], None),
        ("8 workers, stored last finishes first", 8, names[::-1], None),
        ("8 workers, mixed finish", 8, ["press", "site-fr", "hand-written", "site-en"], None),
        ("8 workers, sources listed backwards", 8, names, lambda sources: sources[::-1]),
    ]
    outputs = {}
    found = {}
    with ExitStack() as stack:
        for label, workers, finish, order in runs:
            folder = tmp_path / str(len(outputs))
            url = stack.enter_context(database_for(backend, folder))
            delays.clear()
            delays.update(delays_finishing_in(finish))
            config = load_config(example_config(folder, url, base=base, workers=workers, order=order))
            report = run(config, now=Clock())
            assert not report.failed, report.failed
            outputs[label] = published_files(config.output_dir)
            found[label] = stories(url)
            assert found[label].translations  # the example has stories in two languages
    first = outputs["one worker"]
    assert len(first) > 30
    for label, files in outputs.items():
        if label == "8 workers, sources listed backwards":
            continue
        assert files == first, f"{label}: {[name for name in first if files.get(name) != first[name]]}"
    # The list's order is the user's word on how stories seen together rank: listed backwards, the same
    # stories, merges and links, the same entries to the byte; only entries tied on their date swap.
    backwards = "8 workers, sources listed backwards"
    assert found[backwards] == found["one worker"]
    assert outputs[backwards].keys() == first.keys()
    for name in (name for name in first if name.endswith(".atom")):
        before, after = atom_entries(first[name]), atom_entries(outputs[backwards][name])
        assert sorted(before) == sorted(after), name
        assert [published for published, _ in before] == [published for published, _ in after], name


def atom_entries(document: bytes) -> list[tuple[str, bytes]]:
    """Each entry as (published, its bytes), in the feed's order."""
    from lxml import etree

    atom = "{http://www.w3.org/2005/Atom}"
    return [
        (entry.findtext(f"{atom}published") or "", etree.tostring(entry, with_tail=False))
        for entry in etree.fromstring(document).iter(f"{atom}entry")
    ]


def newsdesk(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [NEWSDESK, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def finished(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err


def test_four_runs_at_once(backend: str, site, serial: Stories, tmp_path: Path) -> None:
    base, delays = site
    delays.update(delays_finishing_in(["site-fr", "press", "hand-written", "site-en"], step=0.05))
    with database_for(backend, tmp_path / "shared") as url:
        config = example_config(tmp_path / "shared", url, base=base)
        processes = [newsdesk("run", "-q", "--config", str(config)) for _ in range(4)]
        results = [finished(process) for process in processes]
        assert [code for code, _ in results] == [0, 0, 0, 0], results
        assert stories(url) == serial


def wait_for(condition, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def refreshed(url: str, times: int = 1) -> bool:
    """Every source refreshed successfully at least `times` times."""
    engine = sa.create_engine(with_driver(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT attempts, last_success FROM sources")).all()
    except sa.exc.DBAPIError:
        return False  # not created yet
    finally:
        engine.dispose()
    return len(rows) == len(PAGES) and all(row.last_success and row.attempts >= times for row in rows)


def stop(daemon: subprocess.Popen[str]) -> tuple[int, str]:
    daemon.send_signal(signal.SIGTERM)
    return finished(daemon, timeout=40)


@contextmanager
def daemon_after_first_refreshes(url: str, config: Path) -> Iterator[list[tuple[int, str]]]:
    """A daemon on `config`, once every source was refreshed; SIGTERM at the end, its exit appended."""
    exits: list[tuple[int, str]] = []
    daemon = newsdesk("daemon", "--config", str(config))
    try:
        wait_for(lambda: refreshed(url), what="the daemon's first refreshes")
        yield exits
    finally:
        exits.append(stop(daemon))


def test_a_daemon_and_a_run_beside_it(backend: str, site, serial: Stories, tmp_path: Path) -> None:
    base, _ = site
    with database_for(backend, tmp_path / "shared") as url:
        config = example_config(tmp_path / "shared", url, base=base, every="1s")
        with daemon_after_first_refreshes(url, config) as exits:
            runs = [finished(newsdesk("run", "-q", "--config", str(config))) for _ in range(2)]
            wait_for(lambda: refreshed(url, times=4), what="more refreshes by the daemon")
        ((code, err),) = exits
        assert code == 0, err
        assert "Traceback" not in err
        assert [code for code, _ in runs] == [0, 0], runs
        assert stories(url) == serial


def test_two_daemons_with_their_own_output_share_one_store(
    backend: str, site, serial: Stories, tmp_path
) -> None:
    base, _ = site
    with database_for(backend, tmp_path / "shared") as url:
        configs = [
            example_config(tmp_path / name, url, base=base, every="1s", output="feeds") for name in ("a", "b")
        ]
        daemons = [newsdesk("daemon", "--config", str(config)) for config in configs]
        try:
            wait_for(lambda: refreshed(url, times=6), what="both daemons' refreshes")
        finally:
            results = [stop(daemon) for daemon in daemons]
        assert [code for code, _ in results] == [0, 0], results
        assert stories(url) == serial
        # Each daemon's folder shows every story, including those the other one stored.
        for name in "ab":
            feed = feedparser.parse((tmp_path / name / "feeds" / "all.atom").read_bytes())
            assert sorted(entry.link for entry in feed.entries) == sorted(serial.published)


HOLD_A_WRITE = """
import sys, time
from datetime import UTC, datetime
from newsdesk.dedup.identity import new_record
from newsdesk.models import Item
from newsdesk.store import Store
from newsdesk.store import items as rows
store = Store(sys.argv[1], site_host="news.example.org")
now = datetime.now(UTC)
item = Item("kill", "https://www.example.org/never-committed", "Never committed", "", "", ("research",),
            now, None, "en")
with store.db.write() as conn:
    rows.save(conn, new_record(item, now=now, site_host="news.example.org"))
    print("inside", flush=True)
    time.sleep(120)
"""


def test_kill_9_inside_a_write_transaction_loses_nothing_committed(
    backend: str, site, tmp_path: Path
) -> None:
    base, _ = site
    with database_for(backend, tmp_path / "shared") as url:
        config = load_config(example_config(tmp_path / "shared", url, base=base))
        run(config)
        committed = stories(url)
        writer = subprocess.Popen(
            [sys.executable, "-c", HOLD_A_WRITE, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "inside", writer.stderr
            os.kill(writer.pid, signal.SIGKILL)
        finally:
            writer.wait(timeout=30)
        started = time.monotonic()
        report = run(config)  # the lock is free again: the dead writer's transaction is gone
        assert time.monotonic() - started < 30
        assert not report.failed
        after = stories(url)
        assert after == committed
        assert "https://www.example.org/never-committed" not in after.published
        if backend == "sqlite":
            database = sa.make_url(url).database
            with sqlite3.connect(str(database)) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_json_status_reads_while_a_daemon_writes(backend: str, site, tmp_path: Path) -> None:
    base, _ = site
    with database_for(backend, tmp_path / "shared") as url:
        config = example_config(tmp_path / "shared", url, base=base, every="1s")
        with daemon_after_first_refreshes(url, config) as exits:
            status = subprocess.run(
                [NEWSDESK, "status", "--json", "--config", str(config)],
                capture_output=True,
                text=True,
                check=False,
            )
        ((code, err),) = exits
        assert code == 0, err
        assert status.returncode == 0, status.stderr
        assert {row["name"] for row in json.loads(status.stdout)} == set(PAGES)
