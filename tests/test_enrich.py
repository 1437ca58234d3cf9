"""Enrichment over HTTP: a listing without dates whose article pages carry JSON-LD, OpenGraph, `<time>`
or only a text date (five languages), a logo used as every card's image, an article that fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from newsdesk.cli import main
from newsdesk.config import load_config
from newsdesk.pipeline import run
from newsdesk.preview import preview_data

from helpers import Clock, write_config

LOGO = "/static/logo.png"


def listing(*cards: tuple[str, str, str]) -> str:
    """Cards with a title, a link and the site's logo as thumbnail; `extra` markup inside (a date)."""
    body = "".join(
        f'<li class="teaser"><img src="{LOGO}" alt=""><h3><a href="{link}">{title}</a></h3>{extra}</li>'
        for link, title, extra in cards
    )
    return (
        f"<html><head><title>News</title></head><body><main><ul class='news'>{body}</ul></main></body></html>"
    )


def article(head: str = "", body: str = "") -> str:
    head = f"<head><title>Story</title>{head}</head>"
    return f"<html>{head}<body><article><h1>Story</h1>{body}</article></body></html>"


JSONLD = json.dumps(
    {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Glider",
        "datePublished": "2026-11-20T09:00:00+01:00",
        "dateModified": "2026-11-22T10:00:00+01:00",
        "image": "https://cdn.example/glider.jpg",
        "description": "The glider came back with 12,000 profiles.",
    }
)
ARTICLES = {
    "/news/glider": article(f'<script type="application/ld+json">{JSONLD}</script>'),
    "/news/dataset": article(
        '<meta property="article:published_time" content="2026-11-19T08:00:00+01:00">'
        '<meta property="og:image" content="/img/dataset.jpg">'
        '<meta property="og:description" content="An open sonar dataset.">'
    ),
    "/news/tank": article(
        body='<p>By the lab, <time datetime="2026-11-18T12:00:00Z">18 Nov</time></p><p>'
        + "A new test tank for the acoustics team. " * 20
        + "</p>"
    ),
    "/news/broken": "",  # answers 500
    "/news/own-date": article('<meta property="article:published_time" content="2020-01-01T00:00:00Z">'),
}


@pytest.fixture
def site(httpserver: HTTPServer) -> HTTPServer:
    cards = [
        ("/news/glider", "Autonomous glider back from the Atlantic", ""),
        ("/news/dataset", "Sonar dataset released under an open licence", ""),
        ("/news/tank", "A new test tank to listen to the ocean", ""),
        ("/news/broken", "A story whose article page fails", ""),
        ("/news/own-date", "A story whose card gives its date", '<time datetime="2026-11-21">21 Nov</time>'),
    ]
    httpserver.expect_request("/news/").respond_with_data(listing(*cards), content_type="text/html")
    for path, page in ARTICLES.items():
        if page:
            httpserver.expect_request(path).respond_with_data(page, content_type="text/html")
        else:
            httpserver.expect_request(path).respond_with_data("down", status=500)
    return httpserver


def config_for(tmp_path: Path, url: str, enrich: str = "missing", language: str = "en"):
    sources = f"""
    - name: lab
      type: html
      url: {url}
      language: {language}
      enrich: {enrich}
      select:
        item: li.teaser
        title: h3
        link: h3 a@href
        date: time
        image: img
    """
    return load_config(write_config(tmp_path, sources))


def article_requests(server: HTTPServer) -> list[str]:
    return [
        request.path
        for request, _ in server.log
        if request.path.startswith("/news/") and request.path != "/news/"
    ]


def test_new_stories_get_their_date_image_and_summary_from_their_article_pages(
    site: HTTPServer, tmp_path: Path
) -> None:
    config = config_for(tmp_path, site.url_for("/news/"))
    clock = Clock()
    data = preview_data(config, config.source("lab"), now=clock)
    items = {item["url"].rsplit("/", 1)[-1]: item for item in data["items"]}
    assert items["glider"]["published"] == "2026-11-20T08:00:00+00:00"  # datePublished, not dateModified
    assert items["glider"]["image"] == "https://cdn.example/glider.jpg"
    assert items["glider"]["summary"] == "The glider came back with 12,000 profiles."
    assert items["glider"]["filled"] == {"date": "json-ld", "image": "json-ld", "summary": "json-ld"}
    assert items["dataset"]["published"] == "2026-11-19T07:00:00+00:00"
    assert items["dataset"]["image"] == site.url_for("/img/dataset.jpg")
    assert items["dataset"]["filled"] == {"date": "opengraph", "image": "opengraph", "summary": "opengraph"}
    assert items["tank"]["published"] == "2026-11-18T12:00:00+00:00"
    assert items["tank"]["filled"]["date"] == "time"
    assert items["tank"]["filled"]["summary"] == "trafilatura"
    assert items["tank"]["filled"]["content"] == "trafilatura"
    assert items["tank"]["summary"].startswith("A new test tank for the acoustics team.")
    # The card's own value wins: its date is kept, its article (dated 2020) is not asked for it.
    assert items["own-date"]["published"] == "2026-11-21T00:00:00+00:00"
    assert "date" not in items["own-date"]["filled"]
    # The article that fails leaves its story as the card gave it, and the source does not fail.
    assert items["broken"]["published"] is None and items["broken"]["filled"] == {}
    assert not data["errors"]
    # The logo on every card is no story's image.
    assert all(item["image"] != site.url_for(LOGO) for item in data["items"])
    assert items["broken"]["image"] is None


