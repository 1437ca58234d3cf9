"""`newsdesk status`: every state a maintainer must tell apart, as a table and as JSON."""

from __future__ import annotations

import io
import json

from pytest_httpserver import HTTPServer

from newsdesk.pipeline import run
from newsdesk.status import print_status

from helpers import card, html_source, page


def test_status_table_and_json_show_every_state(httpserver: HTTPServer, make_config, clock) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private\n")
    httpserver.expect_request("/ok").respond_with_data(page(card("A", "/a")), content_type="text/html")
    httpserver.expect_request("/private").respond_with_data(page(card("B", "/b")), content_type="text/html")
    httpserver.expect_request("/down").respond_with_data("no", status=500)
    httpserver.expect_request("/gone").respond_with_data("no", status=410)
    sources = (
        html_source("healthy", [httpserver.url_for("/ok")], every="30m")
        + html_source("robots", [httpserver.url_for("/private")])
        + f"- name: flaky\n  type: feed\n  url: {httpserver.url_for('/down')}\n  every: 30m\n"
        + f"- name: gone\n  type: feed\n  url: {httpserver.url_for('/gone')}\n"
        + f"- name: never\n  type: feed\n  url: {httpserver.url_for('/ok')}\n  enabled: false\n"
    )
    config = make_config(sources)
    run(config, now=clock)
    clock.advance(minutes=1)
    run(config, now=clock)  # flaky fails twice: backing off

    out = io.StringIO()
    print_status(config, clock(), out, as_json=True)
    rows = {row["name"]: row for row in json.loads(out.getvalue())}
    assert set(next(iter(rows.values()))) == {
        "name", "state", "last_attempt", "last_success", "failures", "last_error", "items", "next_due",
    }  # fmt: skip
    assert rows["healthy"]["state"] == "ok"
    assert rows["healthy"]["items"] == 1 and rows["healthy"]["failures"] == 0
    assert rows["healthy"]["next_due"] == "2026-11-29T12:31:00+00:00"
    assert rows["robots"]["state"] == "blocked by robots"
    assert rows["flaky"]["state"] == "backing off"
    assert rows["flaky"]["failures"] == 2 and rows["flaky"]["last_success"] is None
    assert rows["flaky"]["last_error"].endswith("HTTP 500 INTERNAL SERVER ERROR")
    assert rows["flaky"]["next_due"] == "2026-11-29T14:01:00+00:00"  # 30 min x 2^2 after the last try
    assert rows["gone"]["state"] == "disabled" and rows["gone"]["next_due"] is None
    assert rows["never"]["state"] == "disabled"

    table = io.StringIO()
    print_status(config, clock(), table, as_json=False)
    lines = table.getvalue().splitlines()
    assert lines[0].split()[:3] == ["SOURCE", "STATE", "LAST"]
    by_name = {line.split()[0]: line for line in lines[1:]}
    assert "blocked by robots" in by_name["robots"]
    assert "backing off" in by_name["flaky"] and "2026-11-29 14:01" in by_name["flaky"]
    assert "HTTP 500" in by_name["flaky"]


def test_status_before_any_run_creates_nothing(make_config, clock, tmp_path) -> None:
    config = make_config("- name: f\n  type: feed\n  url: https://example.org/f.xml\n")
    out = io.StringIO()
    print_status(config, clock(), out, as_json=True)
    (row,) = json.loads(out.getvalue())
    assert row["state"] == "new" and row["next_due"] == clock().isoformat()
    assert not (tmp_path / "state").exists()


def test_status_prints_times_on_the_sites_clock_with_its_zone(
    httpserver: HTTPServer, tmp_path, clock
) -> None:
    from newsdesk.config import load_config

    from helpers import write_config

    httpserver.expect_request("/ok").respond_with_data(page(card("A", "/a")), content_type="text/html")
    path = write_config(tmp_path, html_source("paris", [httpserver.url_for("/ok")], every="30m"))
    path.write_text(
        path.read_text().replace("  language: en\n", "  language: fr\n  timezone: Europe/Paris\n")
    )
    config = load_config(path)
    run(config, now=clock)  # 12:00 UTC
    table = io.StringIO()
    print_status(config, clock(), table, as_json=False)
    row = table.getvalue().splitlines()[1]
    assert "2026-11-29 13:00 CET" in row and "2026-11-29 13:30 CET" in row  # last success, next due
    out = io.StringIO()
    print_status(config, clock(), out, as_json=True)
    assert json.loads(out.getvalue())[0]["last_success"] == "2026-11-29T12:00:00+00:00"  # data stays UTC
