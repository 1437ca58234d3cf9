"""Whole refreshes over real HTTP (pytest-httpserver), a real SQLite file and real feed files."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from pytest_httpserver import HTTPServer

from example_site import example_config
from newsdesk.config import Config, load_config
from newsdesk.pipeline import run

from helpers import Clock, card, html_source, page

CUT = "Generating renewable electricity at an altitude of 1,000 meters using airships, winner of..."
FULL = (
    "Generating renewable electricity at an altitude of 1,000 meters using airships, winner of the "
    "regional innovation award, is now preparing its first demonstrator."
)


def serve(
    server: HTTPServer,
    path: str,
    body: str,
    content_type: str = "text/html; charset=utf-8",
    status: int = 200,
) -> str:
    server.expect_request(path).respond_with_data(body, content_type=content_type, status=status)
    return server.url_for(path)


def reset(server: HTTPServer) -> None:
    """Forget every handler (the site was redesigned); unknown paths still answer 404."""
    server.clear()
    server.no_handler_status_code = 404


def rss(*items: tuple[str, str, str, str]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><description>{text}</description>"
        f"<category>{label}</category><pubDate>Fri, 20 Nov 2026 09:30:00 +0100</pubDate></item>"
        for title, link, text, label in items
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Press</title><link>https://www.example.org/</link><description>d</description>{entries}</channel></rss>"


def entries(config: Config, name: str) -> list:
    parsed = feedparser.parse((config.output_dir / f"{name}.atom").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed.entries


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.glob("*.atom"))}


@pytest.fixture
def database(any_database: str) -> str:
    """The pipeline tests run on every backend."""
    return any_database


@pytest.fixture
def site(httpserver: HTTPServer, make_config, clock: Clock):
    """Two pages of one html source and a press feed, all on a local server."""
    home = serve(
        httpserver,
        "/en/",
        page(
            card(
                "What if we put wind turbines in the sky?",
                "/en/news/wind?utm_source=home",
                label="Company\n | Innovation",
                summary=CUT,
            ),
            card("Metal recycling", "/en/news/metal#top", label="Research", date="2026-11-13T10:00:00+01:00"),
            card("Seminar series", "/en/news/seminar", label="Student life | Clubs", date=None),
        ),
    )
    study = serve(
        httpserver,
        "/en/study",
        page(
            card(
                "What if we put wind turbines in the sky?",
                "/en/news/wind?utm_source=study",
                label="Company | Innovation",
                summary=CUT,
            )
        ),
    )
    press = serve(
        httpserver,
        "/press.rss",
        rss(
            (
                "What if we put wind turbines in the sky?",
                httpserver.url_for("/en/news/wind"),
                FULL,
                "Research",
            ),
            ("Activity report", httpserver.url_for("/press/report"), "The 2026 report.", "Press"),
        ),
        content_type="application/rss+xml",
    )
    sources = html_source("site-en", [home, study]) + f"- name: press\n  type: feed\n  url: {press}\n"
    return make_config(sources)


def test_run_publishes_per_category_feeds_with_merged_entries(
    site: Config, clock: Clock, httpserver: HTTPServer
) -> None:
    report = run(site, now=clock)
    assert not report.failed
    assert {p.name for p in site.output_dir.glob("*.atom")} == {
        "all.atom",
        "company.atom",
        "company-innovation.atom",
        "institute.atom",
        "institute-training.atom",
        "research.atom",
        "press.atom",
        "student-life.atom",
        "student-life-clubs.atom",
    }
    wind_url = httpserver.url_for("/en/news/wind")
    all_entries = entries(site, "all")
    assert [e.title for e in all_entries].count("What if we put wind turbines in the sky?") == 1
    assert len(all_entries) == 4
    (wind,) = [e for e in all_entries if e.link == wind_url]
    assert wind.summary == FULL  # the feed's full text beats the cut card
    assert {t.term for t in wind.tags} == {"company/innovation", "research"}
    assert wind.published == "2026-11-20T08:30:00+00:00"
    assert [e.title for e in entries(site, "company")] == ["What if we put wind turbines in the sky?"]
    assert [e.link for e in entries(site, "research")] == [wind_url, httpserver.url_for("/en/news/metal")]
    clubs = entries(site, "student-life-clubs")
    assert [e.title for e in clubs] == ["Seminar series"]
    # No date: none published (a reader would take it for the story's own); `updated` is first seen.
    assert "published" not in clubs[0] and clubs[0].updated[:16] == clock().isoformat()[:16]
    feed = feedparser.parse((site.output_dir / "company-innovation.atom").read_bytes()).feed
    assert feed.title == "Test news: Company - Innovation"
    assert feed.id == "https://news.example.org/company-innovation.atom"
    assert any(link.rel == "self" and link.href == feed.id for link in feed.links)


def test_second_run_over_unchanged_sources_rewrites_nothing(site: Config, clock: Clock) -> None:
    run(site, now=clock)
    before = snapshot(site.output_dir)
    clock.advance(hours=1)
    report = run(site, now=clock)
    assert report.publish is not None and report.publish.written == []
    assert snapshot(site.output_dir) == before
    # The same bytes again (the example's pages send no validators): recognised, not parsed.
    assert all(r.pages == 0 and r.not_modified >= 1 for r in report.refreshes)
    assert sum(r.result.new + r.result.updated for r in report.refreshes) == 0


def test_failing_source_keeps_everything_published(
    site: Config, clock: Clock, httpserver: HTTPServer
) -> None:
    run(site, now=clock)
    before = snapshot(site.output_dir)
    reset(httpserver)
    serve(httpserver, "/en/", "boom", status=500)
    serve(httpserver, "/en/study", "boom", status=503)
    serve(httpserver, "/press.rss", "<html>not a feed</html>", content_type="text/html")
    clock.advance(hours=1)
    report = run(site, now=clock)
    assert {r.source for r in report.failed} == {"site-en", "press"}
    (site_failure,) = [r for r in report.failed if r.source == "site-en"]
    assert any("HTTP 500" in e and httpserver.url_for("/en/") in e for e in site_failure.errors)
    assert snapshot(site.output_dir) == before


def test_selectors_that_suddenly_match_nothing_are_a_failure(
    site: Config, clock: Clock, httpserver: HTTPServer
) -> None:
    run(site, now=clock)
    count = len(entries(site, "all"))
    reset(httpserver)
    serve(httpserver, "/en/", "<html><body><div class='redesign'>New theme</div></body></html>")
    serve(httpserver, "/en/study", page(card("Study story", "/en/news/study-story")))
    serve(httpserver, "/press.rss", rss(), content_type="application/rss+xml")
    clock.advance(hours=1)
    report = run(site, now=clock)
    (failure,) = [r for r in report.failed if r.source == "site-en"]
    assert "no items found where 3 were found before" in failure.errors[0]  # 3 stories, 6 cards
    titles = [e.title for e in entries(site, "all")]
    assert "Study story" in titles  # the page that still works is stored
    assert len(titles) == count + 1  # and nothing was lost


def test_edited_story_keeps_id_and_published_and_gets_new_updated(
    site: Config, clock: Clock, httpserver: HTTPServer
) -> None:
    run(site, now=clock)
    (before,) = [e for e in entries(site, "research") if "metal" in e.link]
    reset(httpserver)
    serve(
        httpserver,
        "/en/",
        page(
            card(
                "What if we put wind turbines in the sky?",
                "/en/news/wind",
                label="Company | Innovation",
                summary=CUT,
            ),
            card(
                "Metal recycling: greener methods",
                "/en/news/metal",
                label="Research",
                date="2026-11-13T10:00:00+01:00",
            ),
            card("Seminar series", "/en/news/seminar", label="Student life | Clubs", date=None),
        ),
    )
    clock.advance(days=1)
    run(site, now=clock)
    (after,) = [e for e in entries(site, "research") if "metal" in e.link]
    assert after.title == "Metal recycling: greener methods"
    assert after.id == before.id
    assert after.published == before.published == "2026-11-13T09:00:00+00:00"
    assert after.updated == clock().isoformat() != before.updated


def test_max_entries_caps_every_feed(httpserver: HTTPServer, make_config, clock: Clock) -> None:
    cards = [card(f"Story {n}", f"/n/{n}", date=f"2026-11-{n:02d}T10:00:00Z") for n in range(1, 21)]
    url = serve(httpserver, "/many", page(*cards))
    config = make_config(html_source("many", [url]), extra="max_entries: 5\n")
    run(config, now=clock)
    assert [e.title for e in entries(config, "all")] == [f"Story {n}" for n in (20, 19, 18, 17, 16)]
    assert len(entries(config, "research")) == 5


def test_unknown_label_becomes_a_category_and_is_logged(site: Config, clock: Clock, caplog) -> None:
    caplog.set_level("INFO", logger="newsdesk")
    run(site, now=clock)
    assert any("filed under 'student-life/clubs'" in r.getMessage() for r in caplog.records)


def test_relative_date_is_resolved_once_and_never_drifts(httpserver: HTTPServer, make_config, clock) -> None:
    httpserver.expect_request("/news").respond_with_data(
        page(
            card("Three days old", "/old", date=None).replace(
                "</article>", "<time>3 days ago</time></article>"
            )
        ),
        content_type="text/html",
    )
    config = make_config(html_source("site", [httpserver.url_for("/news")]))
    run(config, now=clock)
    (first,) = entries(config, "all")
    assert first.published == "2026-11-26T00:00:00+00:00"
    clock.advance(days=2)
    run(config, now=clock)
    (again,) = entries(config, "all")
    assert again.published == first.published and again.updated == first.updated


def test_source_timezone_and_date_format_settle_ambiguous_dates(
    httpserver: HTTPServer, make_config, clock
) -> None:
    body = page(card("US style", "/us", date=None).replace("</article>", "<time>03/04/2024</time></article>"))
    httpserver.expect_request("/us").respond_with_data(body, content_type="text/html")
    sources = html_source(
        "us",
        [httpserver.url_for("/us")],
        language="fr",
        timezone="America/New_York",
        date_format='"%m/%d/%Y"',
    )
    config = make_config(sources)
    run(config, now=clock)
    (entry,) = entries(config, "all")
    assert entry.published == "2024-03-04T00:00:00-05:00"  # March 4, midnight in New York, its zone


def test_unreadable_date_is_logged_with_source_and_text(
    httpserver: HTTPServer, make_config, clock, caplog
) -> None:
    body = page(
        card("Soon", "/soon", date=None).replace("</article>", "<time>Prochainement</time></article>")
    )
    httpserver.expect_request("/soon").respond_with_data(body, content_type="text/html")
    config = make_config(html_source("agenda", [httpserver.url_for("/soon")]))
    caplog.set_level("WARNING", logger="newsdesk")
    run(config, now=clock)
    assert any(
        "source 'agenda'" in r.getMessage() and "'Prochainement'" in r.getMessage() for r in caplog.records
    )
    (entry,) = entries(config, "all")
    assert "published" not in entry and entry.updated == clock().isoformat()  # first seen, stored once


def test_two_sources_reading_one_page_keep_their_own_history(
    httpserver: HTTPServer, make_config, clock
) -> None:
    body = page(card("A story", "/a")) + "<div class='events'></div>"
    httpserver.expect_request("/home").respond_with_data(body, content_type="text/html")
    url = httpserver.url_for("/home")
    events = (
        f"- name: events\n  type: html\n  url: {url}\n  select:\n    item: .events article\n    title: h3\n"
    )
    config = make_config(html_source("news", [url]) + events)
    run(config, now=clock)
    clock.advance(hours=1)
    report = run(config, now=clock)
    # 'events' never matched: still its first reading (the other source's memory of the page is not its
    # own), a failure of its own, not "matched nothing where it did"
    (failure,) = report.failed
    assert failure.source == "events"
    assert failure.errors == (
        f"source 'events' {url}: no items found on a first reading; "
        "check the selectors with `newsdesk preview events`",
    )


def test_items_without_a_web_link_are_published_with_their_text(tmp_path, make_config, clock) -> None:
    (tmp_path / "extra.yaml").write_text(
        "- {title: Campus closed on Friday, summary: The campus is closed for maintenance.,"
        " date: 2026-11-20}\n"
        "- {title: 'Why a < b and <b>bold</b> tags matter', link: 'javascript:alert(1)'}\n"
    )
    config = make_config("- name: hand\n  type: items\n  url: extra.yaml\n")
    report = run(config, now=clock)
    assert not report.failed and report.publish is not None and not report.publish.errors
    titles = {e.title: e for e in entries(config, "all")}
    assert set(titles) == {
        "Campus closed on Friday",
        "Why a < b and bold tags matter",
    }  # text, as a reader sees it
    assert not titles["Campus closed on Friday"].get("links")  # no address to give
    assert titles["Campus closed on Friday"].content[0].value == "The campus is closed for maintenance."


def test_a_first_run_over_the_example_reports_every_story_as_new(
    tmp_path: Path, database: str, clock
) -> None:
    """press stores the wind and metal stories first; site-en's cards of them complete stories no reader
    has seen yet: new, not updated, and their `updated` stays their `published`."""
    config = load_config(example_config(tmp_path, database))
    report = run(config, now=clock)
    assert not report.failed
    assert {r.source: (r.result.new, r.result.updated) for r in report.refreshes} == {
        "hand-written": (2, 0),
        "press": (4, 0),
        "site-en": (7, 0),
        "site-fr": (4, 0),
    }
    dated = [entry for entry in entries(config, "all") if "published" in entry]
    assert len(dated) == 14  # every story but the undated one
    # (stories published at one moment are told apart by a second in `updated`; never by days)
    assert [entry.title for entry in dated if entry.updated[:10] != entry.published[:10]] == []
