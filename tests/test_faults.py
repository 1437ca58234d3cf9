"""Nothing lost: kill -9 at random moments, a read-only output folder, a full disk.

The kill loop runs NEWSDESK_KILLS times (10 in `make test`, 60 in `make soak`).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree

from hostile import HostileServer

from helpers import html_source, write_config

NEWSDESK = str(Path(sys.executable).parent / "newsdesk")
KILLS = int(os.environ.get("NEWSDESK_KILLS", "10"))
SOURCES = 12


def outputs_are_whole(folder: Path) -> None:
    """Every published file parses completely: no half-written feed is ever visible."""
    for path in folder.rglob("*"):
        if path.name.startswith("."):
            continue  # a temporary file being written, never served (dot-files are refused)
        if path.suffix in (".atom", ".rss", ".opml", ".xsl"):
            etree.parse(str(path))
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))


def database_is_sound(database: Path) -> int:
    if not database.exists():
        return 0
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])


@pytest.fixture
def project(tmp_path: Path):
    with HostileServer() as server:
        sources = "".join(html_source(f"s{n}", [server.url(f"/ok/{n}")], every="5s") for n in range(SOURCES))
        config = write_config(
            tmp_path, sources, extra="max_entries: 500\nfetch:\n  host_delay: 0\n  workers: 4\n"
        )
        yield tmp_path, config


@pytest.mark.parametrize("command", ["run", "daemon"])
def test_kill_9_at_random_moments_loses_nothing(project, command: str) -> None:
    folder, config = project
    database = folder / "state" / "newsdesk.db"
    generator = random.Random(42)
    stored = 0
    for _ in range(KILLS if command == "run" else max(3, KILLS // 3)):
        process = subprocess.Popen(
            [NEWSDESK, command, "-q", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(generator.uniform(0.05, 1.5 if command == "run" else 3.0))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        outputs_are_whole(folder / "feeds")
        count = database_is_sound(database)
        assert count >= stored  # a kill never takes back what was committed
        stored = count
    final = subprocess.run(
        [NEWSDESK, "run", "-q", "--config", str(config)], capture_output=True, text=True, timeout=120
    )
    assert final.returncode == 0, final.stderr
    assert database_is_sound(database) == 3 * SOURCES
    outputs_are_whole(folder / "feeds")
    entries = json.loads((folder / "feeds" / "all.json").read_text())["items"]
    assert len(entries) == 3 * SOURCES


def test_read_only_output_folder_is_reported_and_files_stay(project) -> None:
    folder, config = project
    assert subprocess.run([NEWSDESK, "run", "-q", "--config", str(config)], timeout=120).returncode == 0
    feeds = folder / "feeds"
    before = {p: p.read_bytes() for p in feeds.rglob("*") if p.is_file()}
    with sqlite3.connect(folder / "state" / "newsdesk.db") as conn:  # the news changed: feeds to rewrite
        conn.execute("UPDATE items SET title = title || ' (edited)'")
    mounted = False
    if os.geteuid() == 0:  # root writes anywhere: make the folder a read-only bind mount of itself
        subprocess.run(["mount", "--bind", str(feeds), str(feeds)], check=True)
        mounted = True
        subprocess.run(["mount", "-o", "remount,bind,ro", str(feeds)], check=True)
    else:
        for path in [feeds, *feeds.rglob("*")]:
            if path.is_dir():
                path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = subprocess.run(
            [NEWSDESK, "run", "--config", str(config)], capture_output=True, text=True, timeout=120
        )
    finally:
        if mounted:
            subprocess.run(["umount", str(feeds)], check=True)
    # Found before anything is fetched: one line naming file, line and key; publish-time write
    # failures are the full-disk test below.
    assert result.returncode == 2
    expected = f"config.yaml:7 output: cannot write in {feeds} (permission denied)"
    assert result.stderr.strip().splitlines() == [expected]
    after = {p: p.read_bytes() for p in feeds.rglob("*") if p.is_file()}
    assert after == before  # previous files intact


def test_full_disk_during_publish_keeps_the_previous_files(project) -> None:
    folder, config = project
    assert subprocess.run([NEWSDESK, "run", "-q", "--config", str(config)], timeout=120).returncode == 0
    feeds = folder / "feeds"
    before = {p: p.read_bytes() for p in feeds.rglob("*") if p.is_file()}
    for path in feeds.rglob("*.*"):
        if path.is_file():
            path.unlink()  # every file must be rewritten: the disk fills up on the way
    (feeds / "all.atom").write_bytes(before[feeds / "all.atom"])
    # The store is opened first; then no file may grow past 2 KB (RLIMIT_FSIZE: the kernel answers
    # EFBIG, as a full disk answers ENOSPC) while every feed is rewritten.
    script = (
        "import resource\nfrom newsdesk.config import load_config\n"
        "from newsdesk.pipeline import open_store, utc_now\nfrom newsdesk.publish import publish\n"
        f"config = load_config({str(config)!r})\nstore = open_store(config, utc_now())\n"
        "store.created()\nresource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))\n"
        "report = publish(config, store)\nprint(len(report.errors))\n"
        "print(report.errors[0] if report.errors else '')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    errors, first = result.stdout.splitlines()[:2]
    assert int(errors) > 0 and "cannot write" in first
    assert (feeds / "all.atom").read_bytes() == before[feeds / "all.atom"]  # the old file stayed whole
    outputs_are_whole(feeds)
    assert not list(feeds.rglob(".*.tmp"))  # no temporary file left behind
