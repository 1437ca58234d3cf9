"""A partner page in real headless Chromium embeds the widget and the iframe; payloads stay inert text.

Chromium comes from Debian's `chromium` package (.ci/run installs it and sets NEWSDESK_REQUIRE_BROWSER,
so CI fails rather than skips when it is missing).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from newsdesk.config import Config
from newsdesk.pipeline import run

from helpers import card, html_source, page, serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAYLOAD_TITLE = '<img src=x onerror="window.__xss=1;alert(1)">Payload <script>window.__xss=2</script>title'
PAYLOAD_SUMMARY = (
    '<span onmouseover="window.__xss=3">Hover</span><svg onload="window.__xss=4"></svg>'
    '<a href="javascript:window.__xss=5">click</a><iframe src="javascript:alert(6)"></iframe>'
)

if not CHROMIUM.exists():
    if os.environ.get("NEWSDESK_REQUIRE_BROWSER"):
        raise RuntimeError("NEWSDESK_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402 - only once the browser is known to exist


@pytest.fixture
def feeds(httpserver: HTTPServer, make_config, clock) -> Config:
    cards = [
        card(
            "Metal recycling",
            "/news/metal",
            label="Research",
            summary="Greener methods.",
            date="2026-11-13T10:00:00Z",
        ),
        card(
            PAYLOAD_TITLE,
            "/news/payload",
            label="Research",
            summary=PAYLOAD_SUMMARY,
            date="2026-11-20T10:00:00Z",
        ),
        card(
            "Ocean acoustics",
            "/news/ocean",
            label="Research",
            summary="A new tank.",
            date="2026-11-01T10:00:00Z",
        ),
    ]
    httpserver.expect_request("/site/").respond_with_data(page(*cards), content_type="text/html")
    config = make_config(html_source("site", [httpserver.url_for("/site/")]))
    assert not run(config, now=clock).failed
    return config


@pytest.fixture
def feed_origin(feeds: Config) -> Iterator[str]:
    yield from serving(feeds)


def test_partner_page_shows_items_and_payloads_stay_text(feed_origin: str, httpserver: HTTPServer) -> None:
    partner = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner</title></head>
<body><h1>Partner lab</h1>
<div id="news"><script src="{feed_origin}/embed.js" data-feed="research" data-limit="5" async></script></div>
<iframe id="frame" title="news" src="{feed_origin}/embed/research.html" width="600" height="400"></iframe>
</body></html>"""
    httpserver.expect_request("/partner.html").respond_with_data(partner, content_type="text/html")
    partner_url = httpserver.url_for("/partner.html")  # localhost:<port>, another origin than the feeds
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            tab.goto(partner_url)
            tab.wait_for_selector(".newsdesk-embed .newsdesk-item", timeout=15_000)
            titles = tab.locator(".newsdesk-embed .newsdesk-title").all_inner_texts()
            assert titles[1] == "Metal recycling"
            assert len(titles) == 3
            assert titles[0].startswith("Payload") or "<img" in titles[0]
            assert "Payload" in titles[0] and "title" in titles[0]
            hrefs = tab.eval_on_selector_all(".newsdesk-embed a", "els => els.map(e => e.href)")
            assert all(href.startswith("http://") for href in hrefs)
            injected = tab.eval_on_selector_all(
                ".newsdesk-embed img, .newsdesk-embed script, .newsdesk-embed svg, .newsdesk-embed iframe, "
                ".newsdesk-embed [onmouseover], .newsdesk-embed [onerror]",
                "els => els.length",
            )
            assert injected == 0
            summaries = tab.locator(".newsdesk-embed .newsdesk-summary").all_inner_texts()
            assert any("Hover" in text for text in summaries)

            frame = tab.frame_locator("#frame")
            frame.locator(".newsdesk-item").first.wait_for(timeout=15_000)
            frame_titles = frame.locator(".newsdesk-title").all_inner_texts()
            assert len(frame_titles) == 3 and frame_titles[1] == "Metal recycling"
            assert frame.locator("img, svg, iframe, [onmouseover], [onerror]").count() == 0
            assert frame.locator("script").count() == 0

            tab.wait_for_timeout(300)  # let any payload that could run, run
            assert tab.evaluate("window.__xss === undefined")
            assert dialogs == []
        finally:
            browser.close()


def test_feed_opened_in_a_browser_is_a_readable_page(feed_origin: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.goto(f"{feed_origin}/research.atom")
            tab.wait_for_selector("article", timeout=15_000)
            assert "This is a news feed" in tab.inner_text("body")
            assert tab.locator("article h2 a").count() == 3
            assert tab.evaluate("window.__xss === undefined")
        finally:
            browser.close()


def test_embed_shows_the_sites_day_in_the_partners_language_whatever_the_visitors_zone(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    from newsdesk.config import load_config

    from helpers import Clock, write_config

    # Half past midnight in Paris on 26 November: still the 25th in UTC and in Los Angeles.
    late = card("Open day", "/news/open-day", label="Research", date="2026-11-26T00:30:00+01:00")
    httpserver.expect_request("/paris/").respond_with_data(page(late), content_type="text/html")
    path = write_config(tmp_path, html_source("paris", [httpserver.url_for("/paris/")]))
    path.write_text(
        path.read_text().replace("  language: en\n", "  language: en\n  timezone: Europe/Paris\n")
    )
    config = load_config(path)
    assert not run(config, now=Clock()).failed
    for origin in serving(config):
        partner = f"""<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Partner</title></head>
<body><script src="{origin}/embed.js" data-feed="research" data-lang="fr" async></script></body></html>"""
        httpserver.expect_request("/partner-fr.html").respond_with_data(partner, content_type="text/html")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                tab = browser.new_context(timezone_id="America/Los_Angeles", locale="en-US").new_page()
                tab.goto(httpserver.url_for("/partner-fr.html"))
                tab.wait_for_selector(".newsdesk-date", timeout=15_000)
                assert tab.inner_text(".newsdesk-date") == "26 novembre 2026"
            finally:
                browser.close()
