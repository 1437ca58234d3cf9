"""newsdesk benchmarks: one table (scenario, size, figure, target, met). Never part of the tests.

    make bench          # full sizes
    make bench-quick    # small sizes, under a minute

Each figure is the median of several runs measured on the real code paths.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
from lxml.cssselect import CSSSelector

from newsdesk.config import parse_config
from newsdesk.extract.html import extract_html
from newsdesk.models import Page
from newsdesk.normalize.dates import parse_date

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SELECT = {
    "item": "article.news-teaser",
    "title": ".news-teaser__title",
    "link": ".news-teaser__title a@href",
    "summary": ".news-teaser__excerpt",
    "category": ".news-teaser__tags",
    "date": "time@datetime",
    "image": "img@src",
}
LABELS = ("Company | Innovation", "Institute | Training", "Research")
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
    block = []
    for n in range(cards):
        block.append(
            f'<article class="news-teaser"><a class="news-teaser__media" href="/en/news/{n}">'
            f'<img src="/media/{n}.jpg" alt=""></a><div class="news-teaser__tags">{LABELS[n % 3]}</div>'
            f'<h3 class="news-teaser__title"><a href="/en/news/{n}?utm_source=home">Story number {n}: what '
            f'if we put wind turbines in the sky?</a></h3><p class="news-teaser__excerpt">Generating renewable '
            f"electricity at an altitude of 1,000 meters using airships held by a cable, story {n}, winner "
            f'of...</p><time datetime="2026-11-{1 + n % 28:02d}T09:30:00+01:00">{1 + n % 28} November 2026</time>'
            "</article>"
        )
    cards_html = "".join(block)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>News</title></head><body>"
        "<header><nav><ul>"
        + "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(30))
        + "</ul></nav>"
        "</header><main><h1>Our international strategy</h1><p>Text.</p>"
        f"<div class='news-carousel'><div class='track'>{cards_html}</div>"
        f"<div class='track' aria-hidden='true'>{cards_html}</div></div></main></body></html>"
    ).encode()


def median_seconds(work: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


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


def extraction_rows(sizes: list[int], repeat: int) -> list[tuple[str, str, str, str, str]]:
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
        ours = median_seconds(lambda: extract_html(page, "bench", select), repeat)
        floor = median_seconds(lambda: bare_lxml(body), repeat)
        ratio = ours / floor
        rows.append(
            (
                "extraction (newsdesk / bare lxml+cssselect)",
                f"{size} cards x2",
                f"{ours * 1000:.2f} ms / {floor * 1000:.2f} ms = {ratio:.2f}x",
                "<= 2.00x",
                "yes" if ratio <= 2.0 else "no",
            )
        )
    return rows


def date_rows(repeat: int) -> list[tuple[str, str, str, str, str]]:
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
        (
            "date parsing, mixed (5 languages, relative, junk)",
            f"{len(DATE_STRINGS)} strings",
            f"{per_string * 1e6:.0f} us/string",
            "report",
            "-",
        ),
        ("date parsing, ISO 8601", "100 strings", f"{machine * 1e6:.1f} us/string", "report", "-"),
    ]


def dedup_rows(sizes: list[int], repeat: int) -> list[tuple[str, str, str, str, str]]:
    """Checking a new item against N stored ones: the LSH query plus judging its few candidates."""
    import random

    from newsdesk.neardup import Features, NearIndex, judge, signature

    vocabulary = [f"w{n}" for n in range(5000)]
    rows = []
    for size in sizes:
        generator = random.Random(size)
        stored: dict[int, tuple[str, str]] = {}
        index = NearIndex()
        for key in range(size):
            title = " ".join(generator.choices(vocabulary, k=8))
            summary = " ".join(generator.choices(vocabulary, k=40))
            stored[key] = (title, summary)
            index.add(key, signature(title, summary))
        probes = [stored[generator.randrange(size)] for _ in range(200)]
        probes = [(title + " updated", summary[: len(summary) // 2] + "...") for title, summary in probes]
        signed = [(signature(t, s), Features.of(t, s, "en", None)) for t, s in probes]

        def check_all() -> int:
            found = 0
            for lean, features in signed:
                for key in index.candidates(lean):
                    title, summary = stored[key]
                    found += judge(features, Features.of(title, summary, "en", None)).duplicate
            return found

        per_item = median_seconds(check_all, repeat) / len(signed)
        rows.append(
            (
                "dedup check of one new item (index, not scan)",
                f"{size} stored",
                f"{per_item * 1e3:.3f} ms/item",
                "< 1 ms",
                "yes" if per_item < 1e-3 else "no",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    args = parser.parse_args(argv)
    sizes = [10, 100] if args.quick else [10, 100, 1000]
    repeat = 5 if args.quick else 9
    dedup_sizes = [1000, 10_000] if args.quick else [1000, 10_000, 100_000]
    rows = extraction_rows(sizes, repeat) + date_rows(repeat) + dedup_rows(dedup_sizes, repeat)
    headers = ("scenario", "size", "figure", "target", "met")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return 0 if all(row[4] != "no" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
