"""A news site on many loopback addresses (127.0.x.y), answering every request after a fixed delay.

It runs in its own process, so its CPU is not counted as newsdesk's. Each address is one site with its
own stories; `/news` carries an ETag (answered 304 when it matches), `/plain` carries no validator, so
an unchanged page comes back as the same bytes. `GET /_control/version/N` on any address moves every
site to edition N: edition N shows stories N..N+CARDS-1, so each new edition brings one new story.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import random
import sys
import time
import urllib.request
from dataclasses import dataclass

from common import LABELS, card_html, free_port, page_html

CARDS = 10
WORDS = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "po", "ri", "sa", "te", "vu", "zo") for b in range(60)]


def addresses(count: int, start: int = 2) -> list[str]:
    """127.0.0.2, 127.0.0.3, ... 127.0.1.0, ...: one address per site (127.0.0.1 is left alone)."""
    return [f"127.0.{(n + start) // 256}.{(n + start) % 256}" for n in range(count)]


def story(site: int, number: int) -> tuple[str, str]:
    """Title and summary of one story of one site: words of its own, so no two stories look alike."""
    words = random.Random(site * 100_003 + number).choices(WORDS, k=48)
    return " ".join(words[:9]).capitalize(), " ".join(words[9:]).capitalize() + "..."


@functools.lru_cache(maxsize=4096)
def site_page(site: int, edition: int) -> bytes:
    """Cached, so that the server spends its core on answering, not on writing pages."""
    cards = []
    for number in range(edition, edition + CARDS):
        title, summary = story(site, number)
        day = 1 + number % 28
        cards.append(card_html(f"/news/{number}", title, summary, LABELS[number % 3], f"2026-11-{day:02d}"))
    return page_html("".join(cards))


@dataclass
class SiteServer:
    hosts: list[str]
    delay: float
    edition: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                # HTTP/1.0 clients (PHP's stream wrapper) read to the end: close after the answer.
                closing = lines[0].endswith("HTTP/1.0") or headers.get("connection", "").lower() == "close"
                await asyncio.sleep(self.delay)
                status, extra, body = self.answer(path, headers, writer.get_extra_info("sockname")[0])
                response = (
                    f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}"
                    f"{'Connection: close' + chr(13) + chr(10) if closing else ''}"
                    "Content-Type: text/html; charset=utf-8\r\n\r\n"
                ).encode() + body
                writer.write(response)
                await writer.drain()
                if closing:
                    break
        writer.close()

    def answer(self, path: str, headers: dict[str, str], host: str) -> tuple[str, str, bytes]:
        if path.startswith("/_control/version/"):
            self.edition = int(path.rsplit("/", 1)[1])
            return "200 OK", "", b"ok"
        if path == "/robots.txt":
            return "200 OK", "", b"User-agent: *\nAllow: /\n"
        site = self.hosts.index(host) if host in self.hosts else 0
        if path == "/news":
            etag = f'"e{self.edition}"'
            if headers.get("if-none-match") == etag:
                return "304 Not Modified", f"ETag: {etag}\r\n", b""
            return "200 OK", f"ETag: {etag}\r\n", site_page(site, self.edition)
        if path == "/plain":
            return "200 OK", "", site_page(site, self.edition)
        return "404 Not Found", "", b"not here"

    async def serve(self, port: int, ready: multiprocessing.synchronize.Event) -> None:
        server = await asyncio.start_server(self.handle, host=self.hosts, port=port, backlog=4096)
        ready.set()
        async with server:
            await server.serve_forever()


def _main(hosts: list[str], port: int, delay: float, ready: multiprocessing.synchronize.Event) -> None:
    asyncio.run(SiteServer(hosts, delay).serve(port, ready))


class LoopbackSites:
    """Start the sites in a child process; `with LoopbackSites(100) as sites: sites.url(0, "/news")`."""

    def __init__(self, count: int, delay: float = 0.05, *, start: int = 2) -> None:
        self.hosts = addresses(count, start)
        self.delay = delay
        self.port = free_port()
        context = multiprocessing.get_context("spawn")
        self._ready = context.Event()
        self._process = context.Process(
            target=_main, args=(self.hosts, self.port, delay, self._ready), daemon=True
        )

    def __enter__(self) -> LoopbackSites:
        self._process.start()
        if not self._ready.wait(30):
            raise RuntimeError("the loopback sites did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        self._process.terminate()
        self._process.join(5)

    def url(self, site: int, path: str) -> str:
        return f"http://{self.hosts[site]}:{self.port}{path}"

    def set_edition(self, edition: int) -> None:
        with urllib.request.urlopen(self.url(0, f"/_control/version/{edition}"), timeout=10) as answer:
            answer.read()


if __name__ == "__main__":  # a quick look: python bench/loopback.py 3
    with LoopbackSites(int(sys.argv[1]) if len(sys.argv) > 1 else 3) as sites:
        started = time.perf_counter()
        with urllib.request.urlopen(sites.url(1, "/news")) as reply:
            print(reply.status, len(reply.read()), f"{time.perf_counter() - started:.3f}s")
