"""Every output format parsed back and checked against the same entries (Atom, RSS, JSON, OPML, HTML)."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import lxml.html
import pytest
import rnc2rng
from lxml import etree
from pytest_httpserver import HTTPServer

from newsdesk.config import Config
from newsdesk.pipeline import run

from helpers import FIXTURES, card, html_source, page

ATOM = "{http://www.w3.org/2005/Atom}"
XSS_TITLE = '<img src=x onerror="alert(1)">Payload title<script>alert(2)</script>'
XSS_SUMMARY = (
    '<span onclick="alert(3)">Summary</span> <a href="javascript:alert(4)">link</a><script>alert(5)</script>'
)


@pytest.fixture(scope="module")
def atom_schema() -> etree.RelaxNG:
    rng = rnc2rng.dumps(rnc2rng.load(str(FIXTURES.parent / "data" / "atom.rnc")))
    return etree.RelaxNG(etree.fromstring(rng.replace('xmlns:local=""', "").encode()))


@pytest.fixture
def published(httpserver: HTTPServer, make_config, clock) -> Config:
    cards = [
        card(
            "Wind turbines in the sky",
            "/en/news/wind",
            label="Company | Innovation",
            date="2026-11-20T09:30:00Z",
        ),
        card(
            "Metal recycling",
            "/en/news/metal",
            label="Research",
            summary="Greener <b>methods</b>.",
            date="2026-11-13T10:00:00Z",
        ),
        card("Open day", "/en/news/open-day", label="Institute | Training", date="2026-11-10T10:00:00Z"),
        card(XSS_TITLE, "/en/news/xss", label="Research", summary=XSS_SUMMARY, date="2026-11-05T10:00:00Z"),
    ]
    httpserver.expect_request("/en/").respond_with_data(page(*cards), content_type="text/html")
    config = make_config(html_source("site", [httpserver.url_for("/en/")]))
    assert not run(config, now=clock).failed
    return config


def feed_names(config: Config) -> list[str]:
    return sorted(p.stem for p in config.output_dir.glob("*.atom"))


def test_same_entries_same_order_same_ids_in_atom_rss_and_json(published: Config) -> None:
    assert feed_names(published) == [
        "all", "company", "company-innovation", "institute", "institute-training", "press", "research",
    ]  # fmt: skip
    for name in feed_names(published):
        atom = feedparser.parse((published.output_dir / f"{name}.atom").read_bytes())
        rss = feedparser.parse((published.output_dir / f"{name}.rss").read_bytes())
        document = json.loads((published.output_dir / f"{name}.json").read_text(encoding="utf-8"))
        assert not atom.bozo and not rss.bozo, name
        assert atom.version == "atom10" and rss.version == "rss20"
        atom_rows = [(e.id, e.title, e.get("link")) for e in atom.entries]
        rss_rows = [(e.id, e.title, e.get("link")) for e in rss.entries]
        json_rows = [(i["id"], i["title"], i.get("url")) for i in document["items"]]
        assert atom_rows == rss_rows == json_rows, name
        assert [e.published for e in atom.entries] == [i["date_published"] for i in document["items"]]


def test_rss_has_self_link_and_non_permalink_guids(published: Config) -> None:
    root = etree.parse(str(published.output_dir / "research.rss")).getroot()
    channel = root.find("channel")
    assert channel is not None
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None and self_link.get("rel") == "self"
    assert self_link.get("href") == "https://news.example.org/research.rss"
    assert channel.findtext("link") == "https://news.example.org/#research"  # its section of index.html
    guids = channel.findall("item/guid")
    assert guids and all(g.get("isPermaLink") == "false" and g.text.startswith("tag:") for g in guids)


def test_json_feed_1_1_required_fields(published: Config) -> None:
    document = json.loads((published.output_dir / "all.json").read_text(encoding="utf-8"))
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"] == "Test news"
    assert document["feed_url"] == "https://news.example.org/all.json"
    assert document["home_page_url"] == "https://news.example.org/"
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_html" in item or "content_text" in item
    (metal,) = [i for i in document["items"] if i["title"] == "Metal recycling"]
    assert metal["content_html"] == "Greener <b>methods</b>."
    assert metal["summary"] == "Greener methods."
    assert metal["tags"] == ["Research"]


def test_atom_is_valid_against_the_rfc_4287_relax_ng_schema(published: Config, atom_schema) -> None:
    for name in feed_names(published):
        document = etree.parse(str(published.output_dir / f"{name}.atom"))
        assert atom_schema.validate(document), (name, atom_schema.error_log)


def test_feeds_reference_the_xslt_view_and_it_is_published(published: Config) -> None:
    for name in ("all.atom", "all.rss"):
        head = (published.output_dir / name).read_bytes()[:200]
        assert b'<?xml-stylesheet type="text/xsl" href="feed.xsl"?>' in head
    xsl = etree.parse(str(published.output_dir / "feed.xsl"))
    transform = etree.XSLT(xsl)
    html = transform(etree.parse(str(published.output_dir / "all.atom")))
    text = str(html)
    assert "Wind turbines in the sky" in text and "This is a news feed" in text


def test_opml_lists_every_feed_grouped_by_hierarchy(published: Config) -> None:
    root = etree.parse(str(published.output_dir / "feeds.opml")).getroot()
    assert root.get("version") == "2.0"
    feeds = {o.get("xmlUrl") for o in root.iter("outline") if o.get("type") == "rss"}
    assert feeds == {f"https://news.example.org/{name}.atom" for name in feed_names(published)}
    (company,) = [o for o in root.find("body") if o.get("text") == "Company"]
    inside = [o.get("xmlUrl") for o in company]
    assert inside == [
        "https://news.example.org/company.atom",
        "https://news.example.org/company-innovation.atom",
    ]


def test_index_html_lists_categories_with_autodiscovery(published: Config) -> None:
    document = lxml.html.parse(str(published.output_dir / "index.html")).getroot()
    alternates = document.xpath("//head/link[@rel='alternate']")
    assert len(alternates) == 3 * len(feed_names(published))
    assert {a.get("type") for a in alternates} == {
        "application/atom+xml", "application/rss+xml", "application/feed+json",
    }  # fmt: skip
    assert document.xpath("//meta[@name='viewport']")
    sections = {s.get("id"): s for s in document.xpath("//section")}
    assert set(sections) == set(feed_names(published))
    research_titles = [a.text_content() for a in sections["research"].xpath(".//li/a")]
    assert research_titles[0] == "Metal recycling"
    links = [a.get("href") for a in sections["research"].xpath(".//p[@class='subscribe']/a")]
    assert links == ["research.atom", "research.rss", "research.json", "embed/research.html"]
    assert not document.xpath("//script")


@pytest.mark.parametrize("name", ["index.html", "embed/research.html", "embed/all.html"])
def test_payloads_are_inert_text_in_pages(published: Config, name: str) -> None:
    raw = (published.output_dir / name).read_text(encoding="utf-8")
    document = lxml.html.fromstring(raw)
    assert not document.xpath("//script | //img | //*[@onerror] | //*[@onclick]")
    assert not [
        a
        for a in document.xpath("//a/@href")
        if not a.startswith(("http://", "https://", "embed/", "feeds.opml")) and "." not in a
    ]
    assert all(not href.lower().startswith("javascript:") for href in document.xpath("//a/@href"))
    assert "Payload title" in document.text_content()  # the text stays readable
    assert "&lt;img" in raw or "Payload title" in raw


def test_payloads_never_survive_into_feeds(published: Config) -> None:
    for path in published.output_dir.glob("*.*"):
        if path.suffix not in (".atom", ".rss", ".json"):
            continue
        parsed = feedparser.parse(path.read_bytes()) if path.suffix != ".json" else None
        text = path.read_text(encoding="utf-8")
        assert "javascript:" not in text and "onclick" not in text and "onerror" not in text, path.name
        if parsed is not None:
            for entry in parsed.entries:
                assert "<script" not in entry.get("summary", "") and "<img" not in entry.title


def test_every_output_is_byte_identical_on_an_unchanged_rerun(published: Config, clock) -> None:
    before = {p: p.read_bytes() for p in Path(published.output_dir).rglob("*") if p.is_file()}
    clock.advance(hours=1)
    report = run(published, now=clock)
    assert report.publish is not None and report.publish.written == []
    after = {p: p.read_bytes() for p in Path(published.output_dir).rglob("*") if p.is_file()}
    assert after == before
