"""`newsdesk preview SOURCE`: what a source yields, and what each selector found, so a maintainer
fixes a config in one go. Stores nothing."""

from __future__ import annotations

import json
from typing import Any, TextIO

from newsdesk.config import Config, SourceConfig
from newsdesk.dedup import collapse
from newsdesk.extract.html import FIELDS, SelectorStats
from newsdesk.fetch import new_session
from newsdesk.pipeline import Politeness, collect, utc_now

EXIT_OK, EXIT_FAILED = 0, 1


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def preview_data(config: Config, source: SourceConfig) -> dict[str, Any]:
    stats = SelectorStats()
    with new_session(config) as session:
        got = collect(
            config,
            source,
            session=session,
            now=utc_now,
            politeness=Politeness.for_config(config, store=None, now=utc_now),
            stats=stats,
        )
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
    headers = ("CATEGORY", "DATE", "TITLE", "LINK")
    limits = (28, 16, 60, 90)
    widths = [
        max([len(header)] + [len(_cell(row[column], limits[column])) for row in rows])
        for column, header in enumerate(headers)
    ]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), file=out)
    for row in rows:
        cells = [_cell(value, limits[column]) for column, value in enumerate(row)]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip(), file=out)
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
