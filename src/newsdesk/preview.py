"""`newsdesk preview SOURCE`: what a source yields, and what each selector found, so a maintainer
fixes a config in one go. Stores nothing.

Words as the output uses them: a *card* is one element the item selector matched (or one feed entry),
carousel clones included; an *item* is a distinct story, however many cards or pages show it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TextIO

from newsdesk.clock import utc_now
from newsdesk.config import Config, SourceConfig
from newsdesk.dedup.identity import collapse
from newsdesk.extract.html import FIELDS, parse_html, repeated_blocks
from newsdesk.fetch.http import new_session
from newsdesk.localtime import day_text
from newsdesk.models import Item, Page, RawItem
from newsdesk.normalize.item import Normalizer
from newsdesk.pipeline import Collected, Politeness, collect, finished_items
from newsdesk.table import cut, cut_middle, table_lines

EXIT_OK, EXIT_FAILED = 0, 1
OUTCOMES = ("matched", "empty", "failed")
WORDS = (
    "cards: elements the item selector matched (or feed entries), clones included; items: distinct stories"
)
DISCOVER_HINT = "let newsdesk find the stories and write the selectors: newsdesk discover {url}"
FIELD_WORDS = (
    "empty: no element or no text; failed: found but unusable (unreadable date, link or image not http(s))"
)


@dataclass
class SelectorStats:
    """For `preview`: per field, on how many cards it matched, was empty, or failed."""

    cards: int = 0
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {name: dict.fromkeys(OUTCOMES, 0) for name in FIELDS}
    )

    def count(self, outcomes: dict[str, str]) -> None:
        self.cards += 1
        for name, outcome in outcomes.items():
            self.counts[name][outcome] += 1


def field_outcomes(raw: RawItem, normalizer: Normalizer, now: datetime) -> dict[str, str]:
    """Each field of one card: matched, empty, or failed when what was found cannot be used. Judged
    by the pipeline's own normalizing (a card without a title is given one so that it runs)."""
    item = normalizer.normalize(replace(raw, title=raw.title or "-"), now)
    assert item is not None  # it has a title
    found_and_kept = {
        "title": (raw.title, raw.title),
        "link": (raw.link, item.url),
        "summary": (raw.summary, item.summary_text),
        "category": (raw.categories, item.categories or item.new_categories),
        "date": (raw.date_text, item.published),
        "image": (raw.image, item.image),
    }
    return {
        name: "empty" if not found else "matched" if kept else "failed"
        for name, (found, kept) in found_and_kept.items()
    }


def selector_stats(found: Iterable[RawItem], normalizer: Normalizer, now: datetime) -> SelectorStats:
    stats = SelectorStats()
    for raw in found:
        stats.count(field_outcomes(raw, normalizer, now))
    return stats


@dataclass
class PageReading:
    """One page as preview read it, and, when the item selector matched nothing there, what repeats."""

    url: str
    got: Collected
    candidates: list[dict[str, Any]] = field(default_factory=list)
    shells: list[str] = field(default_factory=list)  # why a page that gave nothing looks built by scripts

    @property
    def items(self) -> list[Item]:
        return collapse(self.got.items)


def read_pages(config: Config, source: SourceConfig, now: Callable[[], datetime]) -> list[PageReading]:
    """Each page on its own (the pipeline's own collect, one page at a time), so that its cards and
    items are counted apart."""
    politeness = Politeness.for_config(config, store=None, now=now)
    readings = []
    with new_session(config) as session:
        for address in source.pages:
            single = replace(source, url=address, urls=None)
            got = collect(config, single, session=session, now=now, politeness=politeness)
            got.items = finished_items(
                config, single, got.items, store=None, session=session, politeness=politeness, now=now
            )
            reading = PageReading(config.resolve_address(address), got)
            if source.type == "html":
                reading.candidates = [
                    candidate for page in got.unmatched for candidate in _candidates(page, source.name)
                ]
            if source.type == "html" and source.render is None:
                reading.shells = [shell for page in got.unmatched if (shell := _shell(page, source.name))]
            readings.append(reading)
    return readings


def _shell(page: Page, source: str) -> str | None:
    from newsdesk.extract.discover import app_shell

    return app_shell(parse_html(page, source))


def _candidates(page: Page, source: str) -> list[dict[str, Any]]:
    """What repeats on a page where the item selector matched nothing: the selectors to try next."""
    return [
        {"selector": block.selector, "count": block.count, "sample": block.sample}
        for block in repeated_blocks(parse_html(page, source))
    ]


def preview_data(
    config: Config, source: SourceConfig, *, now: Callable[[], datetime] = utc_now
) -> dict[str, Any]:
    readings = read_pages(config, source, now)
    normalizer = Normalizer.for_source(config, source)
    found = [raw for reading in readings for raw in reading.got.found]
    stats = selector_stats(found, normalizer, now())
    items = collapse([item for reading in readings for item in reading.got.items])
    zone = config.source_zone(source)
    language = config.source_language(source)
    return {
        "source": source.name,
        "pages": {
            reading.url: {"cards": len(reading.got.found), "items": len(reading.items)}
            for reading in readings
        },
        "cards": len(found),
        "cards_without_title_or_link": len(found) - sum(reading.got.cards for reading in readings),
        "items": [item_data(item, zone, language) for item in items],
        "selectors": _selector_data(source, stats),
        "candidates": {reading.url: reading.candidates for reading in readings if reading.candidates},
        "unmatched": [reading.url for reading in readings if reading.got.unmatched and source.type == "html"],
        "discovered": {url: recipe for reading in readings for url, recipe in reading.got.recipes.items()},
        "shells": {reading.url: reading.shells[0] for reading in readings if reading.shells},
        "unparsed_dates": [
            {"text": item.unparsed_date, "title": item.title}
            for reading in readings
            for item in reading.got.items
            if item.unparsed_date
        ],
        "future_dates": [
            {"text": item.future_date, "title": item.title}
            for reading in readings
            for item in reading.got.items
            if item.future_date
        ],
        "errors": [str(error) for reading in readings for error in reading.got.errors],
    }


