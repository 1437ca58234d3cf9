"""Every vector of tests/fixtures/xss/vectors.tsv (name, why, payload) placed in a card's title,
summary, link, label and image: none survives into any output, and the text stays readable."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import feedparser
import lxml.html
import pytest
from pytest_httpserver import HTTPServer

from newsdesk.config import Config
from newsdesk.pipeline import run

from helpers import FIXTURES

VECTORS = list(csv.DictReader((FIXTURES / "xss" / "vectors.tsv").open(encoding="utf-8"), delimiter="\t"))
ALLOWED_TAGS = {
    "div",
    "p",
    "br",
    "b",
    "i",
    "em",
    "strong",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "sub",
    "sup",
}


def assert_harmless(markup: str, where: str) -> None:
    """Markup (a summary) may only hold the allowed tags, no handlers, only http(s) links."""
    if not markup.strip():
        return
    fragment = lxml.html.fragment_fromstring(markup, create_parent="div")
    for element in fragment.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag in ALLOWED_TAGS, (where, element.tag, markup[:200])
        for name, value in element.attrib.items():
            assert name in ("href", "title"), (where, name, markup[:200])
            if name == "href":
                assert value.startswith(("http://", "https://")), (where, value)


def test_the_corpus_is_large() -> None:
    assert len(VECTORS) >= 100
    assert len({v["name"] for v in VECTORS}) == len(VECTORS)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Config:
    from werkzeug.serving import make_server  # noqa: F401 - pytest-httpserver's own dependency

    from newsdesk.config import load_config

    from helpers import html_source, write_config

    folder = tmp_path_factory.mktemp("xss")
    server = HTTPServer(host="127.0.0.1", port=0)
    server.no_handler_status_code = 404
    server.start()
    try:
        cards = "".join(
            f'<article class="news-teaser"><div class="news-teaser__tags">{v["payload"]}</div>'
            f'<h3 class="news-teaser__title"><a href="/v/{n}">Vector {n} {v["payload"]}</a></h3>'
            f'<p class="news-teaser__excerpt">Summary {n}: {v["payload"]}</p>'
            f'<img src="{v["payload"]}"></article>'
            for n, v in enumerate(VECTORS)
        )
        server.expect_request("/page").respond_with_data(
            f"<html><body>{cards}</body></html>", content_type="text/html"
        )
        config = load_config(
            write_config(folder, html_source("xss", [server.url_for("/page")]), extra="max_entries: 1000\n")
        )
        assert not run(config).failed
        return config
    finally:
        server.clear()
        server.stop()


def _files(config: Config) -> list[Path]:
    return [p for p in config.output_dir.rglob("*") if p.suffix in (".atom", ".rss", ".json", ".html")]


def test_no_vector_survives_into_feeds(published: Config) -> None:
    for path in _files(published):
        if path.suffix == ".json":
            document = json.loads(path.read_text(encoding="utf-8"))
            for item in document["items"]:
                for key in ("content_html", "summary", "title", "url", "image"):
                    value = str(item.get(key, ""))
                    if key == "content_html":
                        assert_harmless(value, path.name)
                    if key in ("url", "image") and value:
                        assert value.startswith(("http://", "https://")), value
        elif path.suffix in (".atom", ".rss"):
            feed = feedparser.parse(path.read_bytes())
            for entry in feed.entries:
                assert_harmless(entry.get("summary", ""), path.name)
                for link in entry.get("links", []):
                    assert link["href"].startswith(("http://", "https://", "tag:")), link["href"]


def test_no_vector_survives_into_pages(published: Config) -> None:
    for path in _files(published):
        if path.suffix != ".html":
            continue
        document = lxml.html.fromstring(path.read_bytes())
        assert not document.xpath("//script|//iframe|//object|//embed|//svg|//img|//form|//base[@href]"), (
            path.name
        )
        for element in document.iter():
            if not isinstance(element.tag, str):
                continue
            for name, value in element.attrib.items():
                assert not name.lower().startswith("on"), (path.name, name)
                if name in ("href", "src"):
                    assert not value.lower().lstrip().startswith(("javascript:", "vbscript:", "data:")), value


def test_text_stays_readable(published: Config) -> None:
    titles = {e.title for e in feedparser.parse((published.output_dir / "all.atom").read_bytes()).entries}
    # Some vectors (<plaintext>, unclosed <textarea>, <xmp>...) swallow the rest of the page, as they
    # would in a browser: the cards after them are gone from the page itself, not lost by us.
    assert len(titles) >= 0.8 * len(VECTORS)
    assert all(title.startswith("Vector ") for title in titles)
