"""Feeds (RSS, Atom, JSON Feed) and item files -> RawItems, then normalized."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.errors import ExtractError
from newsdesk.extract.feed import extract_feed
from newsdesk.extract.items import extract_item_file
from newsdesk.models import Page

from helpers import FIXTURES

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def _page(name: str, url: str, content_type: str = "application/xml") -> Page:
    body = (FIXTURES / "feeds" / name).read_bytes()
    return Page(url, 200, {"content-type": content_type}, body, NOW)


def test_atom_entries_with_relative_links_content_and_thumbnail() -> None:
    items = extract_feed(_page("atom-full.xml", "https://lab.example.org/news/feed.atom"), "lab")
    assert [item.title for item in items] == ["Seminar on ocean acoustics", "New partnership"]
    first = items[0]
    assert first.link == "https://lab.example.org/news/seminar-ocean-acoustics"
    assert first.guid == "tag:lab.example.org,2026:1"
    assert first.categories == ("Research",)
    assert first.image == "https://lab.example.org/img/sea.jpg"
    assert first.date_text is not None and first.date_text.startswith("2026-11-21T10:00:00")
    assert first.summary is not None
    assert "Long content" in first.summary  # the richer of summary and content
    assert "https://lab.example.org/people/ada" in first.summary
    assert "<script" not in first.summary
    assert items[1].date_text == "2026-11-02T08:00:00Z"  # only updated: used as the date
    assert items[1].categories == ("Partnerships",)


def test_rss_without_guid_in_latin1() -> None:
    (item,) = extract_feed(_page("rss-noguid.xml", "https://www.example.org/press.rss"), "press")
    assert item.title == "Café des sciences"
    assert item.link == "https://www.example.org/press/cafe?utm_source=rss"
    assert item.date_text == "Thu, 05 Nov 2026 18:00:00 +0100"
    assert item.image == "https://www.example.org/img/cafe.png"
    assert item.categories == ("Research",)


def test_json_feed() -> None:
    (item,) = extract_feed(
        _page("feed.json", "https://json.example.org/feed.json", "application/feed+json"), "j"
    )
    assert item.title == "A JSON Feed item"
    assert item.link == "https://json.example.org/items/1"
    assert item.summary is not None and "<b>bold</b>" in item.summary
    assert item.date_text is not None
    assert item.categories == ("Research",)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><p>Not a feed</p></body></html>",
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>cut",
        b"",
        b"\x00\x01garbage",
    ],
    ids=["html-page", "truncated", "empty", "binary"],
)
def test_not_a_feed_is_an_extract_error(body: bytes) -> None:
    with pytest.raises(ExtractError, match=r"https://x\.example/feed"):
        extract_feed(Page("https://x.example/feed", 200, {"content-type": "application/xml"}, body, NOW), "x")


def test_item_file_yaml() -> None:
    body = b"""
- title: Hand written
  link: https://www.example.org/a
  summary: Some <b>text</b>
  category: Research
  date: 2026-11-12
- title: Several labels
  categories: [Research, Press]
  date: "12 November 2026"
