"""newsdesk beside RSS-Bridge on the same pages, in one run (scenario 7), and the start-up of commands.

40 copies of a listing page in the reference style (ten stories of its own, every card drawn twice by
a carousel), each on its own loopback host (127.0.0.10 and up), answering at once. newsdesk reads them
as one `html` source with the 40 URLs: `newsdesk run`, a new process each time, start-up included.
RSS-Bridge (Debian's package `rss-bridge`) makes one feed per page with its XPathBridge, the same
selectors written as XPath, one `php index.php` per feed as a feed reader asks for them, through curl
as under a web server. It keeps no page memory, so an unchanged page costs it a first run: its cache is
emptied before each feed. "Beyond start-up" subtracts a bare `php -r ''` (RSS-Bridge) and is the
work a page costs. Rows say "skipped" when php or rss-bridge is not installed
(apt install php-cli rss-bridge).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from common import CATEGORIES, SELECT, Row
from cssselect import HTMLTranslator
from loopback import LoopbackSites

PAGES = 40
FIRST_HOST = 10  # 127.0.0.10
RSS_BRIDGE = Path("/usr/share/rss-bridge")
CURL_CA = "curl.cainfo=/etc/ssl/certs/ca-certificates.crt"  # RSS-Bridge fetches with curl, as served
STARTUP_TARGET = 0.150
NEWSDESK = Path(sys.executable).parent / "newsdesk"


@dataclass(frozen=True)
class Timed:
    wall: float
    cpu: float


def _timed(work: Callable[[], object]) -> Timed:
    """Wall time and the CPU time of the child processes `work` ran (their children included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    work()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu)


def _median(runs: list[Timed]) -> Timed:
    return Timed(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs))


