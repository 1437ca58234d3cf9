"""Serving the published folder (scenario 6): `newsdesk serve` beside nginx (Debian nginx-light), same files.

Load comes from wrk on loopback (one thread, 16 connections, keep-alive). A 304 run sends the
If-None-Match each server gave. nginx runs with one worker; newsdesk serve with its defaults.
Rows say "skipped" when nginx or wrk is not installed (apt install nginx-light wrk).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common import NOW, Row, bench_config, free_port
from history import CATEGORIES, history_db

from newsdesk.publish import publish
from newsdesk.store.opening import open_store

FEED = "/all.atom"
NGINX_CONF = """
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    types {{ application/atom+xml atom; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        etag on;
    }}
}}
"""


def _wait_for(url: str) -> str:
    """Wait until the server answers; return the ETag it gives the feed."""
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                answer.read()
                return str(answer.headers["ETag"])
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _status_with(url: str, etag: str) -> int:
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@contextmanager
def _process(command: list[str], **kwargs: object) -> Iterator[None]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    try:
        yield
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def newsdesk_server(config_path: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "newsdesk", "serve", "--config", str(config_path), "--port", str(port)]
    with _process(command):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def nginx_server(root: Path, prefix: Path) -> Iterator[str]:
    port = free_port()
    conf = prefix / "nginx.conf"
    text = NGINX_CONF.format(prefix=prefix, port=port, root=root)
    if os.geteuid() == 0:
        text = "user root;\n" + text  # as root nginx's workers would otherwise drop to nobody
    conf.write_text(text)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    with _process([nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"]):
        yield f"http://127.0.0.1:{port}"


def _wrk(url: str, seconds: float, etag: str | None) -> float:
    command = ["wrk", "-t1", "-c16", f"-d{seconds:g}s", "--latency"]
    if etag:
        command += ["-H", f"If-None-Match: {etag}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not found:
        raise RuntimeError(f"wrk printed no rate: {output}")
    return float(found.group(1))


def serving_rows(seconds: float, repeat: int, tmp: Path) -> list[Row]:
    missing = [
        tool for tool in ("wrk", "nginx") if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists())
    ]
    if missing:
        return [
            Row(
                "serving all.atom, requests/s",
                "-",
                f"skipped: {', '.join(missing)} not installed",
                "report",
                "-",
            )
        ]
    folder = tmp / "serving"
    folder.mkdir()
    folder.chmod(0o755)
    config = bench_config(
        folder,
        [],
        database=f"sqlite:///{history_db(10_000)}",
        categories=[{"id": category} for category in CATEGORIES],
    )
    store = open_store(config, NOW)
    publish(config, store)
    store.close()
    size = (config.output_dir / FEED.lstrip("/")).stat().st_size
    rates: dict[tuple[str, str], float] = {}
    servers = {
        "newsdesk serve": lambda: newsdesk_server(config.path),
        "nginx": lambda: nginx_server(config.output_dir, folder),
    }
    for name, start in servers.items():
        with start() as base:
            url = base + FEED
            etag = _wait_for(url)
            if _status_with(url, etag) != 304:
                raise RuntimeError(f"{name} does not answer 304 to its own ETag")
            for kind, header in (("200", None), ("304", etag)):
                _wrk(url, min(seconds, 1), header)  # warm-up
                rates[(name, kind)] = statistics.median(_wrk(url, seconds, header) for _ in range(repeat))
    rows = []
    for kind in ("200", "304"):
        ours, theirs = rates[("newsdesk serve", kind)], rates[("nginx", kind)]
        rows.append(
            Row.report(
                f"serving all.atom ({kind}), requests/s: newsdesk serve / nginx",
                f"{size // 1024} KiB feed, 16 connections",
                f"{ours:,.0f} / {theirs:,.0f} ({ours / theirs:.0%} of nginx)",
            )
        )
    return rows
