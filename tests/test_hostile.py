"""Hostile input over real HTTP: each case is a clear recorded failure or a safe success, and never
hurts the healthy source refreshed beside it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import feedparser
import pytest

from hostile import HostileServer
from newsdesk.pipeline import open_store, run

from helpers import html_source

FETCH = "fetch:\n  timeout: 2\n  connect_timeout: 1\n  max_bytes: 12000000\n  host_delay: 0\n"

# kind -> None for a safe success, else a fragment of the one-line error the maintainer reads
EXPECTED = {
    "drip": "took longer than 2s",
    "hang": "timed out after 2s",
    "endless": "byte cap",
    "gzip-bomb": "byte cap",
    "error/500": "HTTP 500",
    "error/503": "HTTP 503",
    "error/404": "HTTP 404",
    "error/410": "HTTP 410",
    "error/429": "HTTP 429",
    "loop": "more than 5 redirects",
    "to-file": "redirected to an unsupported address 'file:///etc/passwd'",
    "huge": "byte cap",
    "deep": "no items found on a first reading",  # parsed safely; it holds no card
    "many-cards": None,
    "nul": None,
    "mixed-encoding": None,
    "lying-charset": None,
    "laughs": "not a valid feed",
    "quadratic": "not a valid feed",
    "xxe": "no items found on a first reading",  # no entity expanded: its one entry has no text left
    "dtd": None,
    "truncated": "not a valid feed",
    "html-as-feed": "an HTML page, not a feed: use type: html",
    "wrong-encoding-feed": None,
    "bom-feed": None,
}
FEEDS = {"laughs", "quadratic", "xxe", "dtd", "truncated", "html-as-feed", "wrong-encoding-feed", "bom-feed"}


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_hostile_source_fails_cleanly_beside_a_healthy_one(
    kind: str, hostile: HostileServer, make_config, clock
) -> None:
    url = hostile.url(f"/{kind}")
    bad = f"- name: bad\n  type: feed\n  url: {url}\n" if kind in FEEDS else html_source("bad", [url])
    config = make_config(html_source("good", [hostile.url("/ok/1")]) + bad, extra=FETCH)
    started = time.monotonic()
    report = run(config, now=clock)
    assert time.monotonic() - started < 120  # a hang guard, not a speed target (those live in bench/)
    by_source = {r.source: r for r in report.refreshes}
    assert by_source["good"].ok and by_source["good"].result.new == 3
    expected = EXPECTED[kind]
    if expected is None:
        assert by_source["bad"].ok, by_source["bad"].errors
    else:
        (error,) = by_source["bad"].errors
        assert expected in error and url in error and "\n" not in error
        store = open_store(config, clock())
        try:
            state = store.source_state("bad")
        finally:
            store.close()
        assert state.failures == 1 and state.last_error == error
    if kind == "many-cards":
        assert by_source["bad"].result.new == 2000  # the first 2000 cards, with a warning
    feed = feedparser.parse((config.output_dir / "all.atom").read_bytes())
    assert not feed.bozo and feed.entries
    store = open_store(config, clock())
    try:
        assert store.item_count("good") == 3  # the healthy source's news are all kept
    finally:
        store.close()
    for path in config.output_dir.rglob("*.*"):
        if path.suffix in (".png", ".ico"):
            continue  # the site's own icons: binary, and none of the source's bytes
        text = path.read_bytes()
        assert b"root:" not in text and b"\0" not in text, path.name  # no local file, no NUL byte