def item_data(item: Item, zone: str, language: str) -> dict[str, Any]:
    """Every field extracted; `date` is the day as the site's readers read it (its zone, its language)."""
    return {
        "categories": list(item.categories),
        "date": day_text(item.published, zone, language) if item.published else None,
        "published": item.published.isoformat() if item.published else None,
        "title": item.title,
        "summary": item.summary_text,
        "url": item.url,
        "image": item.image,
        "date_text": item.unparsed_date,
        "filled": dict(item.filled),  # field -> where its article page gave it (enrich:)
    }


def _selector_data(source: SourceConfig, stats: SelectorStats) -> dict[str, Any]:
    """Per field: its selector (html sources) and on how many cards it matched, was empty or failed."""
    select = source.select if source.type == "html" else None
    selectors: dict[str, Any] = {}
    if select is not None:
        selectors["item"] = {"selector": select.item, "matched": stats.cards}
    for name in FIELDS:
        selector = getattr(select, name) if select is not None else None
        if select is None or selector is not None:
            selectors[name] = {"selector": selector, **stats.counts[name]}
    return selectors


def preview(
    config: Config,
    source: SourceConfig,
    out: TextIO,
    *,
    as_json: bool = False,
    now: Callable[[], datetime] = utc_now,
) -> int:
    data = preview_data(config, source, now=now)
    failed = bool(data["errors"]) or not data["items"]
    if as_json:
        json.dump(data, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        for line in preview_lines(data):
            print(line, file=out)
    return EXIT_FAILED if failed else EXIT_OK


def preview_lines(data: dict[str, Any]) -> list[str]:
    """The items, then the pages' counts, then the fields', then what went wrong."""
    lines = item_lines(data["items"])
    lines += ["", *_count_lines(data), "", *_field_lines(data)]
    filled = Counter(
        f"{name} from {origin}" for item in data["items"] for name, origin in item["filled"].items()
    )
    if filled:
        lines.append(
            "filled from article pages: " + ", ".join(f"{what} ({n})" for what, n in sorted(filled.items()))
        )
    for url, recipe in data["discovered"].items():
        lines.append(f"type: auto read {url} as {recipe}")
    for url, candidates in data["candidates"].items():
        lines += ["", *_candidate_lines(url, candidates)]
    for url, shell in data["shells"].items():
        lines += ["", f"{url} is {shell}: add render: browser to the source to read what its scripts show"]
    for url in data["unmatched"]:
        if url not in data["candidates"]:
            lines += ["", f"the item selector matched nothing on {url}; {DISCOVER_HINT.format(url=url)}"]
    lines += [f"unreadable date {d['text']!r} in {d['title']!r}" for d in data["unparsed_dates"]]
    lines += [
        f"date {d['text']!r} of {d['title']!r} is ahead (an event's?): not its publication date"
        for d in data["future_dates"]
    ]
    lines += [f"error: {error}" for error in data["errors"]]
    return lines


def item_lines(items: list[dict[str, Any]]) -> list[str]:
    """The items as a table (`item_data` of each), or one line saying there are none."""
    rows = [
        (
            ", ".join(item["categories"]) or "-",
            item["date"] or (f"? {item['date_text']}" if item["date_text"] else "-"),
            item["title"],
            item["summary"] or "-",
            item["url"] or "-",
            item["image"] or "-",
        )
        for item in items
    ]
    headers = ("CATEGORY", "DATE", "TITLE", "SUMMARY", "LINK", "IMAGE")
    return table_lines(headers, rows, limits=(24, 20, 50, 40, 90, 50)) if rows else ["no items found"]


def _count_lines(data: dict[str, Any]) -> list[str]:
    pages = data["pages"]
    rows = [(cut_middle(url, 90), str(count["cards"]), str(count["items"])) for url, count in pages.items()]
    if len(pages) > 1:
        rows.append((f"all {len(pages)} pages", str(data["cards"]), str(len(data["items"]))))
    lines = table_lines(("PAGE", "CARDS", "ITEMS"), rows)
    lines.append(WORDS)
    skipped = data["cards_without_title_or_link"]
    if skipped:
        lines.append(f"{skipped} card(s) without a title or a link are not items")
    return lines


def _field_lines(data: dict[str, Any]) -> list[str]:
    rows = []
    for name, found in data["selectors"].items():
        counts = [str(found.get(outcome, "")) for outcome in OUTCOMES]
        rows.append((name, found["selector"] if found["selector"] is not None else "-", *counts))
    lines = table_lines(("FIELD", "SELECTOR", *(o.upper() for o in OUTCOMES)), rows)
    return [*lines, f"counted over {data['cards']} card(s); {FIELD_WORDS}"]


def _candidate_lines(url: str, candidates: list[dict[str, Any]]) -> list[str]:
    rows = [(c["selector"], str(c["count"]), cut(c["sample"], 60)) for c in candidates]
    return [
        f"the item selector matched nothing on {url}; blocks that repeat there, best first:",
        *("  " + line for line in table_lines(("SELECTOR", "COUNT", "SAMPLE"), rows)),
        f"or {DISCOVER_HINT.format(url=url)}",
    ]
