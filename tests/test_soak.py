"""The daemon fed many sources, a third of them hostile: it stays up, memory stays bounded, every
healthy source is published and every hostile one shows in `status`.

`make test` runs a short version; `make soak` runs 100 sources for 10 minutes
(NEWSDESK_SOAK_SOURCES, NEWSDESK_SOAK_SECONDS).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hostile import HostileServer

from helpers import html_source, write_config

NEWSDESK = str(Path(sys.executable).parent / "newsdesk")
SOURCES = int(os.environ.get("NEWSDESK_SOAK_SOURCES", "24"))
SECONDS = float(os.environ.get("NEWSDESK_SOAK_SECONDS", "15"))
FAILING = ["drip", "hang", "endless", "gzip-bomb", "error/500", "error/503", "loop", "to-file", "huge"]
FAILING_FEEDS = ["laughs", "truncated", "html-as-feed", "quadratic"]
PEAK_LIMIT_KB = 400 * 1024


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def test_daemon_survives_a_hostile_crowd(tmp_path: Path) -> None:
    with HostileServer() as server:
        sources, healthy, hostile = "", [], []
        for n in range(SOURCES):
            if n % 3 == 2:
                kinds = FAILING + FAILING_FEEDS
                kind = kinds[(n // 3) % len(kinds)]
                if kind in FAILING_FEEDS:
                    sources += f"- name: bad{n}\n  type: feed\n  url: {server.url('/' + kind)}\n  every: 5s\n"
                else:
                    sources += html_source(f"bad{n}", [server.url(f"/{kind}?{n}")], every="5s")
                hostile.append(f"bad{n}")
            else:
                sources += html_source(f"ok{n}", [server.url(f"/ok/{n}")], every="5s")
                healthy.append(n)
        config = write_config(
            tmp_path,
            sources,
            extra="max_entries: 5000\nfetch:\n  timeout: 2\n  max_bytes: 5000000\n  host_delay: 0\n"
            "  per_host: 16\n  workers: 8\n",
        )
        log = (tmp_path / "daemon.log").open("w")
        daemon = subprocess.Popen(
            [NEWSDESK, "daemon", "--config", str(config), "--log-format", "json"], stderr=log
        )
        try:
            deadline = time.monotonic() + SECONDS
            peak = 0
            while time.monotonic() < deadline:
                assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-2000:]
                peak = max(peak, memory_kb(daemon.pid, "VmRSS"))
                time.sleep(0.5)
            peak = max(peak, memory_kb(daemon.pid, "VmHWM"))
            status = subprocess.run(
                [NEWSDESK, "status", "--json", "--config", str(config)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=30) == 0
        finally:
            if daemon.poll() is None:
                daemon.kill()
            log.close()
    print(f"\nsoak: {SOURCES} sources for {SECONDS:.0f}s, peak memory {peak / 1024:.0f} MB")
    assert peak < PEAK_LIMIT_KB
    rows = {row["name"]: row for row in json.loads(status.stdout)}
    assert all(rows[name]["failures"] > 0 and rows[name]["state"] != "ok" for name in hostile), {
        name: rows[name]["state"] for name in hostile
    }
    assert all(rows[f"ok{n}"]["state"] == "ok" for n in healthy)
    titles = {item["title"] for item in json.loads((tmp_path / "feeds" / "all.json").read_text())["items"]}
    assert {f"Story {n}-{k}" for n in healthy for k in range(3)} <= titles
