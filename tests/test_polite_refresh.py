"""Refreshes that respect the site: conditional GET, Retry-After, backoff, 410, robots.txt, redirects."""

from __future__ import annotations

from datetime import timedelta

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from newsdesk.config import load_config
from newsdesk.pipeline import open_store, run
from newsdesk.schedule import next_due, state_label

from helpers import Clock, card, html_source, page, write_config


def requests_to(server: HTTPServer, path: str) -> list[Request]:
    return [request for request, _ in server.log if request.path == path]


def state_of(config, name: str, clock: Clock):  # type: ignore[no-untyped-def]
    store = open_store(config, clock())
    try:
        return store.source_state(name)
    finally:
        store.close()


def test_conditional_get_sends_validators_and_304_skips_parsing(
    httpserver: HTTPServer, make_config, clock
) -> None:
    body = page(card("Story", "/story"))

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(
            body,
            content_type="text/html",
            headers={"ETag": '"v1"', "Last-Modified": "Sat, 28 Nov 2026 10:00:00 GMT"},
        )

    httpserver.expect_request("/news").respond_with_handler(handler)
    config = make_config(html_source("site", [httpserver.url_for("/news")]))
    first = run(config, now=clock)
    assert first.refreshes[0].pages == 1 and first.refreshes[0].result.new == 1
    feed_before = (config.output_dir / "all.atom").read_bytes()
    clock.advance(hours=1)
    second = run(config, now=clock)
    (refresh,) = second.refreshes
    assert refresh.ok and refresh.not_modified == 1 and refresh.pages == 0
    assert refresh.result.new == refresh.result.updated == refresh.result.unchanged == 0  # nothing parsed
    conditional = requests_to(httpserver, "/news")[-1]
    assert conditional.headers["If-None-Match"] == '"v1"'
    assert conditional.headers["If-Modified-Since"] == "Sat, 28 Nov 2026 10:00:00 GMT"
    assert (config.output_dir / "all.atom").read_bytes() == feed_before
    state = state_of(config, "site", clock)
    assert state.failures == 0 and state.last_success == clock()  # a 304 is a success


def test_changed_config_drops_validators(httpserver: HTTPServer, tmp_path, clock) -> None:
    httpserver.expect_request("/news").respond_with_data(
        page(card("Story", "/story")), content_type="text/html", headers={"ETag": '"v1"'}
    )
    url = httpserver.url_for("/news")
    config = load_config(write_config(tmp_path, html_source("site", [url])))
    run(config, now=clock)
    changed = load_config(write_config(tmp_path, html_source("site", [url], language="fr")))
    run(changed, now=clock)
    assert "If-None-Match" not in requests_to(httpserver, "/news")[-1].headers


def test_identical_body_without_validators_is_not_parsed_again(
    httpserver: HTTPServer, tmp_path, clock
) -> None:
    bodies = [page(card("Story", "/story"))]
    httpserver.expect_request("/news").respond_with_handler(
        lambda _request: Response(bodies[-1], content_type="text/html")
    )
    url = httpserver.url_for("/news")
    config = load_config(write_config(tmp_path, html_source("site", [url])))
    first = run(config, now=clock).refreshes[0]
    assert first.pages == 1 and first.result.new == 1
    clock.advance(hours=1)
    same = run(config, now=clock).refreshes[0]
    assert same.ok and same.pages == 0 and same.not_modified == 1  # same bytes: not parsed
    other = card("Library opens late on Fridays", "/library", summary="From December the library stays open.")
    bodies.append(page(card("Story", "/story"), other))
    clock.advance(hours=1)
    changed = run(config, now=clock).refreshes[0]
    assert changed.pages == 1 and changed.result.new == 1 and changed.result.unchanged == 1
    relabelled = load_config(write_config(tmp_path, html_source("site", [url], language="fr")))
    clock.advance(hours=1)
    reread = run(relabelled, now=clock).refreshes[0]
    assert reread.pages == 1 and reread.not_modified == 0  # a new config reads the page again


def test_retry_after_is_obeyed(httpserver: HTTPServer, make_config, clock) -> None:
    httpserver.expect_request("/busy").respond_with_data("busy", status=503, headers={"Retry-After": "120"})
    config = make_config(f"- name: busy\n  type: feed\n  url: {httpserver.url_for('/busy')}\n")
    first = run(config, now=clock)
    assert "retry after" in first.refreshes[0].errors[0]
    state = state_of(config, "busy", clock)
    assert state.retry_after == clock() + timedelta(seconds=120)
    clock.advance(seconds=60)
    second = run(config, now=clock)
    assert second.refreshes[0].skipped and "asked to wait until" in second.refreshes[0].errors[0]
    assert len(requests_to(httpserver, "/busy")) == 1  # no request before the time given
    clock.advance(seconds=61)
    run(config, now=clock)
    assert len(requests_to(httpserver, "/busy")) == 2


