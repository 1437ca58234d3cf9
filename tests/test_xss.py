"""Every vector of tests/fixtures/xss/vectors.tsv (name, why, payload) placed in a card's title,
summary, link, label and image: none survives into any output, and the text stays readable."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree
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


# --- titles are text ------------------------------------------------------------------------------

ITEM = "<item><title>{title}</title><link>{base}/rss/{n}</link><guid>{base}/rss/{n}</guid>"
ITEM += "<description>Story number {n} of the RSS feed.</description></item>"
ENTRY = "<entry>{title}<id>{base}/atom/{n}</id><updated>2026-11-2{n}T09:00:00Z</updated>"
ENTRY += '<link href="{base}/atom/{n}"/><summary>Story number {n} of the Atom feed.</summary></entry>'
# (as the feed writes it, as it must be published): readers render RSS titles as HTML, validators refuse
# titles holding HTML; scripts and styles are dropped as a browser would not show them.
RSS_TITLES = [
    ("Open day &lt;script&gt;alert(1)&lt;/script&gt;", "Open day"),
    ("Vector 1 &lt;img src=x onerror=alert(1)&gt;", "Vector 1"),
    ("<![CDATA[Lab <b>news</b> <style>b{}</style>today]]>", "Lab news today"),
    ("Twice &amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; escaped", "Twice escaped"),
    ("Budget: a &lt; b and 5 &gt; 3", "Budget: a < b and 5 > 3"),
]
ATOM_TITLES = [
    ('<title type="text">Atom open house &lt;script&gt;alert(1)&lt;/script&gt;</title>', "Atom open house"),
    ('<title type="html">Vector 2 &lt;img src=x onerror=alert(1)&gt;</title>', "Vector 2"),
    (
        '<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Seminar <b>R&amp;D</b></div></title>',
        "Seminar R&D",
    ),
    ('<title type="html">Ratio a &amp;lt; b</title>', "Ratio a < b"),
]
PAGE_TITLE = ("Vector 3 &lt;img src=x onerror=alert(1)&gt;", "Vector 3")
JSON_TITLE = ("JSON <script>alert(1)</script>day", "JSON day")


@pytest.fixture(scope="module")
def titled(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """An RSS feed, an Atom feed, a JSON Feed and a page, with markup in their titles, run through."""
    from newsdesk.config import load_config

    from helpers import card, html_source, page, write_config

    server = HTTPServer(host="127.0.0.1", port=0)
    server.no_handler_status_code = 404
    server.start()
    try:
        base = server.url_for("").rstrip("/")
        items = "".join(ITEM.format(title=t, base=base, n=n) for n, (t, _) in enumerate(RSS_TITLES))
        rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>R</title>{items}</channel></rss>'
        entries = "".join(ENTRY.format(title=t, base=base, n=n) for n, (t, _) in enumerate(ATOM_TITLES))
        atom = (
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
            f"<id>{base}/atom</id><updated>2026-11-29T09:00:00Z</updated>{entries}</feed>"
        )
        item = {"id": "j1", "url": f"{base}/json/1", "title": JSON_TITLE[0], "content_text": "A JSON story."}
        document = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [item]}
        server.expect_request("/rss").respond_with_data(rss, content_type="application/rss+xml")
        server.expect_request("/atom").respond_with_data(atom, content_type="application/atom+xml")
        server.expect_request("/json").respond_with_json(document)
        server.expect_request("/page").respond_with_data(
            page(card(PAGE_TITLE[0], "/page/1", summary="A page story.")), content_type="text/html"
        )
        feeds = "".join(
            f"- name: {name}\n  type: feed\n  url: {server.url_for('/' + name)}\n"
            for name in ("rss", "atom", "json")
        )
        folder = tmp_path_factory.mktemp("titles")
        config = load_config(write_config(folder, feeds + html_source("page", [server.url_for("/page")])))
        assert not run(config).failed
        return config
    finally:
        server.clear()
        server.stop()


def test_titles_are_published_as_plain_text_in_every_format(titled: Config) -> None:
    expected = {shown for _, shown in RSS_TITLES + ATOM_TITLES + [PAGE_TITLE, JSON_TITLE]}
    atom = etree.fromstring((titled.output_dir / "all.atom").read_bytes())
    rss = etree.fromstring((titled.output_dir / "all.rss").read_bytes())
    published = {
        "atom": [str(e.text) for e in atom.iterfind("{http://www.w3.org/2005/Atom}entry/{*}title")],
        "rss": [str(e.text) for e in rss.iterfind("channel/item/title")],
        "json": [str(i["title"]) for i in json.loads((titled.output_dir / "all.json").read_text())["items"]],
    }
    for name, titles in published.items():
        assert set(titles) == expected, name
        assert all(
            "<" not in title for title in titles if title not in {"Budget: a < b and 5 > 3", "Ratio a < b"}
        )


# --- links are http(s) ------------------------------------------------------------------------------

# As written in an HTML attribute or feed text: each is a script or data link once a browser (or a
# reader that puts the feed's text into an href) decodes it; none may become "https://site/&#106;...".
HOSTILE_LINKS = [
    "&amp;#106;avascript:alert(1)",
    "&#106;avascript:alert(2)",
    "java&#x09;script:alert(3)",
    "java&amp;#x09;script:alert(4)",
    "  JavaScript:alert(5)",
    "data:text/html,&lt;script&gt;alert(6)&lt;/script&gt;",
    "vbscript:msgbox(7)",
]


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A page, an RSS feed and an Atom feed whose links are scripts in disguise, and one honest link each."""
    from newsdesk.config import load_config

    from helpers import card, html_source, page, write_config

    server = HTTPServer(host="127.0.0.1", port=0)
    server.no_handler_status_code = 404
    server.start()
    try:
        links = [*HOSTILE_LINKS, "honest/{kind}"]
        cards = [
            card(f"Page card {n}", link.format(kind="page"), summary=f"Card {n}.")
            for n, link in enumerate(links)
        ]
        items = "".join(
            f"<item><title>RSS item {n}</title><link>{link.format(kind='rss')}</link><guid>g{n}</guid>"
            f"<description>Item {n}.</description></item>"
            for n, link in enumerate(links)
        )
        entries = "".join(
            f'<entry><title>Atom entry {n}</title><link href="{link.format(kind="atom")}"/><id>e{n}</id>'
            f"<updated>2026-11-20T09:00:00Z</updated><summary>Entry {n}.</summary></entry>"
            for n, link in enumerate(links)
        )
        server.expect_request("/news/page").respond_with_data(page(*cards), content_type="text/html")
        server.expect_request("/news/rss").respond_with_data(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>R</title>{items}</channel></rss>',
            content_type="application/rss+xml",
        )
        server.expect_request("/news/atom").respond_with_data(
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>a</id>'
            f"<updated>2026-11-20T09:00:00Z</updated>{entries}</feed>",
            content_type="application/atom+xml",
        )
        feeds = "".join(
            f"- name: {kind}\n  type: feed\n  url: {server.url_for('/news/' + kind)}\n"
            for kind in ("rss", "atom")
        )
        folder = tmp_path_factory.mktemp("links")
        config = load_config(
            write_config(folder, feeds + html_source("page", [server.url_for("/news/page")]))
        )
        assert not run(config).failed
        return config
    finally:
        server.clear()
        server.stop()


def test_links_that_are_not_http_are_dropped_not_made_relative(linked: Config) -> None:
    items = json.loads((linked.output_dir / "all.json").read_text(encoding="utf-8"))["items"]
    assert len(items) == 3 * (len(HOSTILE_LINKS) + 1)  # every story is kept, with or without its link
    urls = {item["title"]: item.get("url") for item in items}
    host = next(url for url in urls.values() if url).split("/news/")[0]
    assert {title: url for title, url in urls.items() if url} == {
        "Page card 7": f"{host}/news/honest/page",
        "RSS item 7": f"{host}/news/honest/rss",
        "Atom entry 7": f"{host}/news/honest/atom",
    }
    for path in (linked.output_dir / "all.atom", linked.output_dir / "all.rss"):
        text = path.read_text(encoding="utf-8").lower()
        assert not any(mark in text for mark in ("avascript", "vbscript", "script:", "data:", "&amp;#")), (
            path.name
        )
