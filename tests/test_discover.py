"""`newsdesk discover URL`: over HTTP to real local servers, the source it prints, the items it shows,
the feeds it prefers, the one line it gives for pages it cannot read; and `type: auto` sources."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer

from example_site import example_config, published_files, serve_example
from newsdesk.cli import main
from newsdesk.config import load_config
from newsdesk.pipeline import run
from newsdesk.preview import preview_data

from helpers import FIXTURES, ROOT, Clock, write_config

DISCOVER = FIXTURES / "discover"
PROBLEMS = DISCOVER / "problems"


def discover_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["discover", *args, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config.yaml in the working folder with no delay between requests to one host (the test's)."""
    monkeypatch.chdir(tmp_path)
    return write_config(tmp_path, "[]")


def serve_file(httpserver: HTTPServer, path: str, file: Path, content_type: str = "text/html") -> str:
    httpserver.expect_request(path).respond_with_data(file.read_bytes(), content_type=content_type)
    return httpserver.url_for(path)


def test_discover_writes_the_bundled_examples_sources_and_they_publish_the_same_feeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], quick: Path
) -> None:
    clock = Clock()
    with serve_example() as (base, _):
        hand_written = load_config(example_config(tmp_path / "hand", "state/newsdesk.db", base=base))
        data = yaml.safe_load(hand_written.path.read_text(encoding="utf-8"))
        for source in data["sources"]:
            if source["type"] != "html":
                continue
            found = [discover_json(capsys, url)["source"] for url in source["urls"]]
            assert {entry["type"] for entry in found} == {"html"}
            selects = [entry["select"] for entry in found]
            assert all(select == selects[0] for select in selects), selects  # every page of the site alike
            assert selects[0]["item"] == "article.news-teaser"
            assert set(selects[0]) == {"item", "title", "link", "summary", "date", "category", "image"}
            source["select"] = selects[0]
        folder = tmp_path / "discovered"
        folder.mkdir()
        (folder / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        discovered = load_config(folder / "config.yaml")
        for config in (hand_written, discovered):
            report = run(config, now=clock)
            assert not report.failed
    assert published_files(discovered.output_dir) == published_files(hand_written.output_dir)
    assert len(published_files(discovered.output_dir)) > 20


def test_discover_needs_no_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first day: no config.yaml yet, a page saved from the site."""
    monkeypatch.chdir(tmp_path)
    page = tmp_path / "news.html"
    page.write_bytes((ROOT / "examples/site/fr/index.html").read_bytes())  # its <base> makes links absolute
    assert main(["discover", "news.html", "--name", "ensta"]) == 0
    out = capsys.readouterr().out
    assert "- name: ensta\n  type: html\n  url: news.html\n  language: fr\n" in out
    assert "20 novembre 2026" in out


def test_discover_prints_a_source_to_paste_and_what_it_yields(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], quick: Path
) -> None:
    url = serve_file(httpserver, "/", DISCOVER / "fr-universite.html")
    assert main(["discover", url]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith(f"# newsdesk discover {url}: 7 stories in cards the selectors below read")
    entry = yaml.safe_load("\n".join(line for line in lines if not line.startswith("#")).split("\n\n")[0])
    assert entry[0]["type"] == "html" and entry[0]["language"] == "fr"
    assert entry[0]["select"]["item"].count(",") == 2  # the grid, the carousel and the list
    assert "24 novembre 2026" in out  # dates as the site's readers read them
    assert "Prix de thèse 2026 : quatre lauréats distingués" in out
    assert "no feed advertised, none at /feed/, /rss.xml, /atom.xml, /index.xml, /feed.xml" in out
    assert "found in 3 blocks" in out
    # Pasted into a config, the entry reads the same stories.
    entry[0]["name"] = "univ"
    config = load_config(write_config(tmp_path, yaml.safe_dump(entry, allow_unicode=True)))
    items = preview_data(config, config.source("univ"))["items"]
    assert len(items) == 7 and all(item["date"] for item in items)


def test_discover_json_explains_every_candidate_block(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], quick: Path
) -> None:
    url = serve_file(httpserver, "/", DISCOVER / "es-ayuntamiento.html")
    data = discover_json(capsys, url, "--name", "villaserena")
    assert data["source"]["name"] == "villaserena"
    assert data["method"] == "html"
    assert len(data["items"]) == 8
    chosen = [c for c in data["candidates"] if c.get("chosen")]
    rejected = [c for c in data["candidates"] if c["kind"] == "block" and not c["chosen"]]
    assert {c["element"] for c in chosen} >= {"div.noticia", "article.noticia-destacada"}
    assert any("in a <nav>" in " ".join(c["why"]) or "<footer>" in " ".join(c["why"]) for c in rejected)
    assert all(c["why"] for c in data["candidates"])


def test_state_page_gives_a_type_auto_source_that_refreshes_without_selectors(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Logs as a maintainer reads them (main() set up newsdesk's handler on stderr)."""
    url = serve_file(httpserver, "/actualites", DISCOVER / "fr-ecole-next.html")
    config_path = write_config(tmp_path, f"- name: ecole\n  type: auto\n  url: {url}\n  language: fr\n")
    data = discover_json(capsys, url, "--config", str(config_path))
    assert data["source"]["type"] == "auto" and data["method"] == "state:__NEXT_DATA__"
    assert [item["date"] for item in data["items"]] == [
        "24 novembre 2026",
        "18 novembre 2026",
        "9 novembre 2026",
    ]
    config = load_config(config_path)
    clock = Clock()
    assert preview_data(config, config.source("ecole"), now=clock)["discovered"] == {
        url: "state:__NEXT_DATA__"
    }
    assert not run(config, now=clock).failed
    assert (
        "ecole' http://localhost" in (err := capsys.readouterr().err)
        and "discovered state:__NEXT_DATA__" in err
    )
    feed = (config.output_dir / "all.atom").read_text(encoding="utf-8")
    assert "Portes ouvertes le 30 janvier" in feed
    # The site moves its news into cards: the same stories, read another way, said once.
    httpserver.clear()
    serve_file(httpserver, "/actualites", DISCOVER / "fr-universite.html")
    clock.advance(hours=1)
    assert not run(config, now=clock).failed
    err = capsys.readouterr().err
    assert "the page is now read differently: html; item: a.carte-actu" in err
    assert "(was: state:__NEXT_DATA__)" in err
    clock.advance(hours=1)
    run(config, now=clock)
    assert "read differently" not in capsys.readouterr().err


def test_a_type_auto_page_with_nothing_to_read_fails_the_source_and_keeps_its_feed(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    url = serve_file(httpserver, "/", DISCOVER / "it-comune.html")
    config = load_config(
        write_config(tmp_path, f"- name: comune\n  type: auto\n  url: {url}\n  language: it\n")
    )
    clock = Clock()
    assert not run(config, now=clock).failed
    before = (config.output_dir / "all.atom").read_text(encoding="utf-8")
    httpserver.clear()
    serve_file(httpserver, "/", PROBLEMS / "app-shell.html")
    clock.advance(hours=1)
    report = run(config, now=clock)
    assert [failed.source for failed in report.failed] == ["comune"]
    assert "an empty shell built by JavaScript" in report.failed[0].errors[0]
    assert (config.output_dir / "all.atom").read_text(encoding="utf-8") == before


def test_a_feed_that_carries_the_pages_stories_is_preferred(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], quick: Path
) -> None:
    page = (DISCOVER / "en-lab-jsonld.html").read_text(encoding="utf-8")
    page = page.replace(
        "</head>", '<link rel="alternate" type="application/atom+xml" href="/news.atom"></head>'
    )
    entries = "".join(
        f"<entry><title>{title}</title><link href='https://lab.harrowgate.example/news/{slug}'/>"
        f"<id>urn:lab:{slug}</id><updated>2026-11-2{n}T10:00:00Z</updated></entry>"
        for n, (slug, title) in enumerate(
            [
                ("glider-atlantic-survey", "Autonomous glider completes 40-day Atlantic survey"),
                ("phd-studentships-2027", "PhD studentships for 2027 entry now open"),
            ]
        )
    )
    atom = (
        "<?xml version='1.0' encoding='utf-8'?>"
        "<feed xmlns='http://www.w3.org/2005/Atom'><title>Lab news</title>"
        f"<id>urn:lab</id><updated>2026-11-23T10:00:00Z</updated>{entries}</feed>"
    )
    httpserver.expect_request("/news").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/news.atom").respond_with_data(atom, content_type="application/atom+xml")
    httpserver.expect_request("/news").respond_with_data(page, content_type="text/html")
    data = discover_json(capsys, httpserver.url_for("/news"))
    assert data["source"] == {
        "name": "localhost-news",
        "type": "feed",
        "url": httpserver.url_for("/news.atom"),
        "language": "en",
    }
    assert data["method"] == "feed" and len(data["items"]) == 2
    feed = next(c for c in data["candidates"] if c["kind"] == "feed")
    assert feed["url"] == httpserver.url_for("/news.atom") and (feed["entries"], feed["same_stories"]) == (
        2,
        2,
    )
    assert feed["why"] == ["advertised; 2 of its 2 entries are stories of the page"]


def test_a_feed_of_other_stories_is_not_used_for_the_page(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], quick: Path
) -> None:
    """A news page that advertises its press releases' feed: other stories than its cards."""
    page = (DISCOVER / "it-comune.html").read_text(encoding="utf-8")
    page = page.replace(
        "</head>", '<link rel="alternate" type="application/rss+xml" href="/press.rss"></head>'
    )
    httpserver.expect_request("/news").respond_with_data(page, content_type="text/html")
    serve_file(httpserver, "/press.rss", ROOT / "examples/site/press.rss", "application/rss+xml")
    assert main(["discover", httpserver.url_for("/news")]) == 0
    out = capsys.readouterr().out
    assert "  type: html\n" in out
    assert f"feed {httpserver.url_for('/press.rss')} (advertised): 0 of its 4 entries are on the page" in out


