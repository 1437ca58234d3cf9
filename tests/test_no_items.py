"""A wrong selector on a first run is a failure, not a quiet success: the run exits 1 with one line,
`status`, /healthz and /metrics show the source failing, and the message says to run preview."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import requests
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Response

from newsdesk.config import load_config
from newsdesk.pipeline import run
from newsdesk.status import print_status

from helpers import card, html_source, page, serving, write_config

NEWSDESK = str(Path(sys.executable).parent / "newsdesk")
REDESIGN = "<html><body><div class='teaser'><a href='/a'>A story</a></div></body></html>"


def hint(name: str) -> str:
    return f"check the selectors with `newsdesk preview {name}`"


def test_a_wrong_selector_on_the_first_run_fails_everywhere_it_is_looked_at(
    httpserver: HTTPServer, tmp_path: Path, clock
) -> None:
    httpserver.expect_request("/news").respond_with_data(REDESIGN, content_type="text/html")
    url = httpserver.url_for("/news")
    path = write_config(tmp_path, html_source("wrong", [url]))
    result = subprocess.run(
        [NEWSDESK, "run", "-q", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    message = f"source 'wrong' {url}: no items found on a first reading; {hint('wrong')}"
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"newsdesk: {message}"]

    config = load_config(path)
    out = io.StringIO()
    print_status(config, clock(), out, as_json=False)
    (row,) = [line for line in out.getvalue().splitlines() if line.startswith("wrong ")]
    assert "no items found" in row.split("  ")[1]  # the STATE column
    assert row.endswith(f"{url}: no items found on a first reading; {hint('wrong')}")
    out = io.StringIO()
    print_status(config, clock(), out, as_json=True)
    (state,) = json.loads(out.getvalue())
    assert state["state"] == "no items found" and state["failures"] == 1 and state["last_success"] is None
    assert state["last_error"] == message

    for base in serving(config):
        health = requests.get(f"{base}/healthz", timeout=5)
        assert health.status_code == 503 and health.json()["status"] == "failing"
        assert health.json()["sources"][0]["state"] == "no items found"
        metrics = requests.get(f"{base}/metrics", timeout=5).text
        assert 'newsdesk_refresh_failures_total{source="wrong"} 1.0' in metrics
        assert 'newsdesk_source_consecutive_failures{source="wrong"} 1.0' in metrics


def test_it_keeps_failing_until_the_selector_is_fixed(httpserver: HTTPServer, make_config, clock) -> None:
    httpserver.expect_request("/news").respond_with_data(REDESIGN, content_type="text/html")
    config = make_config(html_source("wrong", [httpserver.url_for("/news")]))
    assert [r.source for r in run(config, now=clock).failed] == ["wrong"]
    clock.advance(hours=1)
    (again,) = run(config, now=clock).failed  # same bytes: still a first reading, still a failure
    assert hint("wrong") in again.errors[0]
    httpserver.clear()
    httpserver.no_handler_status_code = 404
    httpserver.expect_request("/news").respond_with_data(
        page(card("A story", "/a")), content_type="text/html"
    )
    clock.advance(hours=1)
    report = run(config, now=clock)
    assert not report.failed and report.refreshes[0].result.new == 1


def test_the_hint_names_a_config_file_other_than_the_default(
    httpserver: HTTPServer, tmp_path: Path, clock
) -> None:
    httpserver.expect_request("/news").respond_with_data(REDESIGN, content_type="text/html")
    path = write_config(tmp_path, html_source("wrong", [httpserver.url_for("/news")]))
    other = path.rename(tmp_path / "desk.yaml")
    (failure,) = run(load_config(other), now=clock).failed
    assert failure.errors[0].endswith(f"`newsdesk preview wrong --config {other.resolve()}`")


def test_a_source_whose_pages_gave_items_before_is_not_judged_on_an_unchanged_page(
    httpserver: HTTPServer, make_config, clock
) -> None:
    """Page one answers 304 (not a new reading), page two has no card: the source once found items,
    so this is no first reading and no failure; the empty page is only logged."""
    httpserver.expect_request("/one", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    httpserver.expect_request("/one").respond_with_data(
        page(card("A story", "/a")), content_type="text/html", headers={"ETag": '"v1"'}
    )
    readings = iter(range(100))
    httpserver.expect_request("/two").respond_with_handler(
        lambda _: Response(
            f"<html><body><p>Nothing yet ({next(readings)})</p></body></html>", mimetype="text/html"
        )
    )
    config = make_config(html_source("site", [httpserver.url_for("/one"), httpserver.url_for("/two")]))
    first = run(config, now=clock)
    assert not first.failed and first.refreshes[0].result.new == 1
    clock.advance(hours=1)
    (second,) = run(config, now=clock).refreshes
    assert second.ok and second.not_modified == 1 and second.pages == 1  # page two read again: no items


def test_a_source_with_one_empty_page_among_others_is_not_a_failure(
    httpserver: HTTPServer, make_config, clock, caplog
) -> None:
    httpserver.expect_request("/one").respond_with_data(page(card("A story", "/a")), content_type="text/html")
    httpserver.expect_request("/two").respond_with_data(
        "<html><body>Soon</body></html>", content_type="text/html"
    )
    two = httpserver.url_for("/two")
    config = make_config(html_source("site", [httpserver.url_for("/one"), two]))
    assert not run(config, now=clock).failed
    assert f"source 'site' {two}: no items found; {hint('site')}" in caplog.text
