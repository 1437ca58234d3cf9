"""Pages parsed in worker processes give what the fetching threads give, to the byte: the same feeds,
the same errors naming source and URL, the same log lines; a killed worker costs one page, not the run;
a run that reads few pages, or none that changed, starts no process."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from example_site import SITE, example_config, published_files, serve_example
from newsdesk.config import load_config
from newsdesk.errors import ExtractError
from newsdesk.models import Page
from newsdesk.normalize.item import Normalizer
from newsdesk.parsing import MIN_PAGES, Parsers, parse_page
from newsdesk.pipeline import open_store, publish_changes, refresh_all

from helpers import Clock, card, page

FETCHED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def html_page(url: str, body: str) -> Page:
    return Page(url, 200, {"content-type": "text/html; charset=utf-8"}, body.encode(), FETCHED)


@pytest.fixture
def parsers(tmp_path: Path):
    config = load_config(example_config(tmp_path, "state/newsdesk.db"))
    started = Parsers(config, 1)
    assert started.start(wait=True), "the worker process did not start"
    yield config, started
    started.close()


def test_a_page_parsed_in_a_worker_gives_what_a_thread_gives(parsers) -> None:
    config, workers = parsers
    source = config.source("site-en")
    english = html_page("https://www.example.org/en/", (SITE / "en" / "index.html").read_text("utf-8"))
    normalizer = Normalizer.for_source(config, source)
    here = parse_page(source, english, normalizer)
    there = workers.parse(source, english, lambda: normalizer)
    assert workers.in_workers == 1
    assert here.items and there == here


def test_an_error_in_a_worker_names_the_source_and_the_page(parsers) -> None:
    config, workers = parsers
    source = config.source("press")
    broken = Page("https://www.example.org/press.rss", 200, {"content-type": "text/html"}, b"\0\0", FETCHED)
    with pytest.raises(ExtractError) as raised:
        workers.parse(source, broken, lambda: Normalizer.for_source(config, source))
    assert str(raised.value).startswith("source 'press' https://www.example.org/press.rss: ")


def test_what_a_worker_logs_is_logged_here(parsers, caplog: pytest.LogCaptureFixture) -> None:
    config, workers = parsers
    source = config.source("site-en")
    cards = [card(f"Story number {n}", f"/n/{n}") for n in range(2001)]
    crowded = html_page("https://www.example.org/en/", page(*cards, carousel=False))
    with caplog.at_level(logging.WARNING, logger="newsdesk"):
        parsed = workers.parse(source, crowded, lambda: Normalizer.for_source(config, source))
    assert len(parsed.items) == 2000
    assert "source 'site-en' https://www.example.org/en/: 2001 cards, reading the first 2000" in caplog.text


def test_a_killed_worker_costs_one_page_and_the_next_page_is_read(parsers) -> None:
    config, workers = parsers
    source = config.source("site-en")
    english = html_page("https://www.example.org/en/", (SITE / "en" / "index.html").read_text("utf-8"))
    normalizer = Normalizer.for_source(config, source)
    pool = workers._pool
    assert pool is not None
    for pid in list(pool._processes):  # type: ignore[attr-defined]
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not pool._broken and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)
    with pytest.raises(ExtractError, match="the parsing process stopped; the page is read again next time"):
        workers.parse(source, english, lambda: normalizer)
    assert workers.parse(source, english, lambda: normalizer).items  # in a thread, or a new worker
    assert workers.start(wait=True)  # a new pool replaced the broken one
    assert workers.parse(source, english, lambda: normalizer).items


def test_a_run_parsed_by_workers_publishes_the_same_bytes(tmp_path: Path) -> None:
    outputs = {}
    with serve_example() as (base, _):
        for label, processes in (("threads", 0), ("workers", 1)):
            folder = tmp_path / label
            config = load_config(example_config(folder, "state/newsdesk.db", base=base))
            chosen = Parsers(config, processes)
            if processes:
                assert chosen.start(wait=True)
            store = open_store(config, Clock()())
            try:
                clock = Clock()
                reports = refresh_all(config, store, now=clock, parsers=chosen)
                assert not [r.errors for r in reports if r.errors]
                publish_changes(config, store, now=clock())
            finally:
                store.close()
                chosen.close()
            pages = sum(len(source.pages) for source in config.sources)
            assert chosen.in_workers == (pages if processes else 0)
            outputs[label] = published_files(config.output_dir)
    assert len(outputs["threads"]) > 30
    assert outputs["workers"] == outputs["threads"]


def test_few_pages_start_no_process(tmp_path: Path) -> None:
    config = load_config(example_config(tmp_path, "state/newsdesk.db"))
    assert not Parsers.for_refresh(config, MIN_PAGES - 1).start(wait=True)
    in_threads = replace(config, fetch=replace(config.fetch, processes=0))
    assert not Parsers.for_refresh(in_threads, 10 * MIN_PAGES).start(wait=True)


def test_without_worker_processes_pages_are_parsed_in_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_forkserver(method: str) -> None:
        raise ValueError(f"cannot find context for {method!r}")  # as on a platform without it

    monkeypatch.setattr(multiprocessing, "get_context", no_forkserver)
    config = load_config(example_config(tmp_path, "state/newsdesk.db"))
    source = config.source("site-en")
    english = html_page("https://www.example.org/en/", (SITE / "en" / "index.html").read_text("utf-8"))
    chosen = Parsers(config, 2)
    with caplog.at_level(logging.WARNING, logger="newsdesk"):
        assert not chosen.start(wait=True)
        parsed = chosen.parse(source, english, lambda: Normalizer.for_source(config, source))
    chosen.close()
    assert parsed.items and chosen.in_workers == 0
    assert caplog.messages == [
        "parsing processes unavailable (cannot find context for 'forkserver'); parsing in threads"
    ]