def _run(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    done = subprocess.run(command, capture_output=True, env=env, cwd=cwd, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed ({done.returncode}): {done.stderr.decode()[-500:]}")


# --- newsdesk --------------------------------------------------------------------------------


def _write_config(folder: Path, urls: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "site": {"title": "Bench news", "url": "https://news.example.org/", "author": "Bench"},
        "output": "feeds",
        "database": "state/newsdesk.db",
        "categories": CATEGORIES,
        "sources": [{"name": "pages", "type": "html", "urls": urls, "every": "30m", "select": SELECT}],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _newsdesk(config: Path, *args: str, cache: Path) -> Callable[[], None]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return lambda: _run([str(NEWSDESK), *args, "--config", str(config), "-q"], env=env)


def _newsdesk_runs(sites: LoopbackSites, path: str, repeat: int, tmp: Path) -> tuple[Timed, Timed]:
    """(first run, unchanged run), medians; each first run in a new folder with a cold config cache."""
    urls = [sites.url(n, path) for n in range(PAGES)]
    firsts, unchanged = [], []
    for attempt in range(repeat):
        folder = tmp / f"newsdesk-{path.strip('/')}-{attempt}"
        config = _write_config(folder, urls)
        run = _newsdesk(config, "run", cache=folder / "cache")
        firsts.append(_timed(run))
        unchanged.append(_timed(run))
    return _median(firsts), _median(unchanged)


def startup_rows(config: Path, cache: Path, repeat: int) -> list[Row]:
    rows = []
    for command in (["--help"], ["status"], ["check"]):
        runs = [_timed(_newsdesk(config, *command, cache=cache)) for _ in range(repeat)]
        wall = statistics.median(r.wall for r in runs)
        rows.append(
            Row.check(
                f"start-up: newsdesk {command[0]} (whole process)",
                f"{PAGES} pages, 1 source",
                f"{wall * 1000:.0f} ms",
                f"< {STARTUP_TARGET * 1000:.0f} ms",
                wall < STARTUP_TARGET,
            )
        )
    return rows


# --- RSS-Bridge ------------------------------------------------------------------------------


def _xpath(css: str, *, inside: bool) -> str:
    """A field selector of config.yaml ('h3 a@href') as the XPath RSS-Bridge takes."""
    css, _, attribute = css.partition("@")
    path = HTMLTranslator().css_to_xpath(css, prefix=".//" if inside else "//")
    return f"{path}/@{attribute}" if attribute else path


def _bridge_copy(tmp: Path) -> Path:
    """RSS-Bridge as installed, with a whitelist enabling XPathBridge and a cache of its own."""
    copy = tmp / "rss-bridge"
    shutil.copytree(RSS_BRIDGE, copy, symlinks=False, ignore=shutil.ignore_patterns("cache", "whitelist*"))
    (copy / "cache").mkdir()
    (copy / "whitelist.txt").write_text("XPath\n", encoding="utf-8")
    return copy


def _bridge_feeds(bridge: Path, urls: list[str]) -> Callable[[], None]:
    fields = {
        "item": _xpath(SELECT["item"], inside=False),
        "title": _xpath(SELECT["title"], inside=True),
        "uri": _xpath(SELECT["link"], inside=True),
        "content": _xpath(SELECT["summary"], inside=True),
        "categories": _xpath(SELECT["category"], inside=True),
        "timestamp": _xpath(SELECT["date"], inside=True),
        "enclosures": _xpath(SELECT["image"], inside=True),
    }
    arguments = [f"{key}={value}" for key, value in fields.items()]

    def make_all() -> None:
        for url in urls:
            for cached in (bridge / "cache").glob("**/*"):
                if cached.is_file():
                    cached.unlink()
            done = subprocess.run(
                ["php", "-d", CURL_CA, "index.php", "action=display", "bridge=XPath", "format=Atom",
                 f"url={url}", *arguments],
                capture_output=True, cwd=bridge, timeout=60, check=False,
            )  # fmt: skip
            if done.returncode != 0 or done.stdout.count(b"<entry>") < 10:
                raise RuntimeError(f"RSS-Bridge gave no feed for {url}: {done.stdout[-300:]!r}")

    return make_all


def _bridge_runs(sites: LoopbackSites, repeat: int, tmp: Path) -> tuple[Timed, Timed] | None:
    """(40 feeds, PHP start-up alone), medians; None when RSS-Bridge is not installed."""
    if shutil.which("php") is None or not (RSS_BRIDGE / "index.php").exists():
        return None
    bridge = _bridge_copy(tmp)
    feeds = _bridge_feeds(bridge, [sites.url(n, "/news") for n in range(PAGES)])
    runs = [_timed(feeds) for _ in range(repeat)]
    bare = [_timed(lambda: _run(["php", "-d", CURL_CA, "-r", ""])) for _ in range(max(9, repeat))]
    return _median(runs), _median(bare)


# --- the rows --------------------------------------------------------------------------------


def versus_rows(repeat: int) -> list[Row]:
    size = f"{PAGES} one-page hosts"
    with LoopbackSites(PAGES, 0.0, start=FIRST_HOST) as sites, tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        first, unchanged = _newsdesk_runs(sites, "/news", repeat, tmp)
        _, same_bytes = _newsdesk_runs(sites, "/plain", repeat, tmp)
        bridge = _bridge_runs(sites, repeat, tmp)
        config = tmp / "newsdesk-news-0" / "config.yaml"
        rows = startup_rows(config, tmp / "newsdesk-news-0" / "cache", max(repeat, 5))
    if bridge is None:
        skipped = "skipped: apt install php-cli rss-bridge"
        return [
            Row("first run: newsdesk / RSS-Bridge (40 feeds), wall", size, skipped, "<= 1.00x", "-"),
            Row.report("first run: newsdesk, wall and CPU", size, f"{first.wall:.2f} s, {first.cpu:.2f} s"),
            *rows,
        ]
    feeds, php = bridge
    beyond = (feeds.wall - PAGES * php.wall) / PAGES
    per_page = {how: timed.wall / PAGES for how, timed in (("304", unchanged), ("same bytes", same_bytes))}
    return [
        Row.check(
            "first run: newsdesk run / RSS-Bridge making the 40 feeds, wall",
            size,
            f"{first.wall:.2f} s / {feeds.wall:.2f} s = {first.wall / feeds.wall:.2f}x",
            "<= 1.00x",
            first.wall <= feeds.wall,
        ),
        *(
            Row.check(
                f"unchanged pages ({how}): newsdesk per page, start-up included / RSS-Bridge's work per page",
                size,
                f"{cost * 1000:.1f} ms / {beyond * 1000:.1f} ms = {cost / beyond:.2f}x",
                "<= 1.00x",
                cost <= beyond,
            )
            for how, cost in per_page.items()
        ),
        Row.report(
            "CPU per page: newsdesk first run, unchanged (304) / RSS-Bridge (beyond PHP start-up)",
            size,
            f"{first.cpu / PAGES * 1000:.1f}, {unchanged.cpu / PAGES * 1000:.1f} ms / "
            f"{feeds.cpu / PAGES * 1000:.1f} ms ({(feeds.cpu - PAGES * php.cpu) / PAGES * 1000:.1f} ms)",
        ),
        Row.report(
            "RSS-Bridge per feed: whole process / PHP start-up alone",
            size,
            f"{feeds.wall / PAGES * 1000:.1f} ms / {php.wall * 1000:.1f} ms",
        ),
        *rows,
    ]
