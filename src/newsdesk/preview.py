"""`newsdesk preview SOURCE`: what a source yields, and what each selector found, so a maintainer
fixes a config in one go. Stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from newsdesk.clock import utc_now
from newsdesk.config import Config, SourceConfig
from newsdesk.dedup.identity import collapse
from newsdesk.extract.html import FIELDS
from newsdesk.fetch import new_session
from newsdesk.models import RawItem
from newsdesk.pipeline import Politeness, collect
from newsdesk.table import table_lines

EXIT_OK, EXIT_FAILED = 0, 1


@dataclass
class SelectorStats:
    """For `preview`: per field selector, on how many cards it found something, and on how many not."""

    cards: int = 0
    matched: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    empty: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))

    def count(self, item: RawItem) -> None:
        self.cards += 1
        values = {
            "title": item.title,
            "link": item.link,
            "summary": item.summary,
            "category": item.categories,
            "date": item.date_text,
            "image": item.image,
        }
        for name, value in values.items():
            if value:
                self.matched[name] += 1
            else:
                self.empty[name] += 1


def selector_stats(found: Iterable[RawItem]) -> SelectorStats:
    stats = SelectorStats()
    for item in found:
        stats.count(item)
    return stats


def preview_data(config: Config, source: SourceConfig) -> dict[str, Any]:
    with new_session(config) as session:
        got = collect(
            config,
            source,
            session=session,
            now=utc_now,
            politeness=Politeness.for_config(config, store=None, now=utc_now),
        )
    stats = selector_stats(got.found)
    items = collapse(got.items)
    selectors: dict[str, Any] = {}
    if source.type == "html" and source.select is not None:
        selectors["item"] = {"selector": source.select.item, "matched": stats.cards}
        for name in FIELDS:
            selector = getattr(source.select, name)
            if selector is not None:
                selectors[name] = {
                    "selector": selector,
                    "matched": stats.matched[name],
                    "empty": stats.empty[name],
                }
    return {
        "source": source.name,
        "pages": {url: count for url, count in got.counts.items()},
        "cards": got.cards,
        "items": [
            {
                "categories": list(item.categories),
                "published": item.published.isoformat() if item.published else None,
                "title": item.title,
                "url": item.url,
                "image": item.image,
                "date_text": item.unparsed_date,
            }
            for item in items
        ],
        "selectors": selectors,
        "unparsed_dates": [
            {"text": item.unparsed_date, "title": item.title} for item in got.items if item.unparsed_date
        ],
        "errors": [str(error) for error in got.errors],
    }


def preview(config: Config, source: SourceConfig, out: TextIO, *, as_json: bool = False) -> int:
    data = preview_data(config, source)
    if as_json:
        json.dump(data, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return EXIT_FAILED if data["errors"] else EXIT_OK
    rows = [
        (
            ", ".join(item["categories"]) or "-",
            (item["published"] or "-")[:16].replace("T", " "),
            item["title"],
            item["url"] or "-",
        )
        for item in data["items"]
    ]
    for line in table_lines(("CATEGORY", "DATE", "TITLE", "LINK"), rows, limits=(28, 16, 60, 90)):
        print(line, file=out)
    print(file=out)
    for url, count in data["pages"].items():
        print(f"{url}: {count} cards", file=out)
    print(f"{len(data['items'])} distinct items from {data['cards']} cards", file=out)
    if data["selectors"]:
        print("selectors:", file=out)
        for name, found in data["selectors"].items():
            empty = f", empty on {found['empty']}" if "empty" in found else ""
            print(f"  {name:<9} {found['selector']!r}: found on {found['matched']} cards{empty}", file=out)
    for unparsed in data["unparsed_dates"]:
        print(f"unparsed date {unparsed['text']!r} in {unparsed['title']!r}", file=out)
    for error in data["errors"]:
        print(f"error: {error}", file=out)
    return EXIT_FAILED if data["errors"] else EXIT_OK