def test_an_article_is_fetched_once_per_new_story_and_never_for_a_known_one(
    site: HTTPServer, tmp_path: Path
) -> None:
    config = config_for(tmp_path, site.url_for("/news/"))
    clock = Clock()
    report = run(config, now=clock)
    assert not report.failed
    fetched = article_requests(site)
    assert sorted(fetched) == sorted(ARTICLES)  # one each (the card with a date still lacks a summary)
    atom = (config.output_dir / "all.atom").read_text(encoding="utf-8")
    assert "<published>2026-11-20T08:00:00Z</published>" in atom or "2026-11-20T08:00:00" in atom
    assert "https://cdn.example/glider.jpg" in atom and LOGO not in atom
    # The article's main text is the entry's content, as escaped paragraphs.
    assert '<content type="html">&lt;p&gt;A new test tank for the acoustics team.' in atom
    rss = (config.output_dir / "all.rss").read_text(encoding="utf-8")
    assert "<content:encoded>&lt;p&gt;A new test tank for the acoustics team." in rss
    feed = json.loads((config.output_dir / "all.json").read_text(encoding="utf-8"))
    tank = next(item for item in feed["items"] if item["url"].endswith("/news/tank"))
    assert tank["content_html"].startswith("<p>A new test tank for the acoustics team.")
    site.clear_log()
    clock.advance(hours=1)
    assert not run(config, now=clock).failed
    assert article_requests(site) == []  # every story is known now


@pytest.mark.parametrize(
    ("language", "text", "day"),
    [
        ("en", "Posted on November 13, 2026 by the press office", "2026-11-13"),
        ("fr", "Publié le 17 novembre 2026 par la rédaction", "2026-11-17"),
        ("de", "Veröffentlicht am 16. November 2026 von der Pressestelle", "2026-11-16"),
        ("es", "Publicado el 15 de noviembre de 2026 por la Oficina de Prensa", "2026-11-15"),
        ("it", "Pubblicato il 14 novembre 2026 dall'ufficio stampa", "2026-11-14"),
    ],
)
def test_a_text_date_on_the_article_is_read_in_the_sites_language(
    httpserver: HTTPServer, tmp_path: Path, language: str, text: str, day: str
) -> None:
    page = listing(
        ("/news/story", "A story told only in words", ""), ("/news/other", "Another story of the week", "")
    )
    httpserver.expect_request("/news/").respond_with_data(page, content_type="text/html")
    for path in ("/news/story", "/news/other"):
        httpserver.expect_request(path).respond_with_data(
            article(body=f"<p class='meta'>{text}</p><p>Words.</p>"), content_type="text/html"
        )
    config = config_for(tmp_path, httpserver.url_for("/news/"), enrich="[date]", language=language)
    items = preview_data(config, config.source("lab"), now=Clock())["items"]
    assert [item["published"][:10] for item in items] == [day, day]
    assert {item["filled"]["date"] for item in items} == {"text"}


def test_enrichment_is_off_by_default_and_preview_says_where_fields_came_from(
    site: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = config_for(tmp_path, site.url_for("/news/")).source("lab")
    assert plain.enrich_fields == ("date", "image", "summary", "content")
    config = load_config(
        write_config(
            tmp_path,
            f"""
            - name: lab
              type: html
              url: {site.url_for("/news/")}
              select: {{item: li.teaser, title: h3, link: h3 a@href}}
            """,
        )
    )
    preview_data(config, config.source("lab"), now=Clock())
    assert article_requests(site) == []
    enriched = config_for(tmp_path, site.url_for("/news/"), enrich="[date, image]")
    assert main(["preview", "lab", "--config", str(enriched.path)]) == 0
    out = capsys.readouterr().out
    assert (
        "filled from article pages: date from json-ld (1), date from opengraph (1), date from time (1)" in out
    )


def test_enrich_values_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(
        tmp_path,
        """
        - name: lab
          type: html
          url: https://lab.example/news/
          enrich: [dates]
          select: {item: li, title: h3}
        """,
    )
    assert main(["check", "--config", str(config)]) == 2
    assert (
        "enrich: use missing, or a list of date, image, summary, content (got 'dates')"
        in capsys.readouterr().err
    )


def test_an_article_asked_for_again_is_a_conditional_request(httpserver: HTTPServer, tmp_path: Path) -> None:
    """A story still new (not stored yet: another source saw it, or its store write failed) asks its
    article with the validators of the answer kept for that address, and reads nothing on a 304."""
    from werkzeug import Request, Response

    from newsdesk.enrich import Enrichment, enrich_items
    from newsdesk.fetch.http import new_session
    from newsdesk.pipeline import Politeness, collect
    from newsdesk.store.opening import open_store

    page = listing(("/news/glider", "Autonomous glider back from the Atlantic", ""))
    httpserver.expect_request("/news/").respond_with_data(page, content_type="text/html")

    def answer(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(ARTICLES["/news/glider"], content_type="text/html", headers={"ETag": '"v1"'})

    httpserver.expect_request("/news/glider").respond_with_handler(answer)
    config = config_for(tmp_path, httpserver.url_for("/news/"), enrich="[date]")
    source = config.source("lab")
    clock = Clock()
    store = open_store(config, clock())
    try:
        with new_session(config) as session:
            got = collect(config, source, session=session, now=clock)
            reports = [Enrichment(), Enrichment()]
            for report in reports:
                (item,) = enrich_items(
                    config,
                    source,
                    got.items,
                    store=store,
                    session=session,
                    politeness=Politeness(),
                    now=clock,
                    report=report,
                )
                assert (
                    item.published is not None and item.published.isoformat() == "2026-11-20T08:00:00+00:00"
                )
    finally:
        store.close()
    assert (reports[0].fetched, reports[0].not_modified) == (1, 0)
    assert (reports[1].fetched, reports[1].not_modified) == (1, 1)