"""
    first, second = extract_item_file(Page("file:///tmp/extra.yaml", 200, {}, body, NOW), "hand")
    assert first.title == "Hand written"
    assert first.link == "https://www.example.org/a"
    assert first.date_text == "2026-11-12"
    assert first.categories == ("Research",)
    assert second.link is None
    assert second.categories == ("Research", "Press")
    assert second.date_text == "12 November 2026"


def test_item_file_json() -> None:
    body = b'[{"title": "From JSON", "link": "https://e.example/j", "date": "2026-11-01T10:00:00Z"}]'
    (item,) = extract_item_file(Page("file:///tmp/extra.json", 200, {}, body, NOW), "hand")
    assert item.title == "From JSON"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"title: not a list", "must be a list"),
        (b"- just a string", r"item \[0\] must be a mapping"),
        (b"- {link: 'https://e.example/'}", r"item \[0\]: title is required"),
        (b"- {title: x, colour: red}", r"item \[0\]: unknown key 'colour'"),
        (b"- [unclosed", "invalid YAML/JSON"),
    ],
)
def test_bad_item_files_name_the_problem(body: bytes, message: str) -> None:
    with pytest.raises(ExtractError, match=message):
        extract_item_file(Page("file:///tmp/extra.yaml", 200, {}, body, NOW), "hand")


def test_html_entities_in_rss_are_read_and_untitled_items_kept() -> None:
    from newsdesk.config import parse_config
    from newsdesk.normalize.item import Normalizer

    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Caf&eacute; des sciences</title><link>http://e.example/c</link></item>"
        b"<item><description>No title here, just a description of the open day.</description>"
        b"<link>http://e.example/d</link></item></channel></rss>"
    )
    raw = extract_feed(
        Page("https://x.example/f", 200, {"content-type": "application/rss+xml"}, body, NOW), "s"
    )
    config = parse_config(
        "site: {title: T, url: 'https://n.example/', author: A}\n"
        "sources: [{name: s, type: feed, url: 'https://x.example/f'}]\n",
        Path("config.yaml"),
    )
    items = [Normalizer.for_source(config, config.sources[0]).normalize(r, NOW) for r in raw]
    assert [i.title for i in items if i] == [
        "Café des sciences",
        "No title here, just a description of the open day.",
    ]


def test_a_whole_article_in_a_summary_is_cut_to_a_teaser() -> None:
    from newsdesk.config import parse_config
    from newsdesk.models import RawItem
    from newsdesk.normalize.item import MAX_SUMMARY_CHARS, Normalizer

    config = parse_config(
        "site: {title: T, url: 'https://n.example/', author: A}\n"
        "sources: [{name: s, type: feed, url: 'https://x.example/f'}]\n",
        Path("config.yaml"),
    )
    huge = "<p>" + "word " * 100_000 + "</p>"
    item = Normalizer.for_source(config, config.sources[0]).normalize(
        RawItem("s", "https://x.example/f", title="Long", summary=huge, summary_is_html=True), NOW
    )
    assert item is not None
    assert len(item.summary_text) <= MAX_SUMMARY_CHARS + 1 and item.summary_text.endswith("…")
    assert len(item.summary_html) < 2 * MAX_SUMMARY_CHARS


NEWS_PAGE = """<!DOCTYPE html>
<html><head><title>News</title>{links}</head>
<body><article class="news-teaser"><h3><a href="/news/1">A story</a></h3></article></body></html>"""
ADVERTISED = (
    '<link rel="stylesheet" href="/site.css">'
    '<link rel="alternate" type="application/rss+xml" title="News" href="feed/news.xml">'
    '<link rel="alternate" type="application/atom+xml" href="https://cdn.example/news.atom">'
)


@pytest.mark.parametrize(
    ("links", "advice"),
    [
        (
            ADVERTISED,
            "use the feed it advertises, {base}/fr/feed/news.xml, as its url, or type: html with selectors",
        ),
        ("", "use type: html with selectors (it advertises no feed)"),
    ],
    ids=["advertising-a-feed", "advertising-none"],
)
def test_an_html_page_given_as_a_feed_says_what_to_use(
    httpserver, make_config, clock, links: str, advice: str
) -> None:
    from newsdesk.pipeline import run

    url = httpserver.url_for("/fr/actualites")
    httpserver.expect_request("/fr/actualites").respond_with_data(
        NEWS_PAGE.format(links=links), content_type="text/html; charset=utf-8"
    )
    config = make_config(f"- name: actus\n  type: feed\n  url: {url}\n")
    (refresh,) = run(config, now=clock).refreshes
    (error,) = refresh.errors
    base = httpserver.url_for("/").rstrip("/")
    assert error == f"source 'actus' {url}: an HTML page, not a feed: " + advice.format(base=base)


def test_a_broken_feed_served_as_html_is_still_a_broken_feed() -> None:
    body = b"<?xml version='1.0'?><rss version='2.0'><channel><title>cut"
    page = Page("https://x.example/feed", 200, {"content-type": "text/html"}, body, NOW)
    with pytest.raises(ExtractError, match="not a valid feed") as caught:
        extract_feed(page, "x")
    assert "type: html" not in str(caught.value)