def test_backoff_grows_with_failures_and_resets_on_success(
    httpserver: HTTPServer, make_config, clock
) -> None:
    httpserver.expect_request("/flaky").respond_with_data("oops", status=500)
    config = make_config(
        f"- name: flaky\n  type: feed\n  url: {httpserver.url_for('/flaky')}\n  every: 30m\n"
    )
    source = config.sources[0]
    delays = []
    for _ in range(3):
        run(config, now=clock)
        state = state_of(config, "flaky", clock)
        delays.append(next_due(source, state, clock()) - clock())
        clock.advance(hours=5)
    assert delays == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=4)]
    assert state_label(source, state, clock()) == "backing off"
    httpserver.clear()
    httpserver.no_handler_status_code = 404
    httpserver.expect_request("/flaky").respond_with_data(
        "<rss version='2.0'><channel><title>t</title><item><title>Back</title><link>https://example.org/b</link>"
        "</item></channel></rss>",
        content_type="application/rss+xml",
    )
    run(config, now=clock)
    state = state_of(config, "flaky", clock)
    assert state.failures == 0
    assert next_due(source, state, clock()) - clock() == timedelta(minutes=30)
    assert state_label(source, state, clock()) == "ok"


def test_410_disables_the_source_until_its_config_changes(httpserver: HTTPServer, tmp_path, clock) -> None:
    httpserver.expect_request("/gone").respond_with_data("gone", status=410)
    url = httpserver.url_for("/gone")
    config = load_config(write_config(tmp_path, f"- name: old\n  type: feed\n  url: {url}\n"))
    first = run(config, now=clock)
    assert "disabled until its config changes" in first.refreshes[0].errors[0]
    assert state_label(config.sources[0], state_of(config, "old", clock), clock()) == "disabled"
    assert next_due(config.sources[0], state_of(config, "old", clock), clock()) is None
    clock.advance(days=2)
    second = run(config, now=clock)
    assert second.refreshes[0].skipped
    assert len(requests_to(httpserver, "/gone")) == 1
    edited = load_config(write_config(tmp_path, f"- name: old\n  type: feed\n  url: {url}\n  every: 2h\n"))
    run(edited, now=clock)
    assert len(requests_to(httpserver, "/gone")) == 2


def test_robots_txt_is_honoured_cached_and_overridable(httpserver: HTTPServer, tmp_path, clock) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    httpserver.expect_request("/private/news").respond_with_data(
        page(card("Secret", "/s")), content_type="text/html"
    )
    httpserver.expect_request("/public/news").respond_with_data(
        page(card("Open", "/o")), content_type="text/html"
    )
    private, public = httpserver.url_for("/private/news"), httpserver.url_for("/public/news")
    sources = html_source("private", [private]) + html_source("public", [public])
    config = load_config(write_config(tmp_path, sources))
    report = run(config, now=clock)
    (blocked,) = report.failed
    assert blocked.source == "private"
    message = "blocked by robots.txt (set respect_robots: false on the source to override)"
    assert blocked.errors == (f"source 'private' {private}: {message}",)
    assert requests_to(httpserver, "/private/news") == []
    assert state_label(config.sources[0], state_of(config, "private", clock), clock()) == "blocked by robots"
    clock.advance(hours=2)
    run(config, now=clock)
    assert len(requests_to(httpserver, "/robots.txt")) == 1  # cached for a day, in the store
    overridden = load_config(
        write_config(tmp_path, html_source("private", [private], respect_robots="false"))
    )
    assert not run(overridden, now=clock).failed
    assert len(requests_to(httpserver, "/private/news")) == 1


def test_permanent_redirect_is_followed_and_reported(
    httpserver: HTTPServer, make_config, clock, caplog
) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_data(page(card("Moved", "/m")), content_type="text/html")
    config = make_config(html_source("site", [httpserver.url_for("/old")]))
    caplog.set_level("WARNING", logger="newsdesk")
    report = run(config, now=clock)
    assert report.refreshes[0].moved == ((httpserver.url_for("/old"), httpserver.url_for("/new")),)
    assert report.refreshes[0].result.new == 1
    assert any(
        "moved permanently" in r.getMessage() and "update config.yaml" in r.getMessage()
        for r in caplog.records
    )


def test_gzip_and_brotli_bodies_are_decoded(httpserver: HTTPServer, make_config, clock) -> None:
    import gzip

    import brotli

    gz_body = page(card("Gzipped", "/gz-story")).encode()
    br_body = page(card("Brotli", "/br-story")).encode()
    httpserver.expect_request("/gz").respond_with_data(
        gzip.compress(gz_body), content_type="text/html", headers={"Content-Encoding": "gzip"}
    )
    httpserver.expect_request("/br").respond_with_data(
        brotli.compress(br_body), content_type="text/html", headers={"Content-Encoding": "br"}
    )
    config = make_config(
        html_source("gz", [httpserver.url_for("/gz")]) + html_source("br", [httpserver.url_for("/br")])
    )
    report = run(config, now=clock)
    assert not report.failed
    assert all(r.result.new == 1 for r in report.refreshes)
    assert "br" in requests_to(httpserver, "/br")[0].headers["Accept-Encoding"]
