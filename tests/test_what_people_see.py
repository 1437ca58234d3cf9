"""What a reader, a partner or a maintainer sees in the published files: days in the site's zone and
language, undated stories in the page's order, labels as the site wrote them, the site's icon, the
page a browser gets for a feed."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest
from lxml import etree
from pytest_httpserver import HTTPServer

from newsdesk.cli import main
from newsdesk.config import Config, load_config
from newsdesk.pipeline import run

from helpers import Clock, card, html_source, page, write_config

ATOM = "{http://www.w3.org/2005/Atom}"


def configure(
    tmp_path: Path, sources: str, *, language: str = "en", zone: str = "Europe/Paris", site: str = ""
) -> Config:
    path = write_config(tmp_path, sources)
    text = path.read_text(encoding="utf-8").replace(
        "  language: en\n", f"  language: {language}\n  timezone: {zone}\n{site}", 1
    )
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def serve_page(httpserver: HTTPServer, path: str, *cards: str) -> str:
    httpserver.expect_request(path).respond_with_data(page(*cards), content_type="text/html")
    return httpserver.url_for(path)


def atom(config: Config, name: str = "all") -> etree._Element:
    return etree.parse(str(config.output_dir / f"{name}.atom")).getroot()


def html(config: Config, name: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((config.output_dir / name).read_bytes())


def shown_days(config: Config, name: str) -> list[str]:
    """The days a person reads on a page (on index.html: in its "All news" section)."""
    root = html(config, name)
    scope = root.get_element_by_id("all") if name == "index.html" else root
    return [time.text_content() for time in scope.iter("time")]


# --- 1. days -------------------------------------------------------------------------------------


def test_a_french_card_shows_its_own_day_in_french_everywhere(tmp_path: Path, httpserver: HTTPServer) -> None:
    url = serve_page(
        httpserver,
        "/fr/",
        card("Journée portes ouvertes", "/fr/jpo", date="14 février 2024", label="Research"),
    )
    config = configure(tmp_path, html_source("ecole", [url], language="fr"), language="fr")
    assert not run(config, now=Clock()).failed

    for name in ("index.html", "embed/all.html", "all.html"):
        assert shown_days(config, name) == ["14 février 2024"], name  # not 2024-02-13, the UTC day
    (entry,) = atom(config).iter(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}published") == "2024-02-14T00:00:00+01:00"
    (item,) = json.loads((config.output_dir / "all.json").read_bytes())["items"]
    assert item["date_published"] == "2024-02-14T00:00:00+01:00"  # embed.js reads its day from here
    rss = etree.parse(str(config.output_dir / "all.rss")).getroot()
    assert rss.findtext("channel/item/pubDate") == "Wed, 14 Feb 2024 00:00:00 +0100"


def test_an_english_site_in_paris_shows_the_paris_day_in_english(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    url = serve_page(httpserver, "/en/", card("Open day", "/en/open-day", date="26 November 2026"))
    config = configure(tmp_path, html_source("school", [url]))
    assert not run(config, now=Clock()).failed
    assert shown_days(config, "index.html") == ["November 26, 2026"]
    assert shown_days(config, "research.html") == ["November 26, 2026"]


def test_a_source_zone_wins_over_the_site_zone(tmp_path: Path, httpserver: HTTPServer) -> None:
    url = serve_page(httpserver, "/ny/", card("Late meeting", "/ny/late", date="2026-11-26T22:30:00-05:00"))
    config = configure(tmp_path, html_source("campus", [url], timezone="America/New_York"))
    assert not run(config, now=Clock()).failed
    assert shown_days(config, "index.html") == ["November 26, 2026"]  # 27 November in Paris


def test_embed_js_reads_the_day_as_written_not_in_the_visitors_zone() -> None:
    from importlib import resources

    script = resources.files("newsdesk.publish").joinpath("assets", "embed.js").read_text(encoding="utf-8")
    assert "Date.UTC(" in script and 'timeZone: "UTC"' in script
    assert "new Date(item.date_published)" not in script


# --- 2. undated stories keep the page's order ------------------------------------------------------


def test_undated_stories_keep_the_order_of_the_page_and_of_the_source_list(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    first = [card(f"Town story {n}", f"/town/{n}", date=None, summary="") for n in range(1, 8)]
    second = [card(f"Blog post {n}", f"/blog/{n}", date=None) for n in range(1, 4)]
    town = serve_page(httpserver, "/town/", *first)
    blog = serve_page(httpserver, "/blog/", *second)
    # Listed town first although "blog" sorts first by name: the source list's order is kept.
    sources = html_source("town", [town]) + html_source("blog", [blog])
    config = configure(tmp_path, sources)
    clock = Clock()
    assert not run(config, now=clock).failed

    expected = [f"Town story {n}" for n in range(1, 8)] + [f"Blog post {n}" for n in range(1, 4)]
    titles = [entry.findtext(f"{ATOM}title") for entry in atom(config).iter(f"{ATOM}entry")]
    assert titles == expected
    items = json.loads((config.output_dir / "all.json").read_bytes())["items"]
    assert [item["title"] for item in items] == expected
    index_titles = [a.text_content() for a in html(config, "index.html").cssselect("#all li a")]
    assert index_titles == expected[:5]  # a partner's data-limit="5" shows the page's top five

    # No date a reader would take for the story's own: none in any format, none on the pages.
    assert not list(atom(config).iter(f"{ATOM}published"))
    assert b"<pubDate>" not in (config.output_dir / "all.rss").read_bytes()
    assert all("date_published" not in item for item in items)
    assert shown_days(config, "index.html") == []

    # A story that appears later on top of the page comes first.
    serve_page(httpserver, "/town/", card("Town story 0", "/town/0", date=None), *first)
    httpserver.clear_all_handlers()
    serve_page(httpserver, "/town/", card("Town story 0", "/town/0", date=None), *first)
    serve_page(httpserver, "/blog/", *second)
    clock.advance(hours=1)
    assert not run(config, now=clock).failed
    titles = [entry.findtext(f"{ATOM}title") for entry in atom(config).iter(f"{ATOM}entry")]
    assert titles == ["Town story 0", *expected]


def test_no_summary_means_no_title_twice(tmp_path: Path, httpserver: HTTPServer) -> None:
    url = serve_page(httpserver, "/n/", card("Only a title", "/n/1", summary=""))
    config = configure(tmp_path, html_source("n", [url]))
    assert not run(config, now=Clock()).failed
    (entry,) = atom(config).iter(f"{ATOM}entry")
    # Atom readers and the validator want some text: where the story is, not its title again.
    assert entry.findtext(f"{ATOM}summary") == "localhost" and entry.find(f"{ATOM}content") is None
    (item,) = json.loads((config.output_dir / "all.json").read_bytes())["items"]
    assert item["content_text"] == ""
    assert b"<description>" not in (config.output_dir / "all.rss").read_bytes().split(b"<item>")[1]


# --- 3. labels as the site wrote them -------------------------------------------------------------

LABELS = ["Höhenpark Killesberg", "Elektromobilität", "Événement", "Évènements", "Google Maps Platform"]


@pytest.fixture
def labelled(tmp_path: Path, httpserver: HTTPServer) -> Config:
    cards = [card(f"Story {n}", f"/l/{n}", label=label) for n, label in enumerate(LABELS)]
    config = configure(tmp_path, html_source("labels", [serve_page(httpserver, "/l/", *cards)]))
    assert not run(config, now=Clock()).failed
    return config


def test_labels_keep_their_accents_and_case_wherever_they_are_shown(labelled: Config) -> None:
    out = labelled.output_dir
    ids = ["hohenpark-killesberg", "elektromobilitat", "evenement", "evenements", "google-maps-platform"]
    assert all((out / f"{name}.atom").exists() for name in ids)  # ids (and file names) are ASCII slugs
    atom_labels = {c.get("term"): c.get("label") for c in atom(labelled).iter(f"{ATOM}category")}
    assert atom_labels == dict(zip(ids, LABELS, strict=True))
    rss = etree.parse(str(out / "all.rss")).getroot()
    assert sorted(c.text for c in rss.iter("category")) == sorted(LABELS)
    tags = [tag for item in json.loads((out / "all.json").read_bytes())["items"] for tag in item["tags"]]
    assert sorted(tags) == sorted(LABELS)
    headings = [h.text_content() for h in html(labelled, "index.html").iter("h2")]
    assert set(LABELS) <= set(headings)
    opml = etree.parse(str(out / "feeds.opml")).getroot()
    assert set(LABELS) <= {outline.get("text") for outline in opml.iter("outline")}
    assert atom(labelled, "evenement").findtext(f"{ATOM}title") == "Test news: Événement"


def test_check_names_labels_that_differ_only_by_accents_or_a_plural(
    labelled: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--config", str(labelled.path)]) == 0
    out = capsys.readouterr().out
    assert "'Événement' (evenement), 'Évènements' (evenements) differ only by accents" in out
    assert "'Höhenpark Killesberg'" in out  # the unconfigured label, as written


def test_labels_the_config_makes_one_category_are_one(tmp_path: Path, httpserver: HTTPServer) -> None:
    cards = [card("A", "/e/a", label="Événement"), card("B", "/e/b", label="Évènements")]
    url = serve_page(httpserver, "/e/", *cards)
    path = write_config(tmp_path, html_source("e", [url]))
    text = path.read_text(encoding="utf-8").replace(
        "categories:\n",
        "categories:\n  - id: events\n    title: Événements\n    aliases: [Événement, Évènements]\n",
        1,
    )
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    assert not run(config, now=Clock()).failed
    assert len(list(atom(config, "events").iter(f"{ATOM}entry"))) == 2
    assert not (config.output_dir / "evenement.atom").exists()


# --- 5. feeds that look like their site ------------------------------------------------------------


def test_the_default_icon_and_a_configured_logo(tmp_path: Path, httpserver: HTTPServer) -> None:
    url = serve_page(httpserver, "/i/", card("Story", "/i/1"))
    config = configure(tmp_path, html_source("i", [url]), site="  logo: https://cdn.example.org/logo.png\n")
    assert not run(config, now=Clock()).failed
    out = config.output_dir
    assert (out / "icon.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    feed = atom(config, "research")
    assert feed.findtext(f"{ATOM}icon") == "https://news.example.org/icon.png"
    assert feed.findtext(f"{ATOM}logo") == "https://cdn.example.org/logo.png"
    rss = etree.parse(str(out / "research.rss")).getroot()
    assert rss.findtext("channel/image/url") == "https://cdn.example.org/logo.png"
    assert rss.findtext("channel/image/link") == rss.findtext("channel/link")
    document = json.loads((out / "research.json").read_bytes())
    assert document["icon"] == document["favicon"] == "https://news.example.org/icon.png"
    assert html(config, "index.html").cssselect("link[rel=icon]")[0].get("href") == document["icon"]


def test_a_configured_icon_file_is_published(tmp_path: Path, httpserver: HTTPServer) -> None:
    from importlib import resources

    icon = resources.files("newsdesk.publish").joinpath("assets", "icon.png").read_bytes()
    (tmp_path / "brand.png").write_bytes(icon[:-12] + icon[-12:])
    url = serve_page(httpserver, "/i/", card("Story", "/i/1"))
    config = configure(tmp_path, html_source("i", [url]), site="  icon: brand.png\n")
    assert not run(config, now=Clock()).failed
    assert atom(config).findtext(f"{ATOM}icon") == "https://news.example.org/icon.png"
    assert (config.output_dir / "icon.png").read_bytes() == icon


def test_a_missing_icon_file_is_a_config_error_on_its_line(tmp_path: Path) -> None:
    from newsdesk.errors import ConfigError

    path = write_config(tmp_path, html_source("i", ["https://example.org/"]))
    path.write_text(path.read_text().replace("  language: en\n", "  language: en\n  icon: nope.png\n"))
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert "site.icon" in str(raised.value) and "no such image file" in str(raised.value)


def test_a_category_feed_points_at_its_own_section(tmp_path: Path, httpserver: HTTPServer) -> None:
    url = serve_page(httpserver, "/s/", card("Story", "/s/1"))
    config = configure(tmp_path, html_source("s", [url]))
    assert not run(config, now=Clock()).failed
    alternate = [
        link.get("href")
        for link in atom(config, "research").iter(f"{ATOM}link")
        if link.get("rel") == "alternate" and link.getparent().tag == f"{ATOM}feed"
    ]
    assert alternate == ["https://news.example.org/#research"]
    assert html(config, "index.html").get_element_by_id("research").tag == "section"
    opml = etree.parse(str(config.output_dir / "feeds.opml")).getroot()
    research = next(o for o in opml.iter("outline") if o.get("xmlUrl", "").endswith("/research.atom"))
    assert research.get("htmlUrl") == "https://news.example.org/#research"
    assert atom(config, "research").findtext(f"{ATOM}subtitle") == (
        "The latest stories from Test news in Research."
    )


def test_stories_in_another_language_carry_lang(tmp_path: Path, httpserver: HTTPServer) -> None:
    url = serve_page(httpserver, "/fr/", card("Portes ouvertes", "/fr/po"))
    config = configure(tmp_path, html_source("fr", [url], language="fr"))
    assert not run(config, now=Clock()).failed
    for name in ("index.html", "embed/all.html", "all.html"):
        marked = html(config, name).cssselect("[lang=fr]")
        assert marked and marked[0].text_content().strip().startswith("Portes ouvertes"), name


# --- 6. a feed opened in a browser ---------------------------------------------------------------


def test_every_feed_has_a_page_for_browsers(tmp_path: Path, httpserver: HTTPServer) -> None:
    url = serve_page(httpserver, "/b/", card("Café &amp; co", "/b/1"))
    config = configure(tmp_path, html_source("b", [url]))
    assert not run(config, now=Clock()).failed
    for name in ("all", "research"):
        view = html(config, f"{name}.html")
        assert [h.text_content() for h in view.iter("h2")] == ["Café & co"]
        assert f"https://news.example.org/{name}.atom" in view.text_content()  # what to paste in a reader


def test_serve_answers_favicon_ico_and_the_icon(tmp_path: Path, httpserver: HTTPServer) -> None:
    import requests

    from helpers import serving

    url = serve_page(httpserver, "/i/", card("Story", "/i/1"))
    config = configure(tmp_path, html_source("i", [url]))
    assert not run(config, now=Clock()).failed
    for base in serving(config):
        favicon = requests.get(f"{base}/favicon.ico", timeout=5)
        assert favicon.status_code == 200 and favicon.headers["Content-Type"] == "image/x-icon"
        assert favicon.content == (config.output_dir / "favicon.ico").read_bytes()
        icon = requests.get(f"{base}/icon.png", timeout=5, headers={"Accept-Encoding": "gzip"})
        assert icon.headers["Content-Type"] == "image/png" and "Content-Encoding" not in icon.headers