def test_wordpress_rest_posts_are_found_and_read_as_a_feed(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], quick: Path
) -> None:
    api = httpserver.url_for("/wp-json/")
    page = textwrap.dedent(
        f"""<html><head><title>Blog</title><link rel="https://api.w.org/" href="{api}"></head><body><main>
        <article class="post">
          <h2><a href="/2026/11/first-post/">Our first post of the season</a></h2></article>
        <article class="post">
          <h2><a href="/2026/11/second-post/">A second post about the garden</a></h2></article>
        </main></body></html>"""
    )
    posts = [
        {
            "id": n,
            "link": httpserver.url_for(f"/2026/11/{slug}/"),
            "title": {"rendered": title},
            "excerpt": {"rendered": f"<p>{title} &#8211; read on.</p>"},
            "date_gmt": f"2026-11-2{n}T08:00:00",
        }
        for n, (slug, title) in enumerate(
            [
                ("first-post", "Our first post of the season"),
                ("second-post", "A second post about the garden"),
            ],
            1,
        )
    ]
    httpserver.expect_request("/").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/wp-json/wp/v2/posts").respond_with_json(posts)
    data = discover_json(capsys, httpserver.url_for("/"))
    assert data["source"]["type"] == "feed"
    assert data["source"]["url"] == httpserver.url_for("/wp-json/wp/v2/posts")
    assert [item["title"] for item in data["items"]] == [
        "Our first post of the season",
        "A second post about the garden",
    ]
    assert data["items"][0]["published"] == "2026-11-21T08:00:00+00:00"
    assert data["items"][1]["summary"] == "A second post about the garden – read on."


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("app-shell.html", "is an empty shell built by JavaScript (0 characters of text, 1 script(s))"),
        ("login-wall.html", "shows a login form (a password field): newsdesk reads public pages only"),
        ("one-article.html", "no repeated block of story links on"),
    ],
)
def test_pages_discover_cannot_read_get_one_clear_line(
    httpserver: HTTPServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    quick: Path,
    page: str,
    message: str,
) -> None:
    url = serve_file(httpserver, "/page", PROBLEMS / page)
    assert main(["discover", url]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err and url in captured.err
    assert "Traceback" not in captured.err


def test_discover_fetches_politely_and_says_why_not(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], quick: Path
) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    assert main(["discover", httpserver.url_for("/private/news")]) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith(f"newsdesk discover: {httpserver.url_for('/private/news')}: ") and "robots.txt" in err
    )
    assert all(request.path != "/private/news" for request, _ in httpserver.log)
    assert main(["discover", httpserver.url_for("/missing")]) == 1
    assert "404" in capsys.readouterr().err


