"""Shared test helpers: configs written to real files, a fixed clock, example pages."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from newsdesk.models import Item

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = ROOT / "examples"

CATEGORIES = """
categories:
  - id: company/innovation
    title: Company - Innovation
    aliases: ["Company | Innovation", "Entreprise | Innovation"]
  - id: institute/training
    title: Institute - Training
    aliases: ["Institute | Training", "Institut | Formation"]
  - id: research
    title: Research
    aliases: ["Research", "Recherche"]
  - id: press
    title: Press
    aliases: ["Press", "Partnerships"]
"""

HTML_SELECT = """
    select:
      item: article.news-teaser
      title: .news-teaser__title
      link: .news-teaser__title a@href
      summary: .news-teaser__excerpt
      category: .news-teaser__tags
      date: time@datetime
      image: img@src
"""


class Clock:
    """A clock the test moves by hand; every stage takes `now` from it."""

    def __init__(self, start: datetime = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.current += timedelta(**delta)


def write_config(
    folder: Path,
    sources: str,
    *,
    extra: str = "",
    site_url: str = "https://news.example.org/",
    database: str = "state/newsdesk.db",
) -> Path:
    """Write a full config.yaml (site, categories, the given sources) and return its path."""
    text = (
        textwrap.dedent(
            f"""
            site:
              title: Test news
              url: {site_url}
              author: Test desk
              language: en
            output: feeds
            database: "{database}"
            """
        )
        + CATEGORIES
        + ("" if "fetch:" in extra else "fetch:\n  host_delay: 0\n")
        + textwrap.dedent(extra)
        + "sources:\n"
        + textwrap.indent(textwrap.dedent(sources).strip("\n"), "  ")
        + "\n"
    )
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def html_source(name: str, urls: list[str], **extra: str) -> str:
    """A config snippet for an html source using the example site's card markup."""
    lines = [f"- name: {name}", "  type: html", f"  urls: {urls!r}".replace("'", '"')]
    lines += [f"  {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n" + textwrap.indent(textwrap.dedent(HTML_SELECT).strip("\n"), "  ") + "\n"


def card(
    title: str,
    link: str,
    *,
    label: str = "Research",
    summary: str = "A summary.",
    date: str | None = "2026-11-20T09:30:00+01:00",
) -> str:
    """One card in the example site's markup."""
    time = f'<time datetime="{date}">{date}</time>' if date else ""
    return (
        f'<article class="news-teaser"><div class="news-teaser__tags">{label}</div>'
        f'<h3 class="news-teaser__title"><a href="{link}">{title}</a></h3>'
        f'<p class="news-teaser__excerpt">{summary}</p>{time}</article>'
    )


def page(*cards: str, carousel: bool = True) -> str:
    """A page listing the cards, twice when `carousel` (as the reference page does)."""
    block = "".join(cards)
    repeat = f'<div aria-hidden="true">{block}</div>' if carousel else ""
    head = "<head><meta charset='utf-8'><title>News</title></head>"
    return f"<!doctype html><html>{head}<body><main>{block}{repeat}</main></body></html>"


def serving(config: object) -> Iterator[str]:
    """Serve a config's output folder on a free port of 127.0.0.1; yields its base URL."""
    from newsdesk.server import ServerThread

    server = ServerThread(config, "127.0.0.1", 0).start()  # type: ignore[arg-type]
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def make_item(n: int, **fields) -> Item:
    """Item number n (dated 2026-11-n), with any field replaced."""
    base = {
        "source": "s",
        "url": f"https://www.example.org/news/{n}",
        "title": f"Story {n}",
        "summary_html": f"Summary {n}",
        "summary_text": f"Summary {n}",
        "categories": ("company/innovation",) if n % 2 else ("research",),
        "published": datetime(2026, 11, n, 9, 0, tzinfo=UTC),
        "image": None,
        "language": "en",
    }
    base.update(fields)
    return Item(**base)
