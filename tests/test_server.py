"""`newsdesk serve` over real HTTP: types, conditional requests, gzip, CORS, traversal, health, metrics."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer

from newsdesk.config import Config, load_config
from newsdesk.pipeline import run
from newsdesk.server import CachedFile, ServerThread, StaticFiles

from helpers import card, html_source, page, serving, write_config


@pytest.fixture
def site(httpserver: HTTPServer, tmp_path: Path, clock) -> Config:
    httpserver.expect_request("/en/").respond_with_data(
        page(card("Story one", "/one", summary="A long enough summary. " * 40), card("Story two", "/two")),
        content_type="text/html",
    )
    httpserver.expect_request("/down").respond_with_data("no", status=500)
    sources = html_source("site", [httpserver.url_for("/en/")], every="15m")
    sources += f"- name: broken\n  type: feed\n  url: {httpserver.url_for('/down')}\n  every: 1h\n"
    config = load_config(write_config(tmp_path, sources, extra="serve:\n  cors_origins: ['*']\n"))
    run(config, now=clock)
    (tmp_path / "secret.txt").write_text("outside the output folder")
    return config


def start(config: Config) -> Iterator[str]:
    yield from serving(config)


@pytest.fixture
def base(site: Config) -> Iterator[str]:
    yield from start(site)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/all.atom", "application/atom+xml; charset=utf-8"),
        ("/research.rss", "application/rss+xml; charset=utf-8"),
        ("/research.json", "application/feed+json; charset=utf-8"),
        ("/feeds.opml", "text/x-opml; charset=utf-8"),
        ("/feed.xsl", "text/xsl; charset=utf-8"),
        ("/embed.js", "text/javascript; charset=utf-8"),
        ("/embed/research.html", "text/html; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
    ],
)
def test_content_types(base: str, path: str, content_type: str) -> None:
    response = requests.get(base + path, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type


def test_etag_and_last_modified_give_304(base: str, site: Config) -> None:
    first = requests.get(base + "/all.atom", headers={"Accept-Encoding": "identity"}, timeout=5)
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    assert first.content == (site.output_dir / "all.atom").read_bytes()
    etag = requests.get(
        base + "/all.atom",
        headers={"If-None-Match": first.headers["ETag"], "Accept-Encoding": "identity"},
        timeout=5,
    )
    assert etag.status_code == 304 and etag.content == b""
    since = requests.get(
        base + "/all.atom",
        headers={"If-Modified-Since": first.headers["Last-Modified"], "Accept-Encoding": "identity"},
        timeout=5,
    )
    assert since.status_code == 304
    stale = requests.get(
        base + "/all.atom", headers={"If-None-Match": '"other"', "Accept-Encoding": "identity"}, timeout=5
    )
    assert stale.status_code == 200


def test_cache_control_follows_the_shortest_interval(base: str) -> None:
    response = requests.get(base + "/all.atom", timeout=5)
    assert response.headers["Cache-Control"] == "public, max-age=900"


def test_gzip_when_accepted(base: str, site: Config) -> None:
    response = requests.get(base + "/all.json", headers={"Accept-Encoding": "gzip"}, timeout=5)
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.content == (site.output_dir / "all.json").read_bytes()  # requests decodes it
    plain = requests.get(base + "/all.json", headers={"Accept-Encoding": "identity"}, timeout=5)
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["ETag"] != response.headers["ETag"]


def test_cors_default_star_on_feeds_and_embed_files(base: str) -> None:
    for path in ("/research.json", "/embed.js", "/embed/research.html", "/all.atom"):
        response = requests.get(base + path, headers={"Origin": "https://partner.example"}, timeout=5)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = requests.options(
        base + "/research.json", headers={"Origin": "https://partner.example"}, timeout=5
    )
    assert preflight.status_code == 204 and "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_cors_allow_list(site: Config, tmp_path: Path) -> None:
    text = (
        (tmp_path / "config.yaml")
        .read_text()
        .replace("cors_origins: ['*']", "cors_origins: ['https://partner.example']")
    )
    (tmp_path / "config.yaml").write_text(text)
    config = load_config(tmp_path / "config.yaml")
    for base in start(config):
        allowed = requests.get(base + "/all.json", headers={"Origin": "https://partner.example"}, timeout=5)
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://partner.example"
        assert "Origin" in allowed.headers["Vary"]
        other = requests.get(base + "/all.json", headers={"Origin": "https://evil.example"}, timeout=5)
        assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/embed/..%2f..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%5csecret.txt",
        "//etc/passwd",
        "/.hidden",
        "/nope.atom",
        "/link-out/secret.txt",
    ],
)
def test_nothing_outside_the_output_folder_is_served(base: str, site: Config, path: str) -> None:
    (site.output_dir / ".hidden").write_text("dotfile")
    link = site.output_dir / "link-out"
    if not link.exists():
        os.symlink(site.output_dir.parent, link)
    raw = requests.Request("GET", base + path).prepare()
    raw.url = base + path  # keep the path exactly as written
    with requests.Session() as session:
        response = session.send(raw, timeout=5)
    assert response.status_code in (400, 404)
    assert b"outside the output folder" not in response.content


def test_methods_other_than_get_and_head_are_refused(base: str) -> None:
    assert requests.head(base + "/all.atom", timeout=5).status_code == 200
    assert requests.post(base + "/all.atom", timeout=5).status_code == 405


def test_healthz_and_metrics(base: str, site: Config, httpserver: HTTPServer, clock) -> None:
    health = requests.get(base + "/healthz", timeout=5)
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert {s["name"]: s["state"] for s in body["sources"]} == {"site": "ok", "broken": "failing"}
    metrics = requests.get(base + "/metrics", timeout=5)
    assert metrics.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = metrics.text
    assert 'newsdesk_refreshes_total{source="site"} 1.0' in text
    assert 'newsdesk_refresh_failures_total{source="broken"} 1.0' in text
    assert 'newsdesk_items{source="site"} 2.0' in text
    assert "newsdesk_publish_duration_seconds " in text
    # every source failing: 503
    httpserver.clear()
    httpserver.no_handler_status_code = 503
    clock.advance(hours=1)
    run(site, now=clock)
    failing = requests.get(base + "/healthz", timeout=5)
    assert failing.status_code == 503 and failing.json()["status"] == "failing"


def test_without_a_page_a_browser_gets_the_feed_as_xml_so_the_xslt_view_applies(
    base: str, site: Config
) -> None:
    (site.output_dir / "research.html").unlink(missing_ok=True)  # no HTML page beside this feed
    browser = requests.get(
        base + "/research.atom",
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
        timeout=5,
    )
    assert browser.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert browser.headers["Vary"] == "Accept-Encoding, Accept, Sec-Fetch-Dest"
    reader = requests.get(base + "/research.atom", headers={"Accept": "application/atom+xml"}, timeout=5)
    assert reader.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert reader.content == browser.content


def test_metrics_without_prometheus_client_say_what_to_install(site: Config, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # as without the `metrics` extra
    monkeypatch.delitem(sys.modules, "newsdesk.metrics", raising=False)
    for base in serving(site):
        response = requests.get(f"{base}/metrics", timeout=10)
        assert response.status_code == 501
        assert response.text == "metrics need prometheus-client: pip install 'newsdesk[metrics]'\n"
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200


def _hammer(url: str, done: threading.Event) -> None:
    """A busy reader: keep-alive GETs until told to stop, shrugging off a closed connection."""
    with requests.Session() as session:
        while not done.is_set():
            try:
                session.get(url, timeout=2)
            except requests.RequestException:
                time.sleep(0.01)


def test_stop_while_requests_are_in_flight_is_quiet_and_prompt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Closing waitress's trigger pipe under a request thread logged `os.write(self.trigger)`
    # EBADF tracebacks on SIGTERM (daemon --serve); this caught it on every run before the fix.
    config = load_config(write_config(tmp_path, "- name: f\n  type: items\n  url: items.yaml\n"))
    config.output_dir.mkdir(parents=True)
    (config.output_dir / "all.atom").write_bytes(b"<feed></feed>\n" * 100)
    load = StaticFiles.load

    def slow_load(files: StaticFiles, path: Path) -> CachedFile:
        time.sleep(0.01)  # a request takes a while: stop() lands while several are being served
        return load(files, path)

    monkeypatch.setattr(StaticFiles, "load", slow_load)
    caplog.set_level(logging.INFO)
    for _ in range(6):
        server = ServerThread(config, "127.0.0.1", 0).start()
        done = threading.Event()
        url = f"http://127.0.0.1:{server.port}/all.atom"
        clients = [threading.Thread(target=_hammer, args=(url, done)) for _ in range(6)]
        for client in clients:
            client.start()
        time.sleep(0.15)
        started = time.monotonic()
        server.stop()
        took = time.monotonic() - started
        done.set()
        for client in clients:
            client.join(5)
        assert took < 1.5
        assert not server.running
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert not problems, [(r.name, r.getMessage(), r.exc_info and r.exc_info[1]) for r in problems]


def test_stop_is_quiet_when_waitress_has_closed_its_trigger_already(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # waitress's own close() of the listening server closes the trigger too; seen once under load in
    # the whole suite, where stop() then raised EBADF from its own wake-up write.
    config = load_config(write_config(tmp_path, "- name: f\n  type: items\n  url: items.yaml\n"))
    config.output_dir.mkdir(parents=True)
    (config.output_dir / "all.atom").write_bytes(b"<feed></feed>\n")
    caplog.set_level(logging.INFO)
    server = ServerThread(config, "127.0.0.1", 0).start()
    assert requests.get(f"http://127.0.0.1:{server.port}/all.atom", timeout=5).status_code == 200
    deadline = time.monotonic() + 5
    while server.server.task_dispatcher.active_count and time.monotonic() < deadline:
        time.sleep(0.01)  # the request thread has finished (and woken the loop) before the trigger goes
    time.sleep(0.05)
    server.server.trigger.close()
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3 and not server.running
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert not problems, [(r.name, r.getMessage()) for r in problems]
