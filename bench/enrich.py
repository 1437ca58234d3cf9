"""Enrichment and rendering: article fetches per refresh (new stories only, none for known ones), time
per enriched story, and for `render: browser` the time and the browsers' peak memory per page.

A threaded site on 127.0.0.1: `/news` lists the stories of the current edition (no dates: every one
wants its article), `/a/N` is story N's article (JSON-LD date and image, a paragraph of text), `/shell`
is a page a script builds from `/api/items.json`.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import NOW, Row, bench_config

from newsdesk.pipeline import run

SHELL = """<!doctype html><html><head><title>News</title></head><body><ul id="news"></ul><script>
fetch('/api/items.json').then(r => r.json()).then(items => { const list = document.getElementById('news');
for (const item of items) { const li = document.createElement('li'); li.className = 'news-item';
li.innerHTML = `<h3><a href="${item.url}">${item.title}</a></h3><time datetime="${item.date}"></time>`;
list.appendChild(li); } });</script></body></html>"""


class Site:
    """The site, its edition (the first story listed), and how many article pages it was asked for."""

    def __init__(self, stories: int) -> None:
        self.stories = stories
        self.edition = 0
        self.articles = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body, kind = site.answer(self.path)
                self.send_response(200 if body else 404)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str) -> tuple[bytes, str]:
        numbers = range(self.edition, self.edition + self.stories)
        if path == "/news":
            cards = "".join(
                f'<li class="teaser"><h3><a href="/a/{n}">Story number {n} of the bench site</a></h3></li>'
                for n in numbers
            )
            return f"<html><body><ul>{cards}</ul></body></html>".encode(), "text/html"
        if path.startswith("/a/"):
            self.articles += 1
            n = path.removeprefix("/a/")
            record = {
                "@type": "NewsArticle",
                "headline": f"Story {n}",
                "datePublished": "2026-11-20",
                "image": f"/img/{n}.jpg",
            }
            text = f"Story {n} told at length, with enough words to be a paragraph of an article. " * 6
            page = (
                f'<html><head><script type="application/ld+json">{json.dumps(record)}</script></head>'
                f"<body><article><h1>Story {n}</h1><p>{text}</p></article></body></html>"
            )
            return page.encode(), "text/html"
        if path == "/shell":
            return SHELL.encode(), "text/html"
        if path == "/api/items.json":
            items = [
                {"url": f"/a/{n}", "title": f"Story number {n} of the bench site", "date": "2026-11-20"}
                for n in numbers
            ]
            return json.dumps(items).encode(), "application/json"
        return b"", "text/plain"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def enrich_rows(stories: int = 100) -> list[Row]:
    site = Site(stories)
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory(prefix="newsdesk-bench-enrich-") as folder:
            source = {
                "name": "site",
                "type": "html",
                "url": f"{site.base}/news",
                "enrich": "missing",
                "select": {"item": "li.teaser", "title": "h3", "link": "h3 a@href"},
            }
            config = bench_config(Path(folder), [source], fetch={"host_delay": 0, "per_host": 8})
            steps = (("first refresh", 0), ("same stories", 0), ("10 new stories", 10))
            for hour, (label, edition) in enumerate(steps, start=1):
                site.edition, site.articles = edition, 0
                moment = NOW.replace(hour=hour)
                started = time.perf_counter()
                run(config, now=lambda moment=moment: moment)
                seconds = time.perf_counter() - started
                per = f", {seconds / site.articles * 1000:.1f} ms a story" if site.articles else ""
                rows.append(
                    Row.report(
                        "enrich", f"{stories} stories, {label}", f"{site.articles} article fetches{per}"
                    )
                )
        rows += render_rows(site)
    finally:
        site.close()
    return rows


def render_rows(site: Site, pages: int = 5) -> list[Row]:
    from newsdesk.fetch import browser

    if not browser.CHROMIUM.exists():
        return [Row.report("render: browser", "-", "skipped (no /usr/bin/chromium)")]
    timings, peaks = [], []
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-render-") as folder:
        source = {
            "name": "shell",
            "type": "html",
            "url": f"{site.base}/shell",
            "render": "browser",
            "select": {"item": "li.news-item", "title": "h3", "link": "h3 a@href", "date": "time"},
        }
        config = bench_config(Path(folder), [source], fetch={"host_delay": 0})
        for hour in range(1, pages + 1):
            started = time.perf_counter()
            report = run(config, now=lambda hour=hour: NOW.replace(hour=hour))
            timings.append(time.perf_counter() - started)
            assert not report.failed, report.failed
            peaks.append(_browser_peak_kib())
    browser.shared_browser().close()
    first, rest = timings[0], statistics.median(timings[1:])
    return [
        Row.report("render: browser", "first page (starts Chromium)", f"{first * 1000:.0f} ms"),
        Row.report(
            "render: browser",
            f"next {pages - 1} pages",
            f"{rest * 1000:.0f} ms a page (median, whole refresh)",
        ),
        Row.report(
            "render: browser", "peak memory", f"{max(peaks) / 1024:.0f} MiB (sum of Chromium's processes)"
        ),
    ]


def _browser_peak_kib() -> int:
    """The peak resident memory (VmHWM) of every Chromium process under this one, summed."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"chromium" in command:
            total += next(
                (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0
            )
    return total


if __name__ == "__main__":
    from run import print_table

    print_table(enrich_rows())
