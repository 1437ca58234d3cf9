"""`newsdesk preview` over real pages on a local server: every field, per-field outcomes, counts that
read the same per page and in all, days in the source's zone and language, and what to try next when
the item selector matches nothing."""

from __future__ import annotations

import io
import json

from pytest_httpserver import HTTPServer

from newsdesk.preview import EXIT_FAILED, EXIT_OK, preview

from helpers import card, html_source, page

FRENCH_SOURCE = """
- name: actus
  type: html
  url: {url}
  language: fr
  timezone: Europe/Paris
  select:
    item: li.actu
    title: h3
    link: h3 a@href
    summary: p
    date: .date
"""


def run_preview(config, name: str, *, as_json: bool) -> tuple[int, str]:
    out = io.StringIO()
    code = preview(config, config.source(name), out, as_json=as_json)
    return code, out.getvalue()


def test_a_french_day_in_paris_is_shown_as_written_not_as_the_utc_day(
    httpserver: HTTPServer, make_config
) -> None:
    httpserver.expect_request("/actus").respond_with_data(
        "<html><body><ul>"
        '<li class="actu"><h3><a href="/a/1">Portes ouvertes</a></h3><p>Venez nombreux.</p>'
        '<span class="date">14 février 2024</span></li>'
        "</ul></body></html>",
        content_type="text/html; charset=utf-8",
    )
    config = make_config(FRENCH_SOURCE.format(url=httpserver.url_for("/actus")))
    code, text = run_preview(config, "actus", as_json=False)
    assert code == EXIT_OK
    (row,) = [line for line in text.splitlines() if "Portes ouvertes" in line]
    assert "14 février 2024" in row and "Venez nombreux." in row
    assert "2024-02-13" not in text and "13 février" not in text
    _, raw = run_preview(config, "actus", as_json=True)
    (item,) = json.loads(raw)["items"]
    assert item["date"] == "14 février 2024"
    assert item["published"] == "2024-02-13T23:00:00+00:00"  # the instant stays exact, in UTC
    assert item["summary"] == "Venez nombreux."


def test_each_field_says_on_how_many_cards_it_matched_was_empty_or_failed(
    httpserver: HTTPServer, make_config
) -> None:
    cards = (
        card("Good one", "/one", date="2026-11-20T09:30:00+01:00"),
        card("No date", "/two", date=None),
        card("Odd date", "/three", date="sometime soonish"),
        card("Script link", "javascript:void(0)", summary=""),
    )
    httpserver.expect_request("/news").respond_with_data(
        page(*cards, carousel=False), content_type="text/html"
    )
    config = make_config(html_source("site", [httpserver.url_for("/news")]))
    code, raw = run_preview(config, "site", as_json=True)
    assert code == EXIT_OK
    data = json.loads(raw)
    selectors = data["selectors"]
    assert selectors["item"] == {"selector": "article.news-teaser", "matched": 4}
    assert selectors["date"] == {"selector": "time@datetime", "matched": 2, "empty": 1, "failed": 1}
    assert selectors["link"] == {
        "selector": ".news-teaser__title a@href",
        "matched": 3,
        "empty": 0,
        "failed": 1,
    }
    assert selectors["summary"]["matched"] == 3 and selectors["summary"]["empty"] == 1
    assert data["unparsed_dates"][0]["text"] == "sometime soonish"
    assert {item["title"]: item["summary"] for item in data["items"]}["Good one"] == "A summary."
    _, text = run_preview(config, "site", as_json=False)
    lines = text.splitlines()
    header = next(line.split() for line in lines if line.startswith("FIELD"))
    assert header == ["FIELD", "SELECTOR", "MATCHED", "EMPTY", "FAILED"]
    assert next(line for line in lines if line.startswith("date ")).split() == [
        "date",
        "time@datetime",
        "2",
        "1",
        "1",
    ]
    assert "unreadable date 'sometime soonish' in 'Odd date'" in text


def test_pages_and_all_pages_count_cards_and_items_the_same_way(httpserver: HTTPServer, make_config) -> None:
    wind = card("Wind turbines in the sky", "/wind?utm_source=home")
    metal = card("Metal recycling", "/metal")
    httpserver.expect_request("/home").respond_with_data(page(wind, metal), content_type="text/html")
    related = card("Wind turbines in the sky", "/wind?utm_source=related")
    httpserver.expect_request("/study").respond_with_data(
        page(related, carousel=False), content_type="text/html"
    )
    home, study = httpserver.url_for("/home"), httpserver.url_for("/study")
    config = make_config(html_source("site", [home, study]))
    _, raw = run_preview(config, "site", as_json=True)
    data = json.loads(raw)
    assert data["pages"] == {home: {"cards": 4, "items": 2}, study: {"cards": 1, "items": 1}}
    assert data["cards"] == 5 and len(data["items"]) == 2  # the wind story counts once in all
    _, text = run_preview(config, "site", as_json=False)
    lines = text.splitlines()
    assert next(line for line in lines if line.startswith("PAGE")).split() == ["PAGE", "CARDS", "ITEMS"]
    assert next(line for line in lines if line.startswith(home)).split() == [home, "4", "2"]
    assert next(line for line in lines if line.startswith(study)).split() == [study, "1", "1"]
    assert next(line for line in lines if line.startswith("all 2 pages")).split()[-2:] == ["5", "2"]


def test_an_item_selector_matching_nothing_lists_the_blocks_that_repeat(
    httpserver: HTTPServer, make_config
) -> None:
    teaser = (
        '<div class="card"><h2 class="card__title"><a href="/n/{n}">Story number {n} of the week</a></h2>'
        '<time datetime="2026-11-0{n}">{n} Nov</time><p>Some words about story {n}.</p></div>'
    )
    body = (
        '<nav><ul class="menu">'
        + "".join(f'<li class="menu__entry"><a href="/{n}">Menu {n}</a></li>' for n in range(6))
        + "</ul></nav><main><section class='news'>"
        + "".join(teaser.format(n=n) for n in range(1, 5))
        + "</section><ul class='tags'><li>a</li><li>b</li><li>c</li></ul>"
        + "</main><footer><a href='/x'>x</a><a href='/y'>y</a><a href='/z'>z</a></footer>"
    )
    httpserver.expect_request("/news").respond_with_data(
        f"<html><body>{body}</body></html>", content_type="text/html"
    )
    url = httpserver.url_for("/news")
    config = make_config(html_source("site", [url]))  # looks for article.news-teaser: none here
    code, raw = run_preview(config, "site", as_json=True)
    assert code == EXIT_FAILED
    candidates = json.loads(raw)["candidates"][url]
    assert [c["selector"] for c in candidates] == ["div.card", "li.menu__entry", "footer > a"]
    assert candidates[0] == {"selector": "div.card", "count": 4, "sample": "Story number 1 of the week"}
    assert candidates[1]["count"] == 6
    _, text = run_preview(config, "site", as_json=False)
    assert f"the item selector matched nothing on {url}; blocks that repeat there, best first:" in text
    assert next(line for line in text.splitlines() if "div.card" in line).split()[:3] == [
        "div.card",
        "4",
        "Story",
    ]