def test_preview_points_to_discover_when_the_item_selector_matches_nothing(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = serve_file(httpserver, "/", PROBLEMS / "one-article.html")
    sources = f"""
    - name: wrong
      type: html
      url: {url}
      select:
        item: article.nothing
        title: h3
    """
    config = write_config(tmp_path, sources)
    assert main(["preview", "wrong", "--config", str(config)]) == 1
    assert f"newsdesk discover {url}" in capsys.readouterr().out


def test_config_takes_type_auto_without_selectors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(
        tmp_path,
        """
        - name: city
          type: auto
          url: https://www.city.example/
          select:
            item: li
            title: a
        """,
    )
    assert main(["check", "--config", str(config)]) == 2
    assert "only html sources take select (type is auto)" in capsys.readouterr().err


def test_an_agendas_dates_ahead_are_not_publication_dates(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Feeds never date an entry in the future (the W3C validator calls that implausible): an event's
    day, 6 December seen on 29 November, is shown by preview and not used as the story's date."""
    url = serve_file(httpserver, "/", DISCOVER / "it-comune.html")
    config = load_config(
        write_config(tmp_path, f"- name: comune\n  type: auto\n  url: {url}\n  language: it\n")
    )
    clock = Clock()  # 2026-11-29
    data = preview_data(config, config.source("comune"), now=clock)
    assert {d["text"] for d in data["future_dates"]} == {
        "6 dicembre 2026",
        "13 dicembre 2026",
        "31 dicembre 2026",
    }
    assert main(["preview", "comune", "--config", str(config.path)]) == 0
    assert "date '6 dicembre 2026' of 'Festa di San Nicola in piazza' is ahead" in capsys.readouterr().out
    assert not run(config, now=clock).failed
    atom = (config.output_dir / "all.atom").read_text(encoding="utf-8")
    assert "2026-12-" not in atom
    assert "<published>2026-11-23T00:00:00" in atom  # the news keep theirs


def test_hostile_pages_give_a_line_not_a_crash() -> None:
    """Everything outside is hostile: JSON nested thousands deep, 50,000 one-letter links, 20,000
    cards (read as extract.html reads them: the first 2,000)."""
    from datetime import UTC, datetime

    from newsdesk.extract.discover import discover_page
    from newsdesk.models import Page

    nested = "[" * 5000 + "]" * 5000
    pages = {
        "nested": f"<html><body><script>window.STATE = {nested};</script>"
        f"<script type='application/json'>{nested}</script></body></html>",
        "letters": "<html><body>"
        + "".join(f"<a href='/n/{i}'>x</a>" for i in range(50_000))
        + "</body></html>",
        "cards": "<html><body><ul>"
        + "".join(f"<li><a href='/n/story-{i}'>Story number {i} of many</a></li>" for i in range(20_000))
        + "</ul></body></html>",
    }
    found = {
        name: discover_page(Page("https://x.example/", 200, {}, html.encode(), datetime.now(UTC)), "s")
        for name, html in pages.items()
    }
    assert found["nested"].problem and "empty shell" in found["nested"].problem
    assert found["letters"].problem and "no repeated block" in found["letters"].problem
    assert len(found["cards"].items) == 2000


@pytest.mark.parametrize(
    ("markup", "method"),
    [
        (
            '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
            '{"@type": "WebSite", "name": "Lab"},'
            '{"@type": "BlogPosting", "headline": "Glider back from the Atlantic", "url": "/news/glider",'
            ' "datePublished": "2026-11-23"},'
            '{"@type": "Event", "name": "Open night at the lab", "url": "/events/open-night",'
            ' "startDate": "2026-11-20"}]}</script>',
            "json-ld",
        ),
        (
            '<div itemscope itemtype="https://schema.org/NewsArticle"><span itemprop="headline">Glider back'
            ' from the Atlantic</span><a itemprop="url" href="/news/glider">more</a>'
            '<meta itemprop="datePublished" content="2026-11-23"></div>'
            '<div itemscope itemtype="https://schema.org/Event"><span itemprop="name">Open night at the'
            ' lab</span><link itemprop="url" href="/events/open-night">'
            '<time itemprop="startDate" datetime="2026-11-20">20 Nov</time></div>',
            "microdata",
        ),
    ],
    ids=["json-ld", "microdata"],
)
def test_stories_carried_as_structured_data_are_read_without_cards(markup: str, method: str) -> None:
    from datetime import UTC, datetime

    from newsdesk.extract.discover import discover_page
    from newsdesk.models import Page

    html = f"<html><head><title>Lab</title></head><body>{markup}<p>Welcome to the lab.</p></body></html>"
    found = discover_page(Page("https://lab.example/", 200, {}, html.encode(), datetime.now(UTC)), "lab")
    assert found.method == method and found.select is None
    assert [(item.title, item.link, item.date_text) for item in found.items] == [
        ("Glider back from the Atlantic", "https://lab.example/news/glider", "2026-11-23"),
        ("Open night at the lab", "https://lab.example/events/open-night", "2026-11-20"),
    ]


def test_an_address_that_is_a_feed_gives_a_feed_source(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], quick: Path
) -> None:
    url = serve_file(httpserver, "/press.rss", ROOT / "examples/site/press.rss", "application/rss+xml")
    assert main(["discover", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# newsdesk discover {url}: the address is a feed (4 entries)\n")
    assert f"  type: feed\n  url: {url}\n" in out
    # robots.txt, then the feed: no discovery, no feed paths tried.
    assert [request.path for request, _ in httpserver.log] == ["/robots.txt", "/press.rss"]
