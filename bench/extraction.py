"""Extraction (scenario 1) and date parsing: newsdesk's reading of a page beside the bare lxml floor."""

from __future__ import annotations

from pathlib import Path

import lxml.html
from common import LABELS, NOW, SELECT, Row, card_html, median_seconds, page_html
from lxml.cssselect import CSSSelector

from newsdesk.config import parse_config
from newsdesk.extract.html import extract_html
from newsdesk.models import Page
from newsdesk.normalize.dates import parse_date

DATE_STRINGS = [
    ("2026-11-20T09:30:00+01:00", "en"),
    ("Fri, 20 Nov 2026 09:30:00 +0100", "en"),
    ("20 November 2026", "en"),
    ("10 novembre 2026", "fr"),
    ("14. März 2023", "de"),
    ("3 de mayo de 2024", "es"),
    ("14 marzo 2024", "it"),
    ("il y a 2 heures", "fr"),
    ("Publié le 3 mars 2024 par la mairie", "fr"),
    ("Seminar #12", "en"),
]


def reference_page(cards: int) -> bytes:
    """A page in the style of the reference page: labelled cards, each rendered twice (carousel)."""
    return page_html(
        "".join(
            card_html(
                f"/en/news/{n}",
                f"Story number {n}: what if we put wind turbines in the sky?",
                "Generating renewable electricity at an altitude of 1,000 meters using airships held by a "
                f"cable, story {n}, winner of...",
                LABELS[n % 3],
                f"2026-11-{1 + n % 28:02d}",
            )
            for n in range(cards)
        )
    )


CARD = CSSSelector("article.news-teaser", translator="html")
TEXT_FIELDS = [
    CSSSelector(css, translator="html")
    for css in (".news-teaser__title", ".news-teaser__excerpt", ".news-teaser__tags")
]
ATTRIBUTE_FIELDS = [
    (CSSSelector(css, translator="html"), attribute)
    for css, attribute in ((".news-teaser__title a", "href"), ("time", "datetime"), ("img", "src"))
]


def bare_lxml(body: bytes) -> int:
    """The floor: parse, select the cards with precompiled selectors, read each field's first match."""
    document = lxml.html.document_fromstring(body)
    count = 0
    for card in CARD(document):
        for selector in TEXT_FIELDS:
            found = selector(card)
            count += len(found[0].text_content()) if found else 0
        for selector, attribute in ATTRIBUTE_FIELDS:
            found = selector(card)
            count += len(found[0].get(attribute) or "") if found else 0
    return count


def extraction_rows(sizes: list[int], repeat: int) -> list[Row]:
    config = parse_config(
        "site: {title: B, url: 'https://n.example/', author: A}\n"
        "sources:\n  - name: bench\n    type: html\n    url: https://www.example.org/en/\n    select:\n"
        + "".join(f"      {key}: {value!r}\n" for key, value in SELECT.items()),
        Path("config.yaml"),
    )
    select = config.sources[0].select
    assert select is not None
    rows = []
    for size in sizes:
        body = reference_page(size)
        page = Page(
            "https://www.example.org/en/", 200, {"content-type": "text/html; charset=utf-8"}, body, NOW
        )
        ours = median_seconds(lambda page=page: extract_html(page, "bench", select), repeat)
        floor = median_seconds(lambda body=body: bare_lxml(body), repeat)
        ratio = ours / floor
        rows.append(
            Row.check(
                "extraction (newsdesk / bare lxml+cssselect)",
                f"{size} cards x2",
                f"{ours * 1000:.2f} ms / {floor * 1000:.2f} ms = {ratio:.2f}x",
                "<= 2.00x",
                ratio <= 2.0,
            )
        )
    return rows


def date_rows(repeat: int) -> list[Row]:
    for text, language in DATE_STRINGS:  # warm up: dateparser loads its language data once
        parse_date(text, language=language, now=NOW, timezone="Europe/Paris")
    per_string = median_seconds(
        lambda: [parse_date(t, language=lang, now=NOW, timezone="Europe/Paris") for t, lang in DATE_STRINGS],
        repeat,
    ) / len(DATE_STRINGS)
    machine = (
        median_seconds(
            lambda: [parse_date("2026-11-20T09:30:00+01:00", language="en", now=NOW) for _ in range(100)],
            repeat,
        )
        / 100
    )
    return [
        Row.report(
            "date parsing, mixed (5 languages, relative, junk)",
            f"{len(DATE_STRINGS)} strings",
            f"{per_string * 1e6:.0f} us/string",
        ),
        Row.report("date parsing, ISO 8601", "100 strings", f"{machine * 1e6:.1f} us/string"),
    ]
