"""`render: browser` in real headless Chromium over loopback HTTP: a listing a script builds from a JSON
endpoint after load is read only with it; a page that carries its items in `__NEXT_DATA__` is read
without starting a browser; images are never requested; a missing Chromium is one line.

Chromium is Debian's package (.ci/run installs it and sets NEWSDESK_REQUIRE_BROWSER, so CI fails rather
than skips when it is missing).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from newsdesk.cli import main
from newsdesk.config import load_config
from newsdesk.fetch import browser
from newsdesk.pipeline import run
from newsdesk.preview import preview_data

from helpers import FIXTURES, Clock, write_config

if not browser.CHROMIUM.exists():
    if os.environ.get("NEWSDESK_REQUIRE_BROWSER"):
        raise RuntimeError("NEWSDESK_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

SHELL = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>City news</title></head>
<body><main><h1>News</h1><ul id="news"></ul><img src="/banner.png" alt=""></main>
<script>
fetch('/api/items.json').then(r => r.json()).then(items => {
  const list = document.getElementById('news');
  for (const item of items) {
    const li = document.createElement('li');
    li.className = 'news-item';
    li.innerHTML = `<img src="${item.image}" alt=""><h3><a href="${item.url}">${item.title}</a></h3>` +
      `<time datetime="${item.date}">${item.date}</time><p>${item.summary}</p>`;
    list.appendChild(li);
  }
});
</script></body></html>"""
ITEMS = [
    {
        "url": "/news/bridge-reopens",
        "title": "The old bridge reopens to cyclists",
        "date": "2026-11-20",
        "summary": "After eight months of works the bridge is open again.",
        "image": "/img/bridge.jpg",
    },
    {
        "url": "/news/library-hours",
        "title": "Longer library hours in December",
        "date": "2026-11-18",
        "summary": "The central library opens until 10 pm on weekdays.",
        "image": "/img/library.jpg",
    },
]
SELECT = "select: {item: li.news-item, title: h3, link: h3 a@href, date: time, summary: p, image: img}"


@pytest.fixture
def city(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/news").respond_with_data(SHELL, content_type="text/html")
    httpserver.expect_request("/api/items.json").respond_with_data(
        json.dumps(ITEMS), content_type="application/json"
    )
    return httpserver


def paths(server: HTTPServer) -> list[str]:
    return [request.path for request, _ in server.log]


def test_a_listing_built_by_a_script_is_read_only_with_render_browser(
    city: HTTPServer, tmp_path: Path
) -> None:
    url = city.url_for("/news")
    plain = load_config(write_config(tmp_path, f"- name: city\n  type: html\n  url: {url}\n  {SELECT}\n"))
    data = preview_data(plain, plain.source("city"), now=Clock())
    assert data["items"] == []
    assert "an empty shell built by JavaScript" in data["shells"][url]
    rendered_before = browser.shared_browser().rendered
    config = load_config(
        write_config(tmp_path, f"- name: city\n  type: html\n  url: {url}\n  render: browser\n  {SELECT}\n")
    )
    clock = Clock()
    assert not run(config, now=clock).failed
    assert browser.shared_browser().rendered == rendered_before + 1
    atom = (config.output_dir / "all.atom").read_text(encoding="utf-8")
    assert "The old bridge reopens to cyclists" in atom and "Longer library hours in December" in atom
    assert "/api/items.json" in paths(city)  # the page's own script asked for its data
    assert not any(path.endswith((".png", ".jpg")) for path in paths(city))  # images never requested
    # The shell's HTML does not change while its news do: it is rendered again at every refresh.
    city.clear_log()
    clock.advance(hours=1)
    assert not run(config, now=clock).failed
    assert "/api/items.json" in paths(city)


def test_a_page_that_carries_its_items_as_data_needs_no_browser(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    page = (FIXTURES / "discover" / "fr-ecole-next.html").read_bytes()
    httpserver.expect_request("/actualites").respond_with_data(page, content_type="text/html")
    url = httpserver.url_for("/actualites")
    config = load_config(
        write_config(
            tmp_path, f"- name: ecole\n  type: auto\n  url: {url}\n  render: browser\n  language: fr\n"
        )
    )
    rendered_before = browser.shared_browser().rendered
    assert not run(config, now=Clock()).failed
    assert browser.shared_browser().rendered == rendered_before
    assert "Portes ouvertes le 30 janvier" in (config.output_dir / "all.atom").read_text(encoding="utf-8")


def test_discover_renders_an_app_shell_and_says_render_browser(
    city: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, "[]")
    assert main(["discover", city.url_for("/news")]) == 0
    out = capsys.readouterr().out
    assert "  render: browser\n  select:\n    item: li.news-item\n" in out
    assert "The old bridge reopens to cyclists" in out


def test_without_chromium_a_rendered_source_fails_with_one_line(
    city: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    url = city.url_for("/news")
    config = load_config(
        write_config(tmp_path, f"- name: city\n  type: html\n  url: {url}\n  render: browser\n  {SELECT}\n")
    )
    report = run(config, now=Clock())
    assert [failed.source for failed in report.failed] == ["city"]
    (error,) = report.failed[0].errors
    assert f"render: browser needs Chromium at {tmp_path / 'no-chromium'}: apt-get install chromium" in error
    assert "\n" not in error
