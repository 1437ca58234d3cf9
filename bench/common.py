"""What every benchmark shares: the table row, medians, the reference-style page and a config to read it."""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from newsdesk.config import Config, load_config

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
# The labels of the reference page's cards.
LABELS = ("Company | Innovation", "Institute | Training", "Research")
CATEGORIES = [
    {"id": "company/innovation", "aliases": ["Company | Innovation"]},
    {"id": "institute/training", "aliases": ["Institute | Training"]},
    {"id": "research", "aliases": ["Research"]},
]


@dataclass(frozen=True)
class Row:
    scenario: str
    size: str
    figure: str
    target: str
    met: str  # "yes", "no" or "-" (reported, no target)

    @classmethod
    def check(cls, scenario: str, size: str, figure: str, target: str, ok: bool) -> Row:
        return cls(scenario, size, figure, target, "yes" if ok else "no")

    @classmethod
    def report(cls, scenario: str, size: str, figure: str) -> Row:
        return cls(scenario, size, figure, "report", "-")


def median_seconds(work: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def card_html(link: str, title: str, summary: str, label: str, day: str) -> str:
    """One card as the reference page draws it: image link, label, title link, cut summary, date."""
    return (
        f'<article class="news-teaser"><a class="news-teaser__media" href="{link}">'
        f'<img src="/media{link}.jpg" alt=""></a><div class="news-teaser__tags">{label}</div>'
        f'<h3 class="news-teaser__title"><a href="{link}?utm_source=home">{title}</a></h3>'
        f'<p class="news-teaser__excerpt">{summary}</p>'
        f'<time datetime="{day}T09:30:00+01:00">{day}</time></article>'
    )


def page_html(cards: str) -> bytes:
    """A page around the cards: navigation, text, and the carousel that renders every card twice."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>News</title></head><body>"
        "<header><nav><ul>"
        + "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(30))
        + "</ul></nav></header><main><h1>Our international strategy</h1><p>Text.</p>"
        f"<div class='news-carousel'><div class='track'>{cards}</div>"
        f"<div class='track' aria-hidden='true'>{cards}</div></div></main></body></html>"
    ).encode()


def bench_config(folder: Path, sources: list[dict[str, Any]], **extra: Any) -> Config:
    """A real config.yaml in `folder` (database and feeds beside it), parsed as newsdesk reads it."""
    document = {
        "site": {
            "title": "Bench news",
            "url": "https://news.example.org/",
            "author": "Bench",
            "language": "en",
        },
        "output": "feeds",
        "database": "state/newsdesk.db",
        "categories": CATEGORIES,
        "sources": sources,
        **extra,
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_config(path)


def html_source(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "html", "url": url, "language": "en", "select": SELECT, **extra}


def free_port() -> int:
    """A port nobody listens on now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
